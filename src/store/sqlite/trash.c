/*
 * This file implements the trash for the SQLite backend (migration 0007):
 * a delete copies the task into task_trash and deletes it from tasks, a
 * restore copies it back and deletes the trash row, each in one BEGIN
 * IMMEDIATE transaction. Because the row leaves `tasks`, the triggers of
 * migration 0002 keep the counters, the tag table and the full-text index
 * in step both ways, and no list, search, count or stats query needs to
 * know the trash exists. Restored rows get a new seq (the full-text rowid)
 * and keep their id, so they sort where they were.
 */
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "store/sqlite/sqlite.h"
#include "trace/scope.h"

#define TRASH_COLUMNS                                                                                        \
    "id, user_id, title, description, status, priority, due_date, tags, completed_at, created_at, "          \
    "updated_at"

/* deleted_at is now, or just after the user's latest deletion, so "last
 * deleted first" is exact even for two deletes in one millisecond. REPLACE:
 * a task deleted again after an import brought its id back. */
static const char SQL_TRASH_IN[] =
    "REPLACE INTO task_trash (" TRASH_COLUMNS ", deleted_at) SELECT " TRASH_COLUMNS
    ", max(?3, coalesce((SELECT max(deleted_at) + 1 FROM task_trash WHERE user_id = ?2), ?3)) "
    "FROM tasks WHERE id = ?1 AND user_id = ?2";
static const char SQL_TRASH_TAKE[] = "DELETE FROM tasks WHERE id = ?1 AND user_id = ?2";
static const char SQL_TRASH_OUT[] = "INSERT INTO tasks (" TRASH_COLUMNS ") SELECT " TRASH_COLUMNS
                                    " FROM task_trash WHERE user_id = ?2 AND id = ?1 AND deleted_at > ?3";
static const char SQL_TRASH_DROP[] = "DELETE FROM task_trash WHERE user_id = ?2 AND id = ?1";
static const char SQL_TRASH_GET[] = "SELECT " TRASH_COLUMNS " FROM tasks WHERE id = ?1 AND user_id = ?2";
static const char SQL_TRASH_LIST[] =
    "SELECT " TRASH_COLUMNS ", deleted_at FROM task_trash WHERE user_id = ?1 AND deleted_at > ?2 "
    "ORDER BY deleted_at DESC, id DESC LIMIT ?3 OFFSET ?4";
static const char SQL_TRASH_COUNT[] =
    "SELECT count(*) FROM task_trash WHERE user_id = ?1 AND deleted_at > ?2";
static const char SQL_TRASH_PURGE[] = "DELETE FROM task_trash WHERE (user_id, id) IN "
                                      "(SELECT user_id, id FROM task_trash WHERE deleted_at <= ?1 LIMIT ?2)";

/* Run sql with (?1 id, ?2 user_id, ?3 n) as one step; *changes gets the rows it changed. */
static int trash_run(store_sqlite_t *s, const char *sql, const char *id, const char *user_id, int64_t n,
                     const char *op, int *changes)
{
    sqlite3_stmt *st;
    int rc = store_sqlite_prepare(s, sql, &st);

    if (rc != CORE_OK)
        return rc;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, user_id, -1, SQLITE_STATIC);
    if (sqlite3_bind_parameter_count(st) >= 3)
        sqlite3_bind_int64(st, 3, n);
    if ((rc = store_sqlite_step_done(s, st, op, NULL)) == CORE_OK && changes != NULL)
        *changes = sqlite3_changes(s->db);
    return rc;
}

int store_sqlite_task_delete(store_t *base, const char *user_id, const char *id)
{
    store_sqlite_t *s = store_sqlite_of(base);
    int moved = 0, rc;

    if ((rc = store_sqlite_begin(s)) != CORE_OK)
        return rc;
    if ((rc = trash_run(s, SQL_TRASH_IN, id, user_id, core_clock_now_ms(), "task to trash", &moved)) !=
        CORE_OK)
        goto fail;
    if (moved == 0) {
        rc = CORE_E_NOT_FOUND;
        goto fail;
    }
    if ((rc = trash_run(s, SQL_TRASH_TAKE, id, user_id, 0, "task delete", NULL)) != CORE_OK)
        goto fail;
    return store_sqlite_commit(s);
fail:
    store_sqlite_rollback(s);
    return rc;
}

