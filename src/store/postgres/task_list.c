/*
 * This file implements task lists for the PostgreSQL backend with the
 * filters, sorts and keyset semantics of sqlite/task.c. The SQL is built
 * from the filters present, so each shape gets the index that serves it
 * (every one leads with user_id); the total comes from task_counts unless a
 * filter the counters cannot answer is present. Search text goes to
 * lsf_search_query() (migration 0002) as a plain parameter: it is split
 * into words and tokenized there, and never parsed as tsquery syntax.
 *
 * A page is one statement and one round trip: the total rides along as a
 * last column computed by a scalar subquery (an InitPlan, run once), so the
 * count and the rows share the statement's snapshot and agree without a
 * transaction. Only a page with no rows runs the count again on its own.
 * Statements are prepared per connection and run with their generic plan
 * (conn.c): the unit test EXPLAINs every shape with plan_cache_mode =
 * force_generic_plan, and each keeps its (user_id, ...) index. Searches are
 * the exception and are planned afresh with their words: in a generic plan
 * lsf_search_query($5), an inlined SQL function, is no constant and is
 * evaluated again for every row the index returns (7.5 ms against 1.9 ms
 * for a custom plan, 5,000 matching tasks), and the planner cannot weigh a
 * rare word against a common one; the parse and plan (about 1 ms, most of
 * it folding lsf_search_query) is small next to the full-text match.
 */
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "store/postgres/postgres.h"

/* Parameter numbers of list and count statements. */
enum { P_USER = 1, P_STATUS, P_PRIORITY, P_TAG, P_SEARCH, P_DUE_BEFORE, P_DUE_AFTER, P_KEY, P_ID, P_LIMIT, P_OFFSET };
#define NPARAMS P_OFFSET

enum { F_STATUS = 1, F_PRIORITY = 2, F_TAG = 4, F_SEARCH = 8, F_DUE_BEFORE = 16, F_DUE_AFTER = 32 };
#define SORTS 5

static unsigned filters_of(const store_task_query_t *q)
{
    return (q->status >= 0 ? F_STATUS : 0) | (q->priority >= 0 ? F_PRIORITY : 0) | (q->tag != NULL ? F_TAG : 0) |
           (q->search != NULL ? F_SEARCH : 0) | (q->due_before != STORE_TIME_NONE ? F_DUE_BEFORE : 0) |
           (q->due_after != STORE_TIME_NONE ? F_DUE_AFTER : 0);
}

static size_t append(char *buf, size_t cap, size_t len, const char *text)
{
    size_t n = strlen(text);
    if (len + n < cap) {
        memcpy(buf + len, text, n + 1);
        len += n;
    }
    return len;
}

static size_t where_clause(char *buf, size_t cap, size_t len, unsigned f)
{
    len = append(buf, cap, len, " WHERE user_id = $1");
    if (f & F_STATUS)
        len = append(buf, cap, len, " AND status = $2");
    if (f & F_PRIORITY)
        len = append(buf, cap, len, " AND priority = $3");
    if (f & F_TAG)
        len = append(buf, cap, len, " AND tags @> ARRAY[$4]");
    if (f & F_SEARCH)
        len = append(buf, cap, len, " AND search @@ lsf_search_query($5)");
    if (f & F_DUE_BEFORE)
        len = append(buf, cap, len, " AND due_date < $6");
    if (f & F_DUE_AFTER)
        len = append(buf, cap, len, " AND due_date > $7");
    return len;
}

/* The sort key of each sort; created_at order is id order (UUIDv7). Title
 * folds ASCII case only, like SQLite's NOCASE, bytewise beyond that. */
static const char *const sort_keys[SORTS] = {NULL, "updated_at", "due_sort", "priority", "lower(title COLLATE \"C\")"};

/* The list, with the total as an extra last column when with_total. */
static void list_sql(const store_task_query_t *q, bool with_total, char *sql, size_t cap)
{
    const char *key = sort_keys[q->sort], *dir = q->desc ? " DESC" : "", *cmp = q->desc ? "<" : ">";
    size_t len = append(sql, cap, 0, "SELECT " STORE_PG_TASK_COLUMNS);
    char tail[256];

    if (with_total) {
        len = append(sql, cap, len, ", (");
        store_pg_task_count_sql(q, sql + len, cap - len);
        len = append(sql, cap, len + strlen(sql + len), ") AS total");
    }
    len = where_clause(sql, cap, append(sql, cap, len, " FROM tasks"), filters_of(q));

    /* priority fixed by the filter: id order is the order, and (user_id, priority, id) serves it */
    if (q->sort == STORE_SORT_PRIORITY && q->priority >= 0)
        key = NULL;
    if (q->after != NULL && q->sort == STORE_SORT_TITLE)
        snprintf(tail, sizeof(tail), " AND (%s, id) %s (lower($8 COLLATE \"C\"), $9) ORDER BY %s%s, id%s LIMIT $10",
                 key, cmp, key, dir, dir);
    else if (q->after != NULL && key != NULL)
        snprintf(tail, sizeof(tail), " AND (%s, id) %s ($8, $9) ORDER BY %s%s, id%s LIMIT $10", key, cmp, key, dir,
                 dir);
    else if (q->after != NULL)
        snprintf(tail, sizeof(tail), " AND id %s $9 ORDER BY id%s LIMIT $10", cmp, dir);
    else if (key != NULL)
        snprintf(tail, sizeof(tail), " ORDER BY %s%s, id%s LIMIT $10 OFFSET $11", key, dir, dir);
    else
        snprintf(tail, sizeof(tail), " ORDER BY id%s LIMIT $10 OFFSET $11", dir);
    append(sql, cap, len, tail);
}

