/*
 * This file implements the PostgreSQL session behind a store_t: opening one
 * (a handle on the process-wide cluster of pool.c, no connection yet), the
 * ops table store_open() hands out, and the helpers every other file of
 * src/store/postgres/ builds its operations from: running a statement with
 * text parameters, transactions, and the mapping of failures onto CORE_E_*
 * codes (a lost server or a statement timeout is CORE_E_UNAVAILABLE, a
 * constraint is the 4xx of store_pg_constraint_code(), or CORE_E_CONFLICT
 * for a caller that expects one and reads the SQLSTATE, the rest is ours and
 * CORE_E_INTERNAL). Server messages are logged by their primary text only:
 * the DETAIL of a constraint error would carry user data such as an email.
 * Each statement is a child span of the request being traced
 * (trace/scope.h), named by its op ("task get"), blocking or on a fiber.
 *
 * store_pg_query() prepares each distinct statement (SQL text and parameter
 * types) once per session and then only binds and executes it, saving the
 * server the parse and the plan. The cache hangs on the PGconn as libpq
 * instance data (libpq-events.h), so it is freed by the PQfinish() of
 * pool.c and a connection that replaces a closed one starts empty. It is
 * bounded: past STMT_MAX statements a session runs new ones unnamed.
 * Prepared statements are session objects, untouched by ROLLBACK.
 *
 * Left to plan_cache_mode = auto, PostgreSQL kept planning a list page
 * afresh on every execution (measured: as slow as unnamed statements), as
 * the generic plan of "LIMIT $10 OFFSET $11" looks dearer than a custom one
 * for LIMIT 11. Our statements are shaped so that the generic plan is the
 * right one (each filter and sort combination is its own statement, every
 * one served by a (user_id, ...) index: test_postgres_task.c EXPLAINs them
 * all with force_generic_plan), so a session runs prepared statements with
 * plan_cache_mode = force_generic_plan: a page then costs 0.3-0.4x of the
 * PostgreSQL CPU of auto. store_pg_query_unprepared() is for the statements
 * whose plan must see the values (searches): it puts the session back to
 * auto first, where a one-time statement always gets a custom plan. The
 * mode is switched only outside a transaction (a ROLLBACK would undo it
 * behind our back); inside one the statement runs in whatever mode the
 * session is in, which changes its speed, never its result.
 */
#include <inttypes.h>
#include <libpq-events.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/mem.h"
#include "store/postgres/postgres.h"
#include "trace/scope.h"

/* SQLSTATE classes and codes that mean "not now" rather than "a bug". */
static bool sqlstate_unavailable(const char *st)
{
    return strncmp(st, "08", 2) == 0 ||     /* connection exception */
           strncmp(st, "57P", 3) == 0 ||    /* admin shutdown, crash shutdown, cannot connect now */
           strcmp(st, "57014") == 0 ||      /* query canceled: statement_timeout */
           strcmp(st, "53300") == 0 ||      /* too many connections */
           strcmp(st, "40001") == 0 ||      /* serialization failure */
           strcmp(st, "40P01") == 0 ||      /* deadlock detected */
           strcmp(st, "55P03") == 0 ||      /* lock not available */
           strcmp(st, "25006") == 0;        /* read-only transaction: a replica promoted away */
}

/* The statements a session has prepared, named "lsf_<index>". */
#define STMT_MAX 256

typedef struct stmt {
    uint64_t hash; /* of the SQL text and the parameter types */
    int n;
    unsigned *types; /* n OIDs, or NULL */
    char *sql;
} stmt_t;

typedef struct stmt_cache {
    size_t len;
    bool generic; /* the session has plan_cache_mode = force_generic_plan */
    stmt_t s[STMT_MAX];
} stmt_cache_t;

static void stmt_cache_clear(stmt_cache_t *sc)
{
    for (size_t i = 0; sc != NULL && i < sc->len; i++) {
        free(sc->s[i].types);
        free(sc->s[i].sql);
    }
    if (sc != NULL) {
        sc->len = 0;
        sc->generic = false;
    }
}

