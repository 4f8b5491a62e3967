/*
 * This file implements /api/tasks: create, read, update (PUT and PATCH are
 * both partial), delete, list with filters, search and two kinds of
 * pagination, and stats (cached per user for CACHE_STATS_TTL_MS, and so are
 * searches' totals; the store's write hook, api/effects.c, invalidates both
 * after every write). Every store call
 * carries the signed-in user's id, so a task of another user is simply not
 * found: 404 "Task not found" for a missing id and for someone else's alike.
 * Task and list replies are written as JSON text (api/json_out.h), not built
 * as jansson trees: that was most of a list request's time. Runs on the
 * event loop (each call is one short SQLite transaction).
 */
#include "api/api.h"
#include "api/cache.h"
#include "api/cursor.h"
#include "api/json_out.h"
#include "api/task_input.h"
#include "core/error.h"

/* Room for a task's JSON with a short description; the writer grows past it. */
#define TASK_JSON_HINT 512

static void reply_written(api_req_t *req, api_json_out_t *out)
{
    size_t len;
    const char *text = api_json_out_text(out, &len);
    api_reply_raw(req, text, len);
}

static int reply_task(api_req_t *req, const store_task_t *t)
{
    api_json_out_t out;

    api_json_out_init(&out, req->pool, TASK_JSON_HINT + 32);
    api_json_out_object_open(&out);
    api_json_out_key(&out, "success");
    api_json_out_bool(&out, true);
    api_json_out_key(&out, "task");
    api_task_write(&out, t);
    api_json_out_object_close(&out);
    reply_written(req, &out);
    return CORE_OK;
}

int api_tasks_create(api_req_t *req)
{
    store_task_patch_t patch;
    store_task_t *t = &patch.values;
    int rc;

    if ((rc = api_task_input(req, true, &patch)) != CORE_OK)
        return rc;
    t->id[0] = '\0'; /* the store gives it id and times (store_task_stamp) */
    memcpy(t->user_id, req->claims.user_id, sizeof(t->user_id));
    /* the foreign key: the account was deleted since the access phase saw it */
    if ((rc = store_task_create(req->store, t)) != CORE_OK)
        return rc == CORE_E_NOT_FOUND ? CORE_E_NOT_AUTHORIZED : rc;
    req->status = 201;
    return reply_task(req, t);
}

int api_tasks_get(api_req_t *req)
{
    const char *id = api_task_id(req);
    store_task_t t;
    int rc;

    if (id == NULL)
        return CORE_E_TASK_NOT_FOUND;
    if ((rc = store_task_get(req->store, req->pool, req->claims.user_id, id, &t)) != CORE_OK)
        return rc == CORE_E_NOT_FOUND ? CORE_E_TASK_NOT_FOUND : rc;
    return reply_task(req, &t);
}

int api_tasks_update(api_req_t *req)
{
    const char *id = api_task_id(req);
    store_task_patch_t patch;
    store_task_t t;
    int rc;

    if (id == NULL)
        return CORE_E_TASK_NOT_FOUND;
    if ((rc = api_task_input(req, false, &patch)) != CORE_OK)
        return rc;
    rc = store_task_update(req->store, req->pool, req->claims.user_id, id, &patch, req->now_ms, &t);
    if (rc != CORE_OK)
        return rc == CORE_E_NOT_FOUND ? CORE_E_TASK_NOT_FOUND : rc;
    return reply_task(req, &t);
}

/* The task goes to the trash (api/trash.c brings it back). The answer
 * carries the task as read just before the delete, so a client
 * can take it out of its counts without reloading them. The read and the
 * delete are two store calls: an update racing in between is not in the
 * task returned (the client's counts drift until its next stats load), and
 * a delete racing in between makes this one 404, as it should. */
