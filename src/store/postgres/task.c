/*
 * This file implements task rows for the PostgreSQL backend: create, get,
 * update (read FOR UPDATE, store_task_patch_apply(), write back, in one
 * transaction) and the stats (deletes go to the trash: trash.c). The generated column `search`
 * keeps the full-text document in step and the trigger of migration 0002
 * keeps task_counts exact inside the writing transaction, so nothing here
 * maintains either. A new task gets its id after the user's latest one
 * (lsf_task_insert() of migration 0003 checks under a per-user lock; we
 * retry once with a later id, holding that lock), so ids follow commit
 * order as on SQLite. Tags travel as JSON arrays both ways (store/task_sql.h). Reads
 * (get, stats) may go to a replica (STORE_PG_READ); every write notes the
 * user for read-your-writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "store/postgres/postgres.h"

static const char SQL_INSERT[] =
    "INSERT INTO tasks (id, user_id, title, description, status, priority, due_date, tags, completed_at, created_at, "
    "updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, ARRAY(SELECT json_array_elements_text($8::json)), $9, $10, $11)";
/* migration 0003: inserts in id order, or returns the user's latest id */
static const char SQL_INSERT_ORDERED[] = "SELECT lsf_task_insert($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";
static const char SQL_GET[] = "SELECT " STORE_PG_TASK_COLUMNS " FROM tasks WHERE user_id = $2 AND id = $1";
static const char SQL_GET_LOCKED[] =
    "SELECT " STORE_PG_TASK_COLUMNS " FROM tasks WHERE user_id = $2 AND id = $1 FOR UPDATE";
static const char SQL_UPDATE[] =
    "UPDATE tasks SET title = $3, description = $4, status = $5, priority = $6, due_date = $7, "
    "tags = ARRAY(SELECT json_array_elements_text($8::json)), completed_at = $9, updated_at = $11 "
    "WHERE user_id = $2 AND id = $1";
/* one statement, so one snapshot: counters as "status:priority:n,...", then
 * overdue, due today, completed in the last 7 days */
static const char SQL_STATS[] =
    "SELECT (SELECT coalesce(string_agg(status || ':' || priority || ':' || n, ','), '') FROM task_counts "
    "WHERE user_id = $1), "
    "(SELECT count(*) FROM tasks WHERE user_id = $1 AND status <> 2 AND due_date IS NOT NULL AND due_date < $2), "
    "(SELECT count(*) FROM tasks WHERE user_id = $1 AND status <> 2 AND due_date IS NOT NULL "
    "AND due_date >= $3 AND due_date < $4), "
    "(SELECT count(*) FROM tasks WHERE user_id = $1 AND completed_at IS NOT NULL AND completed_at >= $5)";

void store_pg_task_read(core_pool_t *pool, const PGresult *res, int row, store_task_t *t)
{
    memset(t, 0, sizeof(*t));
    snprintf(t->id, sizeof(t->id), "%s", PQgetvalue(res, row, 0));
    snprintf(t->user_id, sizeof(t->user_id), "%s", PQgetvalue(res, row, 1));
    t->title = store_pg_get_str(pool, res, row, 2);
    t->description = store_pg_get_str(pool, res, row, 3);
    t->status = (int)store_pg_get_i64(res, row, 4);
    t->priority = (int)store_pg_get_i64(res, row, 5);
    t->due_date = store_pg_get_i64(res, row, 6);
    store_task_tags_decode(pool, PQgetvalue(res, row, 7), t);
    t->completed_at = store_pg_get_i64(res, row, 8);
    t->created_at = store_pg_get_i64(res, row, 9);
    t->updated_at = store_pg_get_i64(res, row, 10);
}

/* Run the INSERT or UPDATE (same parameters) for t. */
static int write_task(store_pg_conn_t *c, const char *sql, const store_task_t *t, const char *op,
                      PGresult **res)
{
    char st[24], pr[24], due[24], done[24], created[24], updated[24];
    char *tags = store_task_tags_encode(t);
    const char *params[] = {t->id,
                            t->user_id,
                            t->title,
                            t->description,
                            store_pg_i64(st, t->status),
                            store_pg_i64(pr, t->priority),
                            store_pg_time(due, t->due_date),
                            tags,
                            store_pg_time(done, t->completed_at),
                            store_pg_i64(created, t->created_at),
                            store_pg_i64(updated, t->updated_at)};
    static const unsigned types[] = {STORE_PG_TEXT, STORE_PG_TEXT, STORE_PG_TEXT, STORE_PG_TEXT,
                                     STORE_PG_INT4, STORE_PG_INT4, STORE_PG_INT8, STORE_PG_TEXT,
                                     STORE_PG_INT8, STORE_PG_INT8, STORE_PG_INT8};
    int rc = store_pg_query(c, sql, 11, params, types, op, false, NULL, res);

    free(tags);
    return rc;
}

/* Stamp t after latest (or now) and try the ordered insert: *done, or
 * latest gets the user's latest id, which came first. */