/* libpq calls this on PQfinish() and PQreset() of a registered session. */
static int stmt_events(PGEventId id, void *info, void *pass)
{
    (void)pass;
    if (id == PGEVT_CONNDESTROY) {
        stmt_cache_t *sc = PQinstanceData(((PGEventConnDestroy *)info)->conn, stmt_events);
        stmt_cache_clear(sc);
        free(sc);
    } else if (id == PGEVT_CONNRESET) {
        stmt_cache_clear(PQinstanceData(((PGEventConnReset *)info)->conn, stmt_events));
    }
    return 1;
}

/* The cache of pg's session, made on first use; NULL if libpq refused. */
static stmt_cache_t *stmt_cache_of(PGconn *pg)
{
    stmt_cache_t *sc = PQinstanceData(pg, stmt_events);

    if (sc == NULL && PQregisterEventProc(pg, stmt_events, "lsf statements", NULL)) {
        sc = core_calloc(1, sizeof(*sc));
        if (!PQsetInstanceData(pg, stmt_events, sc)) {
            free(sc);
            sc = NULL;
        }
    }
    return sc;
}

/* FNV-1a over the text and the types. */
static uint64_t stmt_hash(const char *sql, int n, const unsigned *types)
{
    uint64_t h = 14695981039346656037u;

    for (const unsigned char *p = (const unsigned char *)sql; *p != '\0'; p++)
        h = (h ^ *p) * 1099511628211u;
    for (int i = 0; types != NULL && i < n; i++)
        h = (h ^ types[i]) * 1099511628211u;
    return h;
}

static bool stmt_matches(const stmt_t *st, uint64_t h, const char *sql, int n, const unsigned *types)
{
    if (st->hash != h || st->n != n || (st->types == NULL) != (types == NULL))
        return false;
    if (types != NULL && n > 0 && memcmp(st->types, types, (size_t)n * sizeof(*types)) != 0)
        return false;
    return strcmp(st->sql, sql) == 0;
}

int store_pg_stmt_name(PGconn *pg, const char *sql, int n, const unsigned *types, char name[24], bool *is_new)
{
    stmt_cache_t *sc = stmt_cache_of(pg);
    uint64_t h = stmt_hash(sql, n, types);
    size_t i = 0;

    *is_new = false;
    if (sc == NULL)
        return CORE_E_UNAVAILABLE;
    while (i < sc->len && !stmt_matches(&sc->s[i], h, sql, n, types))
        i++;
    if (i == STMT_MAX)
        return CORE_E_UNAVAILABLE;
    snprintf(name, 24, "lsf_%zu", i);
    if (i == sc->len) {
        sc->s[i].hash = h;
        sc->s[i].n = n;
        sc->s[i].types = NULL;
        if (types != NULL && n > 0) {
            sc->s[i].types = core_calloc((size_t)n, sizeof(*types));
            memcpy(sc->s[i].types, types, (size_t)n * sizeof(*types));
        }
        sc->s[i].sql = core_strdup(sql);
        sc->len++;
        *is_new = true;
    }
    return CORE_OK;
}

void store_pg_stmt_forget(PGconn *pg, const char *name)
{
    stmt_cache_t *sc = PQinstanceData(pg, stmt_events);
    size_t i;

    /* the slot stays taken, matching nothing: names are indexes */
    if (sc != NULL && sscanf(name, "lsf_%zu", &i) == 1 && i < sc->len) {
        sc->s[i].hash = 0;
        sc->s[i].sql[0] = '\0';
    }
}

void store_pg_conn_prepare_session(PGconn *pg, bool generic)
{
    stmt_cache_t *sc = stmt_cache_of(pg);

    store_pg_notice_quiet(pg);
    if (sc != NULL)
        sc->generic = generic;
}

/* One statement without parameters on c, blocking or on the fiber. */
static PGresult *exec_simple(store_pg_conn_t *c, const char *sql)
{
    char error[160];
    return c->async ? store_pg_async_exec(c, sql, 0, NULL, NULL, false, error, sizeof(error)) : PQexec(c->pg, sql);
}

/* Put c's session in plan_cache_mode generic (or auto) unless it is there
 * or inside a transaction. NULL, or the failed result of the SET. */
