/*
 * This file implements tasks for the SQLite backend (the trash, deletes
 * included, is trash.c). Writes are single
 * statements in BEGIN IMMEDIATE transactions; the triggers of migration 0002
 * keep the tag table, the full-text index and the per-user counters in step.
 * Lists take their SQL from the shared builder (store/task_sql.c) and
 * cache one prepared statement per shape. A search (search.c compiles it)
 * counts its matches in the full-text index, unless the caller knows the
 * count; a page of a word common among the user's tasks is found by walking
 * the tasks in the list's order and testing each row, a rarer word's by
 * listing the index's matches (see search_walk()).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "store/sqlite/sqlite.h"
#include "store/task_sql.h"
#include "trace/scope.h"

#define COLUMNS STORE_TASK_SQL_COLUMNS("tags")

static const char SQL_INSERT[] =
    "INSERT INTO tasks (id, user_id, title, description, status, priority, due_date, tags, completed_at, created_at, "
    "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
static const char SQL_LAST_ID[] = "SELECT id FROM tasks WHERE user_id = ?1 ORDER BY id DESC LIMIT 1";
static const char SQL_GET[] = "SELECT " COLUMNS ", seq FROM tasks WHERE id = ?1 AND user_id = ?2";
static const char SQL_UPDATE[] = "UPDATE tasks SET title = ?1, description = ?2, status = ?3, priority = ?4, "
                                 "due_date = ?5, tags = ?6, completed_at = ?7, updated_at = ?8 WHERE seq = ?9";
static const char SQL_COUNTS[] = "SELECT status, priority, n FROM task_counts WHERE user_id = ?1";
static const char SQL_OPEN_DUE[] = "SELECT count(*) FROM tasks WHERE user_id = ?1 AND status != 2 AND due_date IS NOT "
                                   "NULL AND due_date >= ?2 AND due_date < ?3";
static const char SQL_COMPLETED_SINCE[] = "SELECT count(*) FROM tasks WHERE user_id = ?1 AND completed_at IS NOT NULL "
                                          "AND completed_at >= ?2";

/* Addresses used as statement-cache keys, one per statement shape. */
static const char list_keys[STORE_TASK_Q_SHAPES * STORE_TASK_SORTS * 2 * 2];
static const char count_keys[STORE_TASK_Q_SHAPES];

static void bind_time(sqlite3_stmt *st, int i, int64_t ms)
{
    if (ms == STORE_TIME_NONE)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, ms);
}

static int64_t column_time(sqlite3_stmt *st, int i)
{
    return sqlite3_column_type(st, i) == SQLITE_NULL ? STORE_TIME_NONE : sqlite3_column_int64(st, i);
}

/* An id column into its fixed buffer (cut at CORE_UUID_LEN: ours always fit). */
static void copy_id(char out[CORE_UUID_LEN + 1], const char *text, size_t len)
{
    if (text == NULL)
        len = 0;
    if (len > CORE_UUID_LEN)
        len = CORE_UUID_LEN;
    memcpy(out, text != NULL ? text : "", len);
    out[len] = '\0';
}

void store_sqlite_task_read(core_pool_t *pool, sqlite3_stmt *st, store_task_t *t)
{
    const char *id = (const char *)sqlite3_column_text(st, 0), *uid = (const char *)sqlite3_column_text(st, 1);

    memset(t, 0, sizeof(*t));
    copy_id(t->id, id, (size_t)sqlite3_column_bytes(st, 0));
    copy_id(t->user_id, uid, (size_t)sqlite3_column_bytes(st, 1));
    t->title = store_sqlite_column_str(pool, st, 2);
    t->description = store_sqlite_column_str(pool, st, 3);
    t->status = sqlite3_column_int(st, 4);
    t->priority = sqlite3_column_int(st, 5);
    t->due_date = column_time(st, 6);
    store_task_tags_decode(pool, (const char *)sqlite3_column_text(st, 7), t);
    t->completed_at = column_time(st, 8);
    t->created_at = sqlite3_column_int64(st, 9);
    t->updated_at = sqlite3_column_int64(st, 10);
}