static int insert_ordered(store_pg_conn_t *c, store_task_t *t, char latest[CORE_UUID_LEN + 1], bool *done)
{
    PGresult *res = NULL;
    int rc;

    t->id[0] = '\0';
    store_task_stamp(t, latest[0] != '\0' ? latest : NULL);
    if ((rc = write_task(c, SQL_INSERT_ORDERED, t, "task create", &res)) != CORE_OK)
        return rc;
    *done = PQgetisnull(res, 0, 0);
    if (!*done)
        snprintf(latest, CORE_UUID_LEN + 1, "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    return CORE_OK;
}

int store_pg_task_create(store_t *base, store_task_t *t)
{
    store_pg_cluster_t *cl = store_pg_of(base)->cluster;
    store_pg_conn_t *c;
    char latest[CORE_UUID_LEN + 1] = "";
    bool done = false;
    int rc;

    if ((rc = store_pg_acquire(cl, STORE_PG_PRIMARY, NULL, &c)) != CORE_OK)
        return rc;
    if (t->id[0] != '\0') { /* an id given (tests, imports): as it is */
        rc = write_task(c, SQL_INSERT, t, "task create", NULL);
        goto out;
    }
    /* Usually done in one statement. When another create of the user came
     * first, try again in a transaction: its first call takes the per-user
     * lock and reports the latest id, and with the lock still held the
     * second, after that id, cannot lose. */
    if ((rc = insert_ordered(c, t, latest, &done)) != CORE_OK || done || (rc = store_pg_begin(c)) != CORE_OK)
        goto out;
    for (int i = 0; i < 2 && rc == CORE_OK && !done; i++)
        rc = insert_ordered(c, t, latest, &done);
    if (rc == CORE_OK && done) {
        rc = store_pg_commit(c);
    } else {
        store_pg_rollback(c);
        if (rc == CORE_OK) {
            log_error("task create: an id after the user's latest task was refused under the lock");
            rc = CORE_E_INTERNAL;
        }
    }
out:
    if (rc == CORE_OK)
        store_pg_note_write(cl, t->user_id);
    store_pg_release(c);
    return rc;
}

/* Find id of user_id with sql into out. */
static int find(store_pg_conn_t *c, core_pool_t *pool, const char *sql, const char *user_id, const char *id,
                store_task_t *out)
{
    const char *params[] = {id, user_id};
    PGresult *res = NULL;
    int rc = store_pg_query(c, sql, 2, params, NULL, "task get", false, NULL, &res);

    if (rc == CORE_OK && PQntuples(res) == 0)
        rc = CORE_E_NOT_FOUND;
    else if (rc == CORE_OK)
        store_pg_task_read(pool, res, 0, out);
    PQclear(res);
    return rc;
}

int store_pg_task_get(store_t *base, core_pool_t *pool, const char *user_id, const char *id, store_task_t *out)
{
    store_pg_conn_t *c;
    int rc;

    if ((rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_READ, user_id, &c)) != CORE_OK)
        return rc;
    rc = find(c, pool, SQL_GET, user_id, id, out);
    store_pg_release(c);
    return rc;
}

int store_pg_task_update(store_t *base, core_pool_t *pool, const char *user_id, const char *id,
                         const store_task_patch_t *patch, int64_t now_ms, store_task_t *out)
{
    store_pg_cluster_t *cl = store_pg_of(base)->cluster;
    store_pg_conn_t *c;
    int rc;

    if ((rc = store_pg_acquire(cl, STORE_PG_PRIMARY, NULL, &c)) != CORE_OK)
        return rc;
    if ((rc = store_pg_begin(c)) != CORE_OK || (rc = find(c, pool, SQL_GET_LOCKED, user_id, id, out)) != CORE_OK)
        goto out;
    store_task_patch_apply(out, patch, now_ms);
    if ((rc = write_task(c, SQL_UPDATE, out, "task update", NULL)) == CORE_OK &&
        (rc = store_pg_commit(c)) == CORE_OK)
        store_pg_note_write(cl, user_id);
out:
    if (rc != CORE_OK)
        store_pg_rollback(c);
    store_pg_release(c);
    return rc;
}

/* Add the "status:priority:n,..." counters to out. */
static void add_counts(const char *s, store_task_stats_t *out)
{
    while (*s != '\0') {
        int status, priority, used = 0;
        long long n;
        if (sscanf(s, "%d:%d:%lld%n", &status, &priority, &n, &used) != 3 || used == 0)
            break;
        if (status >= 0 && status < STORE_TASK_STATUSES && priority >= 0 && priority < STORE_TASK_PRIORITIES) {
            out->by_status[status] += n;
            out->by_priority[priority] += n;
            out->total += n;
        }
        s += used;
        if (*s == ',')
            s++;
    }
}

int store_pg_task_stats(store_t *base, const char *user_id, int64_t now_ms, store_task_stats_t *out)
{
    const int64_t day = 86400000, day_start = now_ms - now_ms % day;
    char now[24], from[24], to[24], since[24];
    const char *params[] = {user_id, store_pg_i64(now, now_ms), store_pg_i64(from, day_start),
                            store_pg_i64(to, day_start + day), store_pg_i64(since, now_ms - 7 * day)};
    store_pg_conn_t *c;
    PGresult *res = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_READ, user_id, &c)) != CORE_OK)
        return rc;
    if ((rc = store_pg_query(c, SQL_STATS, 5, params, NULL, "task stats", false, NULL, &res)) == CORE_OK) {
        add_counts(PQgetvalue(res, 0, 0), out);
        out->overdue = store_pg_get_i64(res, 0, 1);
        out->due_today = store_pg_get_i64(res, 0, 2);
        out->completed_last_7_days = store_pg_get_i64(res, 0, 3);
    }
    PQclear(res);
    store_pg_release(c);
    return rc;
}
