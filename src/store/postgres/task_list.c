/*
 * This file implements task lists for the PostgreSQL backend with the
 * filters, sorts and keyset semantics of sqlite/task.c: the SQL of both
 * comes from the one builder (store/task_sql.c), which picks the index that
 * serves each shape (every one leads with user_id) and takes the total from
 * task_counts unless a filter the counters cannot answer is present.
 *
 * A page is one statement and one round trip: the total rides along as a
 * last column computed by a scalar subquery (an InitPlan, run once), so the
 * count and the rows share the statement's snapshot and agree without a
 * transaction. Only a page with no rows runs the count again on its own,
 * and a query whose total the caller knows (api/cache.h) counts nothing.
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
#include <string.h>

#include "core/error.h"
#include "store/postgres/postgres.h"

#define NPARAMS STORE_TASK_P_COUNT

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
    p->v[STORE_TASK_P_USER - 1] = q->user_id;
    if (q->status >= 0)
        p->v[STORE_TASK_P_STATUS - 1] = store_pg_i64(p->status, q->status);
    if (q->priority >= 0)
        p->v[STORE_TASK_P_PRIORITY - 1] = store_pg_i64(p->priority, q->priority);
    p->v[STORE_TASK_P_TAG - 1] = q->tag;
    p->v[STORE_TASK_P_SEARCH - 1] = q->search;
    p->v[STORE_TASK_P_DUE_BEFORE - 1] = store_pg_time(p->before, q->due_before);
    p->v[STORE_TASK_P_DUE_AFTER - 1] = store_pg_time(p->after, q->due_after);
    if (q->after != NULL) {
        if (q->sort == STORE_SORT_TITLE) {
            p->types[STORE_TASK_P_KEY - 1] = STORE_PG_TEXT;
            p->v[STORE_TASK_P_KEY - 1] = q->after->text != NULL ? q->after->text : "";
        } else {
            p->v[STORE_TASK_P_KEY - 1] = store_pg_i64(p->key, q->after->num);
        }
        p->v[STORE_TASK_P_ID - 1] = q->after->id;
    }
    p->v[STORE_TASK_P_LIMIT - 1] = store_pg_i64(p->limit, (int64_t)q->limit + 1);
    p->v[STORE_TASK_P_OFFSET - 1] = store_pg_i64(p->offset, q->offset);
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
    char *sql = NULL;
    params_t p;
    store_pg_conn_t *c;
    PGresult *res = NULL;
    int rc, rows;

    memset(out, 0, sizeof(*out));
    params_fill(&p, q);
    if ((rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_READ, q->user_id, &c)) != CORE_OK)
        return rc;
    if ((rc = store_task_sql_list(STORE_TASK_SQL_POSTGRES, q, q->known_total == NULL, &sql)) != CORE_OK)
        goto out;
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
    if (q->known_total != NULL) { /* the caller's count (a cached one): no need to count again */
        out->total = *q->known_total;
        goto out;
    }
    if (rows > 0) {
        out->total = store_pg_get_i64(res, 0, STORE_PG_TASK_NCOLUMNS);
        goto out;
    }
    PQclear(res);
    res = NULL;
    store_task_sql_free(sql);
    if ((rc = store_task_sql_count(STORE_TASK_SQL_POSTGRES, q, &sql)) != CORE_OK)
        goto out;
    if ((rc = run(c, q, sql, &p, "task count", &res)) != CORE_OK)
        goto out;
    out->total = store_pg_get_i64(res, 0, 0);
out:
    PQclear(res);
    store_task_sql_free(sql);
    if (rc != CORE_OK) {
        out->len = 0;
        out->more = false;
    }
    store_pg_release(c);
    return rc;
}