/* Bind the writable columns of t from parameter `first` on (title first). */
static void bind_fields(sqlite3_stmt *st, int first, const store_task_t *t, const char *tags)
{
    sqlite3_bind_text(st, first, t->title, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, first + 1, t->description, -1, SQLITE_STATIC);
    sqlite3_bind_int(st, first + 2, t->status);
    sqlite3_bind_int(st, first + 3, t->priority);
    bind_time(st, first + 4, t->due_date);
    sqlite3_bind_text(st, first + 5, tags, -1, SQLITE_STATIC);
    bind_time(st, first + 6, t->completed_at);
}

/* Stamp t (store_task_stamp) after user's latest task; inside the write
 * transaction, so ids follow commit order even across processes. */
static int stamp(store_sqlite_t *s, store_task_t *t)
{
    sqlite3_stmt *st;
    int rc;

    if (t->id[0] != '\0')
        return CORE_OK;
    if ((rc = store_sqlite_prepare(s, SQL_LAST_ID, &st)) != CORE_OK)
        return rc;
    sqlite3_bind_text(st, 1, t->user_id, -1, SQLITE_STATIC);
    if ((rc = store_sqlite_step_row(s, st, "task last id")) == CORE_OK) {
        store_task_stamp(t, (const char *)sqlite3_column_text(st, 0));
        store_sqlite_reset(st);
    } else if (rc == CORE_E_NOT_FOUND) {
        store_task_stamp(t, NULL);
        rc = CORE_OK;
    }
    return rc;
}

int store_sqlite_task_create(store_t *base, store_task_t *t)
{
    store_sqlite_t *s = store_sqlite_of(base);
    sqlite3_stmt *st;
    char *tags = store_task_tags_encode(t);
    int rc;

    if ((rc = store_sqlite_begin(s)) != CORE_OK)
        goto out;
    if ((rc = stamp(s, t)) != CORE_OK || (rc = store_sqlite_prepare(s, SQL_INSERT, &st)) != CORE_OK)
        goto fail;
    sqlite3_bind_text(st, 1, t->id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, t->user_id, -1, SQLITE_STATIC);
    bind_fields(st, 3, t, tags);
    sqlite3_bind_int64(st, 10, t->created_at);
    sqlite3_bind_int64(st, 11, t->updated_at);
    if ((rc = store_sqlite_step_done(s, st, "task create", NULL)) != CORE_OK)
        goto fail;
    rc = store_sqlite_commit(s);
    goto out;
fail:
    store_sqlite_rollback(s);
out:
    free(tags);
    return rc;
}

/* Find id of user_id; the statement is left on the row (seq in column 11). */
static int find(store_sqlite_t *s, const char *user_id, const char *id, sqlite3_stmt **st)
{
    int rc = store_sqlite_prepare(s, SQL_GET, st);
    if (rc != CORE_OK)
        return rc;
    sqlite3_bind_text(*st, 1, id, -1, SQLITE_STATIC);
    sqlite3_bind_text(*st, 2, user_id, -1, SQLITE_STATIC);
    return store_sqlite_step_row(s, *st, "task get");
}

int store_sqlite_task_get(store_t *base, core_pool_t *pool, const char *user_id, const char *id, store_task_t *out)
{
    store_sqlite_t *s = store_sqlite_of(base);
    sqlite3_stmt *st;
    int rc = find(s, user_id, id, &st);

    if (rc == CORE_OK) {
        store_sqlite_task_read(pool, st, out);
        store_sqlite_reset(st);
    }
    return rc;
}

int store_sqlite_task_update(store_t *base, core_pool_t *pool, const char *user_id, const char *id,
                             const store_task_patch_t *patch, int64_t now_ms, store_task_t *out)
{
    store_sqlite_t *s = store_sqlite_of(base);
    sqlite3_stmt *st;
    char *tags = NULL;
    int64_t seq;
    int rc;

    if ((rc = store_sqlite_begin(s)) != CORE_OK)
        return rc;
    if ((rc = find(s, user_id, id, &st)) != CORE_OK)
        goto fail;
    store_sqlite_task_read(pool, st, out);
    seq = sqlite3_column_int64(st, 11);
    store_sqlite_reset(st);
    store_task_patch_apply(out, patch, now_ms);
    tags = store_task_tags_encode(out);
    if ((rc = store_sqlite_prepare(s, SQL_UPDATE, &st)) != CORE_OK)
        goto fail;
    bind_fields(st, 1, out, tags);
    sqlite3_bind_int64(st, 8, out->updated_at);
    sqlite3_bind_int64(st, 9, seq);
    if ((rc = store_sqlite_step_done(s, st, "task update", NULL)) != CORE_OK)
        goto fail;
    rc = store_sqlite_commit(s);
    free(tags);
    return rc;
fail:
    store_sqlite_rollback(s);
    free(tags);
    return rc;
}

