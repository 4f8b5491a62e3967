/*
 * This file implements the trash for the PostgreSQL backend (migration
 * 0007): a delete is one statement, DELETE FROM tasks ... RETURNING feeding
 * an INSERT INTO task_trash, and a restore the reverse, RETURNING the task
 * as stored. Because the row leaves `tasks`, the counters trigger of
 * migration 0002 and the generated search column follow it both ways, and
 * no list, search, count or stats query needs to know the trash exists.
 * A restore inserts the old id as it is (not through lsf_task_insert(),
 * whose order check is for new tasks): the task comes back in its place.
 * Statements go through store_pg_query(), so on a fiber they run on the
 * loop's non-blocking connections (async.c). Writes note the user for
 * read-your-writes; the trash list reads where task reads go.
 */
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "store/postgres/postgres.h"

#define MOVED                                                                                                \
    "id, user_id, title, description, status, priority, due_date, tags, completed_at, created_at, "          \
    "updated_at"

/* deleted_at is now, or just after the user's latest deletion, so "last
 * deleted first" is exact even for two deletes in one millisecond (two
 * racing on two connections may still tie: then id order decides). ON
 * CONFLICT: a task deleted again after an import brought its id back. */
static const char SQL_TO_TRASH[] =
    "WITH gone AS (DELETE FROM tasks WHERE user_id = $2 AND id = $1 RETURNING " MOVED ") "
    "INSERT INTO task_trash (" MOVED ", deleted_at) SELECT " MOVED ", "
    "greatest($3, (SELECT max(deleted_at) + 1 FROM task_trash WHERE user_id = $2)) FROM gone "
    "ON CONFLICT (user_id, id) DO UPDATE SET (title, description, status, priority, due_date, tags, "
    "completed_at, "
    "created_at, updated_at, deleted_at) = (excluded.title, excluded.description, excluded.status, "
    "excluded.priority, excluded.due_date, excluded.tags, excluded.completed_at, excluded.created_at, "
    "excluded.updated_at, excluded.deleted_at)";
static const char SQL_FROM_TRASH[] =
    "WITH back AS (DELETE FROM task_trash WHERE user_id = $2 AND id = $1 AND deleted_at > $3 RETURNING " MOVED
    ") "
    "INSERT INTO tasks (" MOVED ") SELECT " MOVED " FROM back RETURNING " STORE_PG_TASK_COLUMNS;
static const char SQL_GET[] = "SELECT " STORE_PG_TASK_COLUMNS " FROM tasks WHERE user_id = $2 AND id = $1";
static const char SQL_LIST[] = "SELECT " STORE_PG_TASK_COLUMNS ", deleted_at FROM task_trash "
                               "WHERE user_id = $1 AND deleted_at > $2 ORDER BY deleted_at DESC, id DESC "
                               "LIMIT $3 OFFSET $4";
static const char SQL_COUNT[] = "SELECT count(*) FROM task_trash WHERE user_id = $1 AND deleted_at > $2";
static const char SQL_PURGE[] = "DELETE FROM task_trash WHERE (user_id, id) IN "
                                "(SELECT user_id, id FROM task_trash WHERE deleted_at <= $1 LIMIT $2)";

static const unsigned ID_USER_TIME[] = {STORE_PG_TEXT, STORE_PG_TEXT, STORE_PG_INT8};

int store_pg_task_delete(store_t *base, const char *user_id, const char *id)
{
    store_pg_cluster_t *cl = store_pg_of(base)->cluster;
    char now[24];
    const char *params[] = {id, user_id, store_pg_i64(now, core_clock_now_ms())};
    store_pg_conn_t *c;
    PGresult *res = NULL;
    int rc;

    if ((rc = store_pg_acquire(cl, STORE_PG_PRIMARY, NULL, &c)) != CORE_OK)
        return rc;
    rc = store_pg_query(c, SQL_TO_TRASH, 3, params, ID_USER_TIME, "task delete", false, NULL, &res);
    if (rc == CORE_OK && store_pg_changes(res) == 0)
        rc = CORE_E_NOT_FOUND;
    else if (rc == CORE_OK)
        store_pg_note_write(cl, user_id);
    PQclear(res);
    store_pg_release(c);
    return rc;
}