static PGresult *plan_mode(store_pg_conn_t *c, stmt_cache_t *sc, bool generic)
{
    PGresult *r = NULL;

    if (sc == NULL || sc->generic == generic || PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        goto out;
    r = exec_simple(c, generic ? "SET plan_cache_mode = force_generic_plan" : "SET plan_cache_mode = auto");
    if (r != NULL && PQresultStatus(r) == PGRES_COMMAND_OK) {
        sc->generic = generic;
        PQclear(r);
        r = NULL;
    }
out:
    return r;
}

/* Run sql on c: through the session's prepared statement, prepared now if
 * new, with generic plans; unnamed when the cache is full or unavailable.
 * A failed prepare returns its error result and caches nothing. */
static PGresult *exec_prepared(store_pg_conn_t *c, const char *sql, int n, const char *const *params,
                               const unsigned *types)
{
    stmt_cache_t *sc = stmt_cache_of(c->pg);
    uint64_t h = stmt_hash(sql, n, types);
    char name[24];
    PGresult *r = NULL;
    size_t i = 0;

    if (sc == NULL)
        goto unnamed;
    if ((r = plan_mode(c, sc, true)) != NULL)
        goto out;
    while (i < sc->len && !stmt_matches(&sc->s[i], h, sql, n, types))
        i++;
    snprintf(name, sizeof(name), "lsf_%zu", i);
    if (i == sc->len) {
        if (i == STMT_MAX)
            goto unnamed;
        r = PQprepare(c->pg, name, sql, n, types);
        if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK)
            goto out;
        PQclear(r);
        sc->s[i].hash = h;
        sc->s[i].n = n;
        sc->s[i].types = NULL;
        if (types != NULL && n > 0) {
            sc->s[i].types = core_calloc((size_t)n, sizeof(*types));
            memcpy(sc->s[i].types, types, (size_t)n * sizeof(*types));
        }
        sc->s[i].sql = core_strdup(sql);
        sc->len++;
    }
    r = PQexecPrepared(c->pg, name, n, params, NULL, NULL, 0);
    goto out;
unnamed:
    r = PQexecParams(c->pg, sql, n, types, params, NULL, NULL, 0);
out:
    return r;
}

/* Run sql unnamed, planned for these values when it has parameters. */
static PGresult *exec_unnamed(store_pg_conn_t *c, const char *sql, int n, const char *const *params,
                              const unsigned *types)
{
    char error[160];
    PGresult *r = NULL;

    if (n > 0)
        r = plan_mode(c, PQinstanceData(c->pg, stmt_events), false);
    if (r == NULL && c->async)
        r = store_pg_async_exec(c, sql, n, params, types, false, error, sizeof(error));
    else if (r == NULL)
        r = PQexecParams(c->pg, sql, n, types, params, NULL, NULL, 0);
    return r;
}