int store_sqlite_task_restore(store_t *base, core_pool_t *pool, const char *user_id, const char *id,
                              int64_t since, store_task_t *out)
{
    store_sqlite_t *s = store_sqlite_of(base);
    sqlite3_stmt *st;
    int moved = 0, rc;

    if ((rc = store_sqlite_begin(s)) != CORE_OK)
        return rc;
    if ((rc = trash_run(s, SQL_TRASH_OUT, id, user_id, since, "task restore", &moved)) != CORE_OK)
        goto fail;
    if (moved > 0 && (rc = trash_run(s, SQL_TRASH_DROP, id, user_id, 0, "task restore", NULL)) != CORE_OK)
        goto fail;
    /* the task as it is now: just restored, or live already (a repeated restore) */
    if ((rc = store_sqlite_prepare(s, SQL_TRASH_GET, &st)) != CORE_OK)
        goto fail;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, user_id, -1, SQLITE_STATIC);
    if ((rc = store_sqlite_step_row(s, st, "task restore")) != CORE_OK)
        goto fail;
    store_sqlite_task_read(pool, st, out);
    store_sqlite_reset(st);
    return store_sqlite_commit(s);
fail:
    store_sqlite_rollback(s);
    return rc;
}

int store_sqlite_task_trash_list(store_t *base, core_pool_t *pool, const char *user_id, int64_t since,
                                 size_t limit, int64_t offset, store_task_page_t *out)
{
    store_sqlite_t *s = store_sqlite_of(base);
    sqlite3_stmt *st;
    int rc, step;

    memset(out, 0, sizeof(*out));
    if ((rc = store_sqlite_read_begin(s)) != CORE_OK)
        return rc;
    if ((rc = store_sqlite_prepare(s, SQL_TRASH_COUNT, &st)) != CORE_OK)
        goto end;
    sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, since);
    if ((rc = store_sqlite_step_row(s, st, "trash count")) != CORE_OK)
        goto end;
    out->total = sqlite3_column_int64(st, 0);
    store_sqlite_reset(st);

    if ((rc = store_sqlite_prepare(s, SQL_TRASH_LIST, &st)) != CORE_OK)
        goto end;
    sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, since);
    sqlite3_bind_int64(st, 3, (int64_t)limit + 1);
    sqlite3_bind_int64(st, 4, offset);
    out->tasks = core_pool_alloc(pool, (limit + 1) * sizeof(*out->tasks));
    trace_child_t span = trace_child_begin();
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->len == limit) {
            out->more = true;
            break;
        }
        store_task_t *t = &out->tasks[out->len++];
        store_sqlite_task_read(pool, st, t);
        t->deleted_at = sqlite3_column_int64(st, 11);
    }
    trace_child_end_db(&span, "sqlite", "trash list", sqlite3_sql(st), step != SQLITE_ROW && step != SQLITE_DONE);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = store_sqlite_fail(s, step, "trash list");
    store_sqlite_reset(st);
end:
    store_sqlite_read_end(s);
    return rc;
}

int store_sqlite_task_trash_purge(store_t *base, int64_t before, int max, int *deleted)
{
    store_sqlite_t *s = store_sqlite_of(base);
    sqlite3_stmt *st;
    int rc;

    *deleted = 0;
    if ((rc = store_sqlite_begin(s)) != CORE_OK)
        return rc;
    if ((rc = store_sqlite_prepare(s, SQL_TRASH_PURGE, &st)) != CORE_OK)
        goto out;
    sqlite3_bind_int64(st, 1, before);
    sqlite3_bind_int(st, 2, max);
    if ((rc = store_sqlite_step_done(s, st, "trash purge", NULL)) == CORE_OK)
        *deleted = sqlite3_changes(s->db);
out:
    if (rc == CORE_OK)
        rc = store_sqlite_commit(s);
    else
        store_sqlite_rollback(s);
    if (rc != CORE_OK)
        *deleted = 0;
    return rc;
}
