/*
 * This file implements a user's own data (issue 13): GET /api/user/export,
 * which answers everything of the caller's account as JSON (profile and
 * every task, the trash included; never the password hash), and DELETE
 * /api/user, which deletes
 * the account and every task of it once the password in the body is
 * confirmed, then revokes every session and drops the account's cached
 * answers. Both routes run on the worker pool: the export may be large,
 * and the deletion checks a password hash.
 *
 * The export reads the tasks a page at a time through store_task_list in
 * creation order (a keyset walk), so it needs no store operation of its
 * own; a task created meanwhile is at the end or not there. The trash
 * follows, every task in it that is not purged yet (past the retention
 * too: the export holds what the server holds), a page at a time.
 */
#include "api/api.h"
#include "api/cache.h"
#include "api/export.h"
#include "api/input.h"
#include "api/task_input.h"
#include "auth/password.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "store/admin.h"

#define EXPORT_PAGE STORE_TASK_PAGE_MAX

static void write_time(api_json_out_t *out, const char *key, int64_t ms)
{
    char when[32];
    core_clock_iso8601(ms, when);
    api_json_out_key(out, key);
    api_json_out_cstr(out, when);
}

int api_user_export_write(store_t *store, core_pool_t *pool, const char *user_id, int64_t now_ms,
                          api_json_out_t *out)
{
    store_task_cursor_t after;
    store_task_query_t q = {.user_id = user_id, .status = -1, .priority = -1, .due_before = STORE_TIME_NONE,
                            .due_after = STORE_TIME_NONE, .sort = STORE_SORT_CREATED_AT, .desc = false,
                            .limit = EXPORT_PAGE};
    store_task_page_t page;
    store_user_t user;
    int rc;

    if ((rc = store_user_find_by_id(store, pool, user_id, &user)) != CORE_OK)
        return rc;
    api_json_out_object_open(out);
    api_json_out_key(out, "success");
    api_json_out_bool(out, true);
    write_time(out, "exportedAt", now_ms);
    api_json_out_key(out, "user");
    api_json_out_object_open(out);
    api_json_out_key(out, "_id");
    api_json_out_cstr(out, user.id);
    api_json_out_key(out, "name");
    api_json_out_cstr(out, user.name);
    api_json_out_key(out, "email");
    api_json_out_cstr(out, user.email);
    api_json_out_key(out, "isAccountVerified");
    api_json_out_bool(out, user.is_account_verified);
    write_time(out, "createdAt", user.created_at);
    write_time(out, "updatedAt", user.updated_at);
    api_json_out_object_close(out);
    api_json_out_key(out, "tasks");
    api_json_out_array_open(out);
    do {
        if ((rc = store_task_list(store, pool, &q, &page)) != CORE_OK)
            return rc;
        for (size_t i = 0; i < page.len; i++)
            api_task_write(out, &page.tasks[i]);
        if (page.len > 0) {
            store_task_cursor_of(&page.tasks[page.len - 1], q.sort, q.desc, &after);
            q.after = &after;
        }
    } while (page.more && page.len > 0);
    api_json_out_array_close(out);
    api_json_out_key(out, "trash");
    api_json_out_array_open(out);
    for (int64_t offset = 0;; offset += EXPORT_PAGE) {
        if ((rc = store_task_trash_list(store, pool, user_id, INT64_MIN, EXPORT_PAGE, offset, &page)) != CORE_OK)
            return rc;
        for (size_t i = 0; i < page.len; i++)
            api_task_write(out, &page.tasks[i]);
        if (!page.more)
            break;
    }
    api_json_out_array_close(out);
    api_json_out_object_close(out);
    return CORE_OK;
}

int api_user_export(api_req_t *req)
{
    api_json_out_t out;
    size_t len;
    int rc;

    api_json_out_init(&out, req->pool, 4096);
    if ((rc = api_user_export_write(req->store, req->pool, req->claims.user_id, req->now_ms, &out)) != CORE_OK)
        return rc == CORE_E_NOT_FOUND ? CORE_E_NOT_AUTHORIZED : rc; /* deleted since the access phase */
    const char *text = api_json_out_text(&out, &len);
    api_reply_raw(req, text, len);
    return CORE_OK;
}

int api_user_delete(api_req_t *req)
{
    core_str_t password;
    store_user_t user;
    bool rehash = false;
    int rc;

    if ((rc = api_input_string(req, "password", &password)) != CORE_OK)
        return rc;
    if (password.base == NULL || password.len == 0)
        return api_fail(req, CORE_E_VALIDATION, "Password is required to delete the account");
    if ((rc = store_user_find_by_id(req->store, req->pool, req->claims.user_id, &user)) != CORE_OK)
        return rc == CORE_E_NOT_FOUND ? CORE_E_NOT_AUTHORIZED : rc;
    if (password.len > AUTH_PASSWORD_MAX_LEN ||
        auth_password_verify(user.password_hash, password.base, password.len, &rehash) != CORE_OK)
        return api_fail(req, CORE_E_INVALID_CREDENTIALS, "Incorrect password");
    /* the write hook revokes the sessions in kv and drops the cached answers */
    if ((rc = store_user_delete(req->store, user.id, req->now_ms)) != CORE_OK)
        return rc == CORE_E_NOT_FOUND ? CORE_E_NOT_AUTHORIZED : rc;
    log_info("user deleted their account", LOG_STR("user_id", user.id));
    req->clear_token = true;
    api_reply(req, json_pack("{s:b, s:s}", "success", 1, "message", "Account deleted"));
    return CORE_OK;
}