/* Lists. */

static int list_statement(store_sqlite_t *s, const store_task_query_t *q, sqlite3_stmt **st)
{
    size_t idx = ((store_task_sql_filters(q) * STORE_TASK_SORTS + (size_t)q->sort) * 2 + q->desc) * 2 +
                 (q->after != NULL);
    char *sql;
    int rc;

    if ((rc = store_sqlite_prepare_keyed(s, &list_keys[idx], NULL, st)) != CORE_OK || *st != NULL)
        return rc;
    if ((rc = store_task_sql_list(STORE_TASK_SQL_SQLITE, q, false, &sql)) != CORE_OK)
        return rc;
    rc = store_sqlite_prepare_keyed(s, &list_keys[idx], sql, st);
    store_task_sql_free(sql);
    return rc;
}

static void bind_filters(sqlite3_stmt *st, const store_task_query_t *q, const char *match)
{
    sqlite3_bind_text(st, STORE_TASK_P_USER, q->user_id, -1, SQLITE_STATIC);
    if (q->status >= 0)
        sqlite3_bind_int(st, STORE_TASK_P_STATUS, q->status);
    if (q->priority >= 0)
        sqlite3_bind_int(st, STORE_TASK_P_PRIORITY, q->priority);
    if (q->tag != NULL)
        sqlite3_bind_text(st, STORE_TASK_P_TAG, q->tag, -1, SQLITE_STATIC);
    if (match != NULL)
        sqlite3_bind_text(st, STORE_TASK_P_SEARCH, match, -1, SQLITE_STATIC);
    if (q->due_before != STORE_TIME_NONE)
        sqlite3_bind_int64(st, STORE_TASK_P_DUE_BEFORE, q->due_before);
    if (q->due_after != STORE_TIME_NONE)
        sqlite3_bind_int64(st, STORE_TASK_P_DUE_AFTER, q->due_after);
}

/* Tasks matching q's filters: from the counters when they can answer. */
static int count(store_sqlite_t *s, const store_task_query_t *q, const char *match, int64_t *total)
{
    const void *key = &count_keys[store_task_sql_filters(q)];
    char *sql;
    sqlite3_stmt *st;
    int rc;

    if ((rc = store_sqlite_prepare_keyed(s, key, NULL, &st)) != CORE_OK)
        return rc;
    if (st == NULL) {
        if ((rc = store_task_sql_count(STORE_TASK_SQL_SQLITE, q, &sql)) != CORE_OK)
            return rc;
        rc = store_sqlite_prepare_keyed(s, key, sql, &st);
        store_task_sql_free(sql);
        if (rc != CORE_OK)
            return rc;
    }
    bind_filters(st, q, match);
    if ((rc = store_sqlite_step_row(s, st, "task count")) != CORE_OK)
        return rc;
    *total = sqlite3_column_int64(st, 0);
    store_sqlite_reset(st);
    return CORE_OK;
}

/* Bind q's cursor, or its offset, and a limit of `limit` rows. */
static void bind_page(sqlite3_stmt *st, const store_task_query_t *q, int64_t offset, int64_t limit)
{
    if (q->after != NULL) {
        if (q->sort == STORE_SORT_TITLE)
            sqlite3_bind_text(st, STORE_TASK_P_KEY, q->after->text, -1, SQLITE_STATIC);
        else if (q->sort != STORE_SORT_CREATED_AT)
            sqlite3_bind_int64(st, STORE_TASK_P_KEY, q->after->num);
        sqlite3_bind_text(st, STORE_TASK_P_ID, q->after->id, -1, SQLITE_STATIC);
    } else {
        sqlite3_bind_int64(st, STORE_TASK_P_OFFSET, offset);
    }
    sqlite3_bind_int64(st, STORE_TASK_P_LIMIT, limit);
}

