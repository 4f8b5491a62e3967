/*
 * This file implements the trash of /api/tasks: GET /api/tasks/trash lists
 * the signed-in user's deleted tasks (last deleted first, paged like the
 * task list), POST /api/tasks/:id/restore brings one back, and the purge of
 * tasks deleted more than TRASH_RETENTION_MS ago. DELETE /api/tasks/:id
 * (api/tasks.c) puts tasks in the trash. A task past the retention is
 * neither listed nor restored even before the purge reaches it, so what a
 * user sees never depends on when the purge ran. Runs on the event loop.
 */
#include <stdatomic.h>
#include <string.h>

#include "api/api.h"
#include "api/json_out.h"
#include "api/query.h"
#include "api/task_input.h"
#include "core/error.h"
#include "core/log.h"
#include "core/str.h"

#define TRASH_PAGE_DEFAULT 20
#define PURGE_BATCH 500
#define PURGE_INTERVAL_MS 3600000 /* 1 h */
#define TASK_JSON_HINT 512

static _Atomic int64_t next_purge; /* wall-clock ms; 0: at the next delete */

/* Tasks deleted at or before this are past the retention. */
static int64_t cutoff(const api_req_t *req)
{
    return req->now_ms - req->cfg->trash_retention_ms;
}

void api_trash_purge_if_due(api_req_t *req)
{
    int64_t now = req->now_ms, due = atomic_load(&next_purge);
    int deleted = 0, rc;

    if (now < due || !atomic_compare_exchange_strong(&next_purge, &due, now + PURGE_INTERVAL_MS))
        return; /* not due, or another loop thread took this turn */
    rc = store_task_trash_purge(req->store, cutoff(req), PURGE_BATCH, &deleted);
    if (rc != CORE_OK)
        log_warn("trash purge failed; retried at the next turn", LOG_STR("error", core_error_name(rc)));
    else if (deleted == PURGE_BATCH)
        atomic_store(&next_purge, 0);
}

int api_tasks_restore(api_req_t *req)
{
    const char *id = api_task_id(req);
    api_json_out_t out;
    store_task_t t;
    int rc;

    if (id == NULL)
        return CORE_E_TASK_NOT_FOUND;
    rc = store_task_restore(req->store, req->pool, req->claims.user_id, id, cutoff(req), &t);
    if (rc != CORE_OK)
        return rc == CORE_E_NOT_FOUND ? CORE_E_TASK_NOT_FOUND : rc;

    api_json_out_init(&out, req->pool, TASK_JSON_HINT + 64);
    api_json_out_object_open(&out);
    api_json_out_key(&out, "success");
    api_json_out_bool(&out, true);
    api_json_out_key(&out, "message");
    api_json_out_cstr(&out, "Task restored");
    api_json_out_key(&out, "task");
    api_task_write(&out, &t);
    api_json_out_object_close(&out);

    size_t len;
    const char *text = api_json_out_text(&out, &len);
    api_reply_raw(req, text, len);
    return CORE_OK;
}

/* page and limit, the only parameters, each at most once. */
static int trash_query(api_req_t *req, int64_t *page, int64_t *limit)
{
    core_str_t rest = req->query;
    bool seen_page = false, seen_limit = false;
    char *name, *value;
    int rc;

    *page = 1;
    *limit = TRASH_PAGE_DEFAULT;
    if (rest.len > API_QUERY_MAX)
        return api_fail(req, CORE_E_VALIDATION, "Query string must be at most %d bytes", API_QUERY_MAX);
    while ((rc = api_query_next(req->pool, &rest, &name, &value)) == 1) {
        bool is_page = strcmp(name, "page") == 0, is_limit = strcmp(name, "limit") == 0;
        long long n, max = is_page ? 1000000000 : STORE_TASK_PAGE_MAX;
        if (!is_page && !is_limit)
            return api_fail(req, CORE_E_VALIDATION, "Unknown query parameter: %.40s", name);
        if (is_page ? seen_page : seen_limit)
            return api_fail(req, CORE_E_VALIDATION, "%s must be given at most once", name);
        if (core_str_to_i64(core_str_c(value), 1, max, &n) != 0)
            return api_fail(req, CORE_E_VALIDATION, "%s must be an integer from 1 to %lld", name, max);
        if (is_page) {
            seen_page = true;
            *page = n;
        } else {
            seen_limit = true;
            *limit = n;
        }
    }
    if (rc < 0)
        return api_fail(req, CORE_E_VALIDATION, "Query string is not valid percent-encoded UTF-8");
    return CORE_OK;
}

int api_tasks_trash(api_req_t *req)
{
    store_task_page_t page;
    int64_t page_no, limit;
    api_json_out_t out;
    int rc;

    if ((rc = trash_query(req, &page_no, &limit)) != CORE_OK)
        return rc;
    rc = store_task_trash_list(req->store, req->pool, req->claims.user_id, cutoff(req), (size_t)limit,
                               (page_no - 1) * limit, &page);
    if (rc != CORE_OK)
        return rc;

    api_json_out_init(&out, req->pool, 256 + page.len * TASK_JSON_HINT);
    api_json_out_object_open(&out);
    api_json_out_key(&out, "success");
    api_json_out_bool(&out, true);
    api_json_out_key(&out, "tasks");
    api_json_out_array_open(&out);
    for (size_t i = 0; i < page.len; i++)
        api_task_write(&out, &page.tasks[i]);
    api_json_out_array_close(&out);
    api_json_out_key(&out, "pagination");
    api_json_out_object_open(&out);
    api_json_out_key(&out, "currentPage");
    api_json_out_int(&out, page_no);
    api_json_out_key(&out, "totalPages");
    api_json_out_int(&out, (page.total + limit - 1) / limit);
    api_json_out_key(&out, "totalTasks");
    api_json_out_int(&out, page.total);
    api_json_out_key(&out, "limit");
    api_json_out_int(&out, limit);
    api_json_out_object_close(&out);
    api_json_out_key(&out, "retentionMs");
    api_json_out_int(&out, req->cfg->trash_retention_ms);
    api_json_out_object_close(&out);

    size_t len;
    const char *text = api_json_out_text(&out, &len);
    api_reply_raw(req, text, len);
    return CORE_OK;
}
