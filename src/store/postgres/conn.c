/*
 * This file implements the PostgreSQL session behind a store_t: opening one
 * (a handle on the process-wide cluster of pool.c, no connection yet), the
 * ops table store_open() hands out, and the helpers every other file of
 * src/store/postgres/ builds its operations from: running a statement with
 * text parameters, transactions, and the mapping of failures onto CORE_E_*
 * codes (a lost server or a statement timeout is CORE_E_UNAVAILABLE, a
 * constraint the caller expects is CORE_E_CONFLICT, the rest is ours and
 * CORE_E_INTERNAL). Server messages are logged by their primary text only:
 * the DETAIL of a constraint error would carry user data such as an email.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/mem.h"
#include "store/postgres/postgres.h"

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

int store_pg_query(store_pg_conn_t *c, const char *sql, int n, const char *const *params, const unsigned *types,
                   const char *op, bool expect_conflict, char sqlstate[6], PGresult **res)
{
    PGresult *r = PQexecParams(c->pg, sql, n, types, params, NULL, NULL, 0);
    ExecStatusType st = r != NULL ? PQresultStatus(r) : PGRES_FATAL_ERROR;
    const char *code = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    int rc = CORE_OK;

    if (sqlstate != NULL)
        sqlstate[0] = '\0';
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
        goto out;
    if (r == NULL || PQstatus(c->pg) != CONNECTION_OK || code == NULL || sqlstate_unavailable(code)) {
        char msg[200];
        snprintf(msg, sizeof(msg), "%s", r != NULL ? PQresultErrorMessage(r) : PQerrorMessage(c->pg));
        msg[strcspn(msg, "\n")] = '\0';
        c->broken = PQstatus(c->pg) != CONNECTION_OK || code == NULL || strncmp(code, "08", 2) == 0 ||
                    strncmp(code, "57P", 3) == 0;
        log_warn("postgres: database unavailable", LOG_STR("op", op), LOG_STR("sqlstate", code ? code : ""),
                 LOG_STR("error", msg));
        rc = CORE_E_UNAVAILABLE;
        goto out;
    }
    if (sqlstate != NULL)
        snprintf(sqlstate, 6, "%s", code);
    if (expect_conflict && strncmp(code, "23", 2) == 0) {
        rc = CORE_E_CONFLICT;
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

int store_pg_run(store_pg_conn_t *c, const char *sql, const char *op)
{
    return store_pg_query(c, sql, 0, NULL, NULL, op, false, NULL, NULL);
}

int store_pg_begin(store_pg_conn_t *c)
{
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
    .task_create = store_pg_task_create,
    .task_get = store_pg_task_get,
    .task_update = store_pg_task_update,
    .task_delete = store_pg_task_delete,
    .task_list = store_pg_task_list,
    .task_stats = store_pg_task_stats,
};

int store_postgres_open(const char *url, store_t **out)
{
    store_pg_t *s = core_calloc(1, sizeof(*s));
    int rc;

    s->base.ops = &ops;
    if ((rc = store_pg_cluster_get(url, &s->cluster)) != CORE_OK) {
        free(s);
        s = NULL;
    }
    *out = s != NULL ? &s->base : NULL;
    return rc;
}