/* How many of the user's rows a search walks at most, in list order, before
 * it lets the full-text index list the matches instead (see search_walk()). */
#define WALK_MAX_ROWS 4096

/* The user's task count, from the counters. */
static int user_tasks(store_sqlite_t *s, const char *user_id, int64_t *n)
{
    static const char sql[] = "SELECT coalesce(sum(n), 0) FROM task_counts WHERE user_id = ?1";
    sqlite3_stmt *st;
    int rc = store_sqlite_prepare(s, sql, &st);

    if (rc != CORE_OK)
        return rc;
    sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
    if ((rc = store_sqlite_step_row(s, st, "task count")) != CORE_OK)
        return rc;
    *n = sqlite3_column_int64(st, 0);
    store_sqlite_reset(st);
    return CORE_OK;
}

/* A search's page without asking the index which tasks match: walk the
 * user's tasks (with q's other filters) in the list's order from q's cursor
 * or the start, test each row (search.c), skip q->offset matches and stop
 * after limit + 1. For a word in a good share of the tasks that reads a few
 * rows per match, whatever the number of matches; the index would have
 * listed, then sorted, every one. Walks only when the share (total matches
 * of the user's tasks) says that is cheaper, and gives up past a budget of
 * rows (*done false, out emptied): the matches may lie further along. */
static int search_walk(store_sqlite_t *s, core_pool_t *pool, const store_task_query_t *q, store_sqlite_search_t *x,
                int64_t total, store_task_page_t *out, bool *done)
{
    store_task_query_t plain = *q;
    int64_t tasks, need = (q->after != NULL ? 0 : q->offset) + (int64_t)q->limit + 1, expected, skip, budget, rows = 0;
    sqlite3_stmt *st;
    int rc, step;

    *done = false;
    if (total <= 0 || !store_sqlite_search_testable(x) || (rc = user_tasks(s, q->user_id, &tasks)) != CORE_OK)
        return CORE_OK;
    /* Listing the index's matches costs an intersection with the owner's
     * postings, a row lookup per match and a sort; the walk reads rows in
     * order and rules most out with a substring test, `need` matches in.
     * Measured on the bench's file, a match listed costs about four rows
     * walked: walk when the share predicts fewer rows than that. Then allow
     * twice the rows predicted, and some (matches are not spread evenly). */
    if (need > tasks) /* a page past the end (and no overflow below) */
        return CORE_OK;
    expected = need * tasks / total;
    budget = 2 * expected + 64;
    if (expected >= 4 * total || budget > WALK_MAX_ROWS)
        return CORE_OK;
    plain.search = NULL;
    if ((rc = list_statement(s, &plain, &st)) != CORE_OK)
        return rc;
    bind_filters(st, &plain, NULL);
    bind_page(st, &plain, 0, budget);
    skip = q->after != NULL ? 0 : q->offset;
    trace_child_t span = trace_child_begin(); /* the whole walk: its rows are read here, not by step_row */
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        rows++;
        if (!store_sqlite_search_matches(x, (const char *)sqlite3_column_text(st, 2),
                                         (const char *)sqlite3_column_text(st, 3),
                                         (const char *)sqlite3_column_text(st, 7)))
            continue;
        if (skip > 0) {
            skip--;
        } else if (out->len == q->limit) {
            out->more = true;
            break;
        } else {
            store_sqlite_task_read(pool, st, &out->tasks[out->len++]);
        }
    }
    trace_child_end_db(&span, "sqlite", "task search walk", sqlite3_sql(st), step != SQLITE_ROW && step != SQLITE_DONE);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = store_sqlite_fail(s, step, "task search walk");
    store_sqlite_reset(st);
    /* a page filled, or every row of the user's seen */
    *done = rc == CORE_OK && (out->more || rows < budget);
    if (!*done) {
        out->len = 0;
        out->more = false;
    }
    return rc;
}