int store_pg_task_restore(store_t *base, core_pool_t *pool, const char *user_id, const char *id,
                          int64_t since, store_task_t *out)
{
    store_pg_cluster_t *cl = store_pg_of(base)->cluster;
    char from[24];
    const char *params[] = {id, user_id, store_pg_i64(from, since)};
    store_pg_conn_t *c;
    PGresult *res = NULL;
    int rc;

    if ((rc = store_pg_acquire(cl, STORE_PG_PRIMARY, NULL, &c)) != CORE_OK)
        return rc;
    /* a live task holding the id makes the insert conflict: CORE_E_CONFLICT */
    rc = store_pg_query(c, SQL_FROM_TRASH, 3, params, ID_USER_TIME, "task restore", true, NULL, &res);
    if (rc == CORE_OK && PQntuples(res) == 0) {
        /* not in the trash: live already (a repeated restore), or not found;
         * asked on the primary, which the restore just used */
        PQclear(res);
        res = NULL;
        rc = store_pg_query(c, SQL_GET, 2, params, NULL, "task restore", false, NULL, &res);
        if (rc == CORE_OK && PQntuples(res) == 0)
            rc = CORE_E_NOT_FOUND;
    }
    if (rc == CORE_OK) {
        store_pg_task_read(pool, res, 0, out);
        store_pg_note_write(cl, user_id);
    }
    PQclear(res);
    store_pg_release(c);
    return rc;
}

int store_pg_task_trash_list(store_t *base, core_pool_t *pool, const char *user_id, int64_t since,
                             size_t limit, int64_t offset, store_task_page_t *out)
{
    char from[24], lim[24], off[24];
    const char *params[] = {user_id, store_pg_i64(from, since), store_pg_i64(lim, (int64_t)limit + 1),
                            store_pg_i64(off, offset)};
    static const unsigned types[] = {STORE_PG_TEXT, STORE_PG_INT8, STORE_PG_INT8, STORE_PG_INT8};
    store_pg_conn_t *c;
    PGresult *res = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_READ, user_id, &c)) != CORE_OK)
        return rc;
    if ((rc = store_pg_query(c, SQL_COUNT, 2, params, types, "trash count", false, NULL, &res)) != CORE_OK)
        goto out;
    out->total = store_pg_get_i64(res, 0, 0);
    PQclear(res);
    res = NULL;
    if ((rc = store_pg_query(c, SQL_LIST, 4, params, types, "trash list", false, NULL, &res)) != CORE_OK)
        goto out;
    int n = PQntuples(res);
    out->tasks = core_pool_alloc(pool, ((size_t)n + 1) * sizeof(*out->tasks));
    for (int i = 0; i < n; i++) {
        if (out->len == limit) {
            out->more = true;
            break;
        }
        store_task_t *t = &out->tasks[out->len++];
        store_pg_task_read(pool, res, i, t);
        t->deleted_at = store_pg_get_i64(res, i, STORE_PG_TASK_NCOLUMNS);
    }
out:
    PQclear(res);
    store_pg_release(c);
    return rc;
}

int store_pg_task_trash_purge(store_t *base, int64_t before, int max, int *deleted)
{
    char at[24], n[24];
    const char *params[] = {store_pg_i64(at, before), store_pg_i64(n, max)};
    store_pg_conn_t *c;
    PGresult *res = NULL;
    int rc;

    *deleted = 0;
    if ((rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_PRIMARY, NULL, &c)) != CORE_OK)
        return rc;
    if ((rc = store_pg_query(c, SQL_PURGE, 2, params, NULL, "trash purge", false, NULL, &res)) == CORE_OK)
        *deleted = (int)store_pg_changes(res);
    PQclear(res);
    store_pg_release(c);
    return rc;
}