/* store_pg_query, store_pg_query_unprepared and store_pg_run. */
static int query(store_pg_conn_t *c, const char *sql, int n, const char *const *params, const unsigned *types,
                 const char *op, bool expect_conflict, char sqlstate[6], PGresult **res, bool prepare)
{
    char lost[160] = "";
    PGresult *r;
    trace_child_t span = trace_child_begin();

    if (c->async && !prepare && n > 0 && store_pg_async_exclusive(c) != CORE_OK)
        r = NULL, snprintf(lost, sizeof(lost), "no free connection in time"); /* plan_mode needs a session of its own */
    else if (c->async && prepare && (r = plan_mode(c, PQinstanceData(c->pg, stmt_events), true)) == NULL)
        r = store_pg_async_exec(c, sql, n, params, types, true, lost, sizeof(lost));
    else if (c->async && prepare)
        ; /* the SET failed: r is its result */
    else if (prepare)
        r = exec_prepared(c, sql, n, params, types);
    else
        r = exec_unnamed(c, sql, n, params, types);
    ExecStatusType st = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    const char *code = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    bool conn_ok = c->async ? !c->broken && r != NULL : PQstatus(c->pg) == CONNECTION_OK;
    int rc = CORE_OK;

    /* a constraint (class 23) is the data's fault, answered 4xx: not a failed span */
    trace_child_end_db(&span, "postgresql", op, sql, st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK &&
                                                         (code == NULL || strncmp(code, "23", 2) != 0));

    if (sqlstate != NULL)
        sqlstate[0] = '\0';
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        goto out;
    if (r == NULL || !conn_ok || code == NULL || sqlstate_unavailable(code)) {
        char msg[200];
        snprintf(msg, sizeof(msg), "%s",
                 r != NULL ? PQresultErrorMessage(r) : lost[0] != '\0' ? lost : PQerrorMessage(c->pg));
        msg[strcspn(msg, "\n")] = '\0';
        c->broken = c->broken || !conn_ok || code == NULL || strncmp(code, "08", 2) == 0 ||
                    strncmp(code, "57P", 3) == 0;
        log_warn("postgres: database unavailable", LOG_STR("op", op), LOG_STR("sqlstate", code ? code : ""),
                 LOG_STR("error", msg));
        rc = CORE_E_UNAVAILABLE;
        goto out;
    }
    if (sqlstate != NULL)
        snprintf(sqlstate, 6, "%s", code);
    if (strncmp(code, "23", 2) == 0) {
        rc = expect_conflict ? CORE_E_CONFLICT : store_pg_constraint_code(code);
        if (!expect_conflict) /* the data broke a rule; the DETAIL (values) stays out of the log */
            log_warn("postgres: constraint failed", LOG_STR("op", op), LOG_STR("sqlstate", code),
                     LOG_STR("constraint", PQresultErrorField(r, PG_DIAG_CONSTRAINT_NAME)),
                     LOG_STR("answer", core_error_name(rc)));
        goto out;
    }
    {
        const char *primary = PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY);
        core_metrics_count(CORE_METRICS_DB_ERRORS);
        log_error("postgres: query failed", LOG_STR("op", op), LOG_STR("sqlstate", code),
                  LOG_STR("error", primary != NULL ? primary : "?"));
    }
    rc = CORE_E_INTERNAL;
out:
    if (rc != CORE_OK || res == NULL) {
        PQclear(r);
        r = NULL;
    }
    if (res != NULL)
        *res = r;
    return rc;
}

int store_pg_constraint_code(const char *sqlstate)
{
    if (strcmp(sqlstate, "23503") == 0) /* foreign_key_violation: the row it points to is gone */
        return CORE_E_NOT_FOUND;
    if (strcmp(sqlstate, "23502") == 0 || strcmp(sqlstate, "23514") == 0) /* not null, check */
        return CORE_E_VALIDATION;
    return CORE_E_CONFLICT; /* unique, exclusion, restrict */
}

int store_pg_query(store_pg_conn_t *c, const char *sql, int n, const char *const *params, const unsigned *types,
                   const char *op, bool expect_conflict, char sqlstate[6], PGresult **res)
{
    return query(c, sql, n, params, types, op, expect_conflict, sqlstate, res, true);
}

int store_pg_query_unprepared(store_pg_conn_t *c, const char *sql, int n, const char *const *params,
                              const unsigned *types, const char *op, PGresult **res)
{
    return query(c, sql, n, params, types, op, false, NULL, res, false);
}

/* Not prepared: BEGIN, COMMIT and the like gain nothing from it. */
int store_pg_run(store_pg_conn_t *c, const char *sql, const char *op)
{
    return query(c, sql, 0, NULL, NULL, op, false, NULL, NULL, false);
}

int store_pg_begin(store_pg_conn_t *c)
{
    /* a loop's shared connection serves other requests between statements:
     * a transaction needs one of its own */
    if (c->async && store_pg_async_exclusive(c) != CORE_OK) {
        log_warn("postgres: database unavailable", LOG_STR("op", "begin"), LOG_STR("error", "no free connection in time"));
        return CORE_E_UNAVAILABLE;
    }
    return store_pg_run(c, "BEGIN", "begin");
}