int store_sqlite_task_list(store_t *base, core_pool_t *pool, const store_task_query_t *q, store_task_page_t *out)
{
    store_sqlite_t *s = store_sqlite_of(base);
    store_sqlite_search_t *x = NULL;
    const char *match = NULL;
    sqlite3_stmt *st = NULL;
    bool done = false;
    int rc, step;

    memset(out, 0, sizeof(*out));
    if (q->search != NULL) {
        if ((rc = store_sqlite_search_compile(s, q->user_id, q->search, &x)) != CORE_OK || x == NULL)
            return rc; /* out of memory, or nothing searchable in the text: nothing matches */
        match = store_sqlite_search_expr(x);
    }
    if ((rc = store_sqlite_read_begin(s)) != CORE_OK)
        goto out;
    if (q->known_total != NULL)
        out->total = *q->known_total;
    else if ((rc = count(s, q, match, &out->total)) != CORE_OK)
        goto end;
    out->tasks = core_pool_alloc(pool, (q->limit + 1) * sizeof(*out->tasks));
    if (x != NULL && ((rc = search_walk(s, pool, q, x, out->total, out, &done)) != CORE_OK || done))
        goto end;
    if ((rc = list_statement(s, q, &st)) != CORE_OK)
        goto end;
    bind_filters(st, q, match);
    bind_page(st, q, q->offset, (int64_t)q->limit + 1);
    trace_child_t span = trace_child_begin();
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->len == q->limit) {
            out->more = true;
            break;
        }
        store_sqlite_task_read(pool, st, &out->tasks[out->len++]);
    }
    trace_child_end_db(&span, "sqlite", "task list", sqlite3_sql(st), step != SQLITE_ROW && step != SQLITE_DONE);
    if (step != SQLITE_ROW && step != SQLITE_DONE)
        rc = store_sqlite_fail(s, step, "task list");
    store_sqlite_reset(st);
end:
    store_sqlite_read_end(s);
out:
    store_sqlite_search_free(x);
    return rc;
}

static int count_between(store_sqlite_t *s, const char *sql, const char *user_id, int64_t from, int64_t to,
                         int64_t *n)
{
    sqlite3_stmt *st;
    int rc = store_sqlite_prepare(s, sql, &st);

    if (rc != CORE_OK)
        return rc;
    sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, from);
    if (to != STORE_TIME_NONE)
        sqlite3_bind_int64(st, 3, to);
    if ((rc = store_sqlite_step_row(s, st, "task stats")) != CORE_OK)
        return rc;
    *n = sqlite3_column_int64(st, 0);
    store_sqlite_reset(st);
    return CORE_OK;
}

int store_sqlite_task_stats(store_t *base, const char *user_id, int64_t now_ms, store_task_stats_t *out)
{
    store_sqlite_t *s = store_sqlite_of(base);
    const int64_t day = 86400000, day_start = now_ms - now_ms % day;
    sqlite3_stmt *st;
    int rc, step;

    memset(out, 0, sizeof(*out));
    if ((rc = store_sqlite_read_begin(s)) != CORE_OK)
        return rc;
    if ((rc = store_sqlite_prepare(s, SQL_COUNTS, &st)) != CORE_OK)
        goto end;
    sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int status = sqlite3_column_int(st, 0), priority = sqlite3_column_int(st, 1);
        int64_t n = sqlite3_column_int64(st, 2);
        if (status < 0 || status >= STORE_TASK_STATUSES || priority < 0 || priority >= STORE_TASK_PRIORITIES)
            continue;
        out->by_status[status] += n;
        out->by_priority[priority] += n;
        out->total += n;
    }
    if (step != SQLITE_DONE)
        rc = store_sqlite_fail(s, step, "task stats");
    store_sqlite_reset(st);
    if (rc == CORE_OK)
        rc = count_between(s, SQL_OPEN_DUE, user_id, INT64_MIN + 1, now_ms, &out->overdue);
    if (rc == CORE_OK)
        rc = count_between(s, SQL_OPEN_DUE, user_id, day_start, day_start + day, &out->due_today);
    if (rc == CORE_OK)
        rc = count_between(s, SQL_COMPLETED_SINCE, user_id, now_ms - 7 * day, STORE_TIME_NONE,
                           &out->completed_last_7_days);
end:
    store_sqlite_read_end(s);
    return rc;
}