void store_pg_task_list_sql(const store_task_query_t *q, char *sql, size_t cap)
{
    list_sql(q, false, sql, cap);
}

void store_pg_task_page_sql(const store_task_query_t *q, char *sql, size_t cap)
{
    list_sql(q, true, sql, cap);
}

void store_pg_task_count_sql(const store_task_query_t *q, char *sql, size_t cap)
{
    unsigned f = filters_of(q);

    if ((f & ~(unsigned)(F_STATUS | F_PRIORITY)) == 0)
        where_clause(sql, cap, append(sql, cap, 0, "SELECT coalesce(sum(n), 0) FROM task_counts"), f);
    else
        where_clause(sql, cap, append(sql, cap, 0, "SELECT count(*) FROM tasks"), f);
}

typedef struct params {
    const char *v[NPARAMS];
    unsigned types[NPARAMS];
    char status[24], priority[24], before[24], after[24], key[24], limit[24], offset[24];
} params_t;

/* Every parameter typed (unused ones too, so PostgreSQL never has to guess). */
static void params_fill(params_t *p, const store_task_query_t *q)
{
    static const unsigned types[NPARAMS] = {STORE_PG_TEXT, STORE_PG_INT4, STORE_PG_INT4, STORE_PG_TEXT,
                                            STORE_PG_TEXT, STORE_PG_INT8, STORE_PG_INT8, STORE_PG_INT8,
                                            STORE_PG_TEXT, STORE_PG_INT8, STORE_PG_INT8};

    memset(p->v, 0, sizeof(p->v));
    memcpy(p->types, types, sizeof(types));
    p->v[P_USER - 1] = q->user_id;
    if (q->status >= 0)
        p->v[P_STATUS - 1] = store_pg_i64(p->status, q->status);
    if (q->priority >= 0)
        p->v[P_PRIORITY - 1] = store_pg_i64(p->priority, q->priority);
    p->v[P_TAG - 1] = q->tag;
    p->v[P_SEARCH - 1] = q->search;
    p->v[P_DUE_BEFORE - 1] = store_pg_time(p->before, q->due_before);
    p->v[P_DUE_AFTER - 1] = store_pg_time(p->after, q->due_after);
    if (q->after != NULL) {
        if (q->sort == STORE_SORT_TITLE) {
            p->types[P_KEY - 1] = STORE_PG_TEXT;
            p->v[P_KEY - 1] = q->after->text != NULL ? q->after->text : "";
        } else {
            p->v[P_KEY - 1] = store_pg_i64(p->key, q->after->num);
        }
        p->v[P_ID - 1] = q->after->id;
    }
    p->v[P_LIMIT - 1] = store_pg_i64(p->limit, (int64_t)q->limit + 1);
    p->v[P_OFFSET - 1] = store_pg_i64(p->offset, q->offset);
}

/* sql with the parameters of p; searches unprepared (see the top). */
static int run(store_pg_conn_t *c, const store_task_query_t *q, const char *sql, const params_t *p, const char *op,
               PGresult **res)
{
    if (q->search != NULL)
        return store_pg_query_unprepared(c, sql, NPARAMS, p->v, p->types, op, res);
    return store_pg_query(c, sql, NPARAMS, p->v, p->types, op, false, NULL, res);
}

int store_pg_task_list(store_t *base, core_pool_t *pool, const store_task_query_t *q, store_task_page_t *out)
{
    char sql[2048];
    params_t p;
    store_pg_conn_t *c;
    PGresult *res = NULL;
    int rc, rows;

    memset(out, 0, sizeof(*out));
    params_fill(&p, q);
    if ((rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_READ, q->user_id, &c)) != CORE_OK)
        return rc;
    store_pg_task_page_sql(q, sql, sizeof(sql));
    if ((rc = run(c, q, sql, &p, "task list", &res)) != CORE_OK)
        goto out;
    rows = PQntuples(res);
    out->tasks = core_pool_alloc(pool, (q->limit + 1) * sizeof(*out->tasks));
    for (int i = 0; i < rows; i++) {
        if (out->len == q->limit) {
            out->more = true;
            break;
        }
        store_pg_task_read(pool, res, i, &out->tasks[out->len++]);
    }
    if (rows > 0) {
        out->total = store_pg_get_i64(res, 0, STORE_PG_TASK_NCOLUMNS);
        goto out;
    }
    PQclear(res);
    res = NULL;
    store_pg_task_count_sql(q, sql, sizeof(sql));
    if ((rc = run(c, q, sql, &p, "task count", &res)) != CORE_OK)
        goto out;
    out->total = store_pg_get_i64(res, 0, 0);
out:
    PQclear(res);
    if (rc != CORE_OK) {
        out->len = 0;
        out->more = false;
    }
    store_pg_release(c);
    return rc;
}