int api_tasks_delete(api_req_t *req)
{
    const char *id = api_task_id(req);
    api_json_out_t out;
    store_task_t t;
    int rc;

    if (id == NULL)
        return CORE_E_TASK_NOT_FOUND;
    if ((rc = store_task_get(req->store, req->pool, req->claims.user_id, id, &t)) != CORE_OK ||
        (rc = store_task_delete(req->store, req->claims.user_id, id)) != CORE_OK)
        return rc == CORE_E_NOT_FOUND ? CORE_E_TASK_NOT_FOUND : rc;
    api_trash_purge_if_due(req);

    api_json_out_init(&out, req->pool, TASK_JSON_HINT + 64);
    api_json_out_object_open(&out);
    api_json_out_key(&out, "success");
    api_json_out_bool(&out, true);
    api_json_out_key(&out, "message");
    api_json_out_cstr(&out, "Task deleted");
    api_json_out_key(&out, "task");
    api_task_write(&out, &t);
    api_json_out_object_close(&out);
    reply_written(req, &out);
    return CORE_OK;
}

int api_tasks_list(api_req_t *req)
{
    store_task_query_t q;
    store_task_page_t page;
    api_cache_slot_t slot = {.key = ""};
    int64_t page_no, known;
    int rc;

    if ((rc = api_task_query(req, &q, &page_no)) != CORE_OK)
        return rc;
    q.user_id = req->claims.user_id;
    /* a search's total costs a count of every match: cached until the user's next write */
    if (q.search != NULL && api_cache_count_get(req, &q, &known, &slot))
        q.known_total = &known;
    if ((rc = store_task_list(req->store, req->pool, &q, &page)) != CORE_OK)
        return rc;
    if (q.search != NULL && q.known_total == NULL)
        api_cache_count_put(req, &slot, page.total);

    api_json_out_t out;
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
    if (q.after != NULL)
        api_json_out_null(&out);
    else
        api_json_out_int(&out, page_no);
    api_json_out_key(&out, "totalPages");
    api_json_out_int(&out, (page.total + (int64_t)q.limit - 1) / (int64_t)q.limit);
    api_json_out_key(&out, "totalTasks");
    api_json_out_int(&out, page.total);
    api_json_out_key(&out, "limit");
    api_json_out_int(&out, (int64_t)q.limit);
    api_json_out_key(&out, "nextCursor");
    if (page.more && page.len > 0) {
        store_task_cursor_t c;
        store_task_cursor_of(&page.tasks[page.len - 1], q.sort, q.desc, &c);
        api_json_out_cstr(&out, api_cursor_encode(req->pool, &c));
    } else {
        api_json_out_null(&out);
    }
    api_json_out_object_close(&out);
    api_json_out_object_close(&out);
    reply_written(req, &out);
    return CORE_OK;
}

int api_tasks_stats(api_req_t *req)
{
    api_cache_slot_t slot;
    store_task_stats_t s;
    int rc;

    if (api_cache_get(req, API_CACHE_STATS, &slot))
        return CORE_OK;
    if ((rc = store_task_stats(req->store, req->claims.user_id, req->now_ms, &s)) != CORE_OK)
        return rc;
    api_reply(req, json_pack("{s:b, s:{s:I, s:{s:I, s:I, s:I}, s:{s:I, s:I, s:I}, s:I, s:I, s:I}}", "success", 1,
                             "stats", "total", (json_int_t)s.total, "byStatus", "pending",
                             (json_int_t)s.by_status[STORE_TASK_PENDING], "in-progress",
                             (json_int_t)s.by_status[STORE_TASK_IN_PROGRESS], "completed",
                             (json_int_t)s.by_status[STORE_TASK_COMPLETED], "byPriority", "low",
                             (json_int_t)s.by_priority[STORE_TASK_LOW], "medium",
                             (json_int_t)s.by_priority[STORE_TASK_MEDIUM], "high",
                             (json_int_t)s.by_priority[STORE_TASK_HIGH], "overdue", (json_int_t)s.overdue, "dueToday",
                             (json_int_t)s.due_today, "completedLast7Days", (json_int_t)s.completed_last_7_days));
    api_cache_put(req, &slot);
    return CORE_OK;
}