int store_pg_commit(store_pg_conn_t *c)
{
    int rc = store_pg_run(c, "COMMIT", "commit");
    if (rc != CORE_OK)
        store_pg_rollback(c);
    return rc;
}

void store_pg_rollback(store_pg_conn_t *c)
{
    if (c != NULL && !c->broken && PQtransactionStatus(c->pg) != PQTRANS_IDLE)
        (void)store_pg_run(c, "ROLLBACK", "rollback");
}

int64_t store_pg_changes(PGresult *res)
{
    const char *n = PQcmdTuples(res);
    return n != NULL && *n != '\0' ? strtoll(n, NULL, 10) : 0;
}

const char *store_pg_i64(char buf[24], int64_t v)
{
    snprintf(buf, 24, "%" PRId64, v);
    return buf;
}

const char *store_pg_time(char buf[24], int64_t ms)
{
    return ms == STORE_TIME_NONE ? NULL : store_pg_i64(buf, ms);
}

int64_t store_pg_get_i64(const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return STORE_TIME_NONE;
    return strtoll(PQgetvalue(res, row, col), NULL, 10);
}

char *store_pg_get_str(core_pool_t *pool, const PGresult *res, int row, int col)
{
    if (PQgetisnull(res, row, col))
        return NULL;
    return core_pool_strndup(pool, PQgetvalue(res, row, col), (size_t)PQgetlength(res, row, col));
}

static int ping(store_t *base)
{
    store_pg_conn_t *c;
    int rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_PRIMARY, NULL, &c);

    if (rc == CORE_OK)
        rc = store_pg_run(c, "SELECT 1", "ping");
    store_pg_release(c);
    return rc;
}

static void close_store(store_t *base)
{
    store_pg_t *s = store_pg_of(base);
    store_pg_cluster_put(s->cluster);
    free(s);
}

static const store_ops_t ops = {
    .name = "postgres",
    .close = close_store,
    .migrate = store_pg_migrate,
    .ping = ping,
    .user_create = store_pg_user_create,
    .user_find_by_email = store_pg_user_find_by_email,
    .user_find_by_id = store_pg_user_find_by_id,
    .user_exists = store_pg_user_exists,
    .user_set_password_hash = store_pg_user_set_password_hash,
    .otp_put = store_pg_otp_put,
    .otp_attempt = store_pg_otp_attempt,
    .user_verify = store_pg_user_verify,
    .user_reset_password = store_pg_user_reset_password,
    .token_revoke = store_pg_token_revoke,
    .user_sessions_revoke = store_pg_user_sessions_revoke,
    .revocations_load = store_pg_revocations_load,
    .revocations_purge = store_pg_revocations_purge,
    .revocation_check = store_pg_revocation_check,
    .outbox_claim = store_pg_outbox_claim,
    .outbox_sent = store_pg_outbox_sent,
    .outbox_retry = store_pg_outbox_retry,
    .outbox_pending = store_pg_outbox_pending,
    .outbox_purge = store_pg_outbox_purge,
    .idempotency_begin = store_pg_idempotency_begin,
    .idempotency_finish = store_pg_idempotency_finish,
    .idempotency_release = store_pg_idempotency_release,
    .idempotency_purge = store_pg_idempotency_purge,
    .task_create = store_pg_task_create,
    .task_get = store_pg_task_get,
    .task_update = store_pg_task_update,
    .task_delete = store_pg_task_delete,
    .task_restore = store_pg_task_restore,
    .task_trash_list = store_pg_task_trash_list,
    .task_trash_purge = store_pg_task_trash_purge,
    .task_list = store_pg_task_list,
    .task_stats = store_pg_task_stats,
    .admin = &store_pg_admin_ops,
};

int store_postgres_open(const char *url, store_t **out)
{
    store_pg_t *s = core_calloc(1, sizeof(*s));
    int rc;

    s->base.ops = &ops;
    if ((rc = store_pg_cluster_get(url, &s->cluster)) != CORE_OK) {
        free(s);
        s = NULL;
    } else {
        s->base.ryw_ms = store_pg_cluster_ryw_ms(s->cluster);
    }
    *out = s != NULL ? &s->base : NULL;
    return rc;
}
