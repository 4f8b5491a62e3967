/*
 * This file implements the Idempotency-Key reservations of store.h for
 * PostgreSQL (table idempotency_keys, migration 0005). begin is one
 * statement: an upsert that takes the key when it is new, expired, or held
 * by the same request past its lease, and, beside it, the row as it was
 * before the statement, which says why the key was not taken. Two requests
 * racing for one key meet in the primary key: the second waits for the
 * first's insert, then finds the key held and takes nothing. finish and
 * release touch only the row of the same token.
 */
#include <string.h>

#include "core/error.h"
#include "store/postgres/postgres.h"

/* The main SELECT sees the snapshot taken before the upsert ran, so when the
 * upsert took nothing because a concurrent request had just taken the key,
 * it may see no row, or the old one: both read as "running" below. */
static const char SQL_BEGIN[] =
    "WITH taken AS (INSERT INTO idempotency_keys AS k (user_id, key, fingerprint, token, status, body, "
    "lease_until, expires_at) VALUES ($1, $2, $3, $4, 0, NULL, $5, $6) ON CONFLICT (user_id, key) DO UPDATE "
    "SET "
    "fingerprint = EXCLUDED.fingerprint, token = EXCLUDED.token, status = 0, body = NULL, "
    "lease_until = EXCLUDED.lease_until, expires_at = EXCLUDED.expires_at "
    "WHERE k.expires_at <= $7 OR (k.status = 0 AND k.lease_until <= $7 AND k.fingerprint = "
    "EXCLUDED.fingerprint) "
    "RETURNING 1) "
    "SELECT (SELECT count(*) FROM taken), k.fingerprint, k.status, k.body, k.expires_at "
    "FROM (SELECT 1) AS one LEFT JOIN idempotency_keys k ON k.user_id = $1 AND k.key = $2";
static const char SQL_FINISH[] = "UPDATE idempotency_keys SET status = $4, body = $5 "
                                 "WHERE user_id = $1 AND key = $2 AND token = $3 AND status = 0";
static const char SQL_RELEASE[] =
    "DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND token = $3 AND status = 0";
static const char SQL_PURGE[] = "DELETE FROM idempotency_keys WHERE (user_id, key) IN "
                                "(SELECT user_id, key FROM idempotency_keys WHERE expires_at <= $1 LIMIT $2)";

/* Decide from the row of the statement above, when the key was not taken:
 * no row, or a row the upsert would have taken, means a concurrent request
 * took it first (running); else the fingerprint and status say. */
static void decide(core_pool_t *pool, const PGresult *res, const store_idem_key_t *k, int64_t now,
                   store_idem_answer_t *out)
{
    out->state = STORE_IDEM_RUNNING;
    if (PQgetisnull(res, 0, 1) || store_pg_get_i64(res, 0, 4) <= now)
        return;
    if (strcmp(PQgetvalue(res, 0, 1), k->fingerprint) != 0) {
        out->state = STORE_IDEM_MISMATCH;
    } else if (store_pg_get_i64(res, 0, 2) != 0) {
        out->state = STORE_IDEM_DONE;
        out->status = (int)store_pg_get_i64(res, 0, 2);
        out->body = PQgetisnull(res, 0, 3) ? "" : store_pg_get_str(pool, res, 0, 3);
        out->body_len = (size_t)PQgetlength(res, 0, 3);
    }
}

int store_pg_idempotency_begin(store_t *base, core_pool_t *pool, const store_idem_key_t *k, int64_t now,
                               int64_t lease_ms, int64_t ttl_ms, store_idem_answer_t *out)
{
    char token[24], lease[24], expires[24], at[24], sqlstate[6] = "";
    const char *params[] = {k->user_id,
                            k->key,
                            k->fingerprint,
                            store_pg_i64(token, k->token),
                            store_pg_i64(lease, now + lease_ms),
                            store_pg_i64(expires, now + ttl_ms),
                            store_pg_i64(at, now)};
    static const unsigned types[] = {STORE_PG_TEXT, STORE_PG_TEXT, STORE_PG_TEXT, STORE_PG_INT8,
                                     STORE_PG_INT8, STORE_PG_INT8, STORE_PG_INT8};
    store_pg_conn_t *c;
    PGresult *res = NULL;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_PRIMARY, NULL, &c)) != CORE_OK)
        return rc;
    rc = store_pg_query(c, SQL_BEGIN, 7, params, types, "idempotency begin", true, sqlstate, &res);
    if (rc == CORE_OK) {
        if (store_pg_get_i64(res, 0, 0) == 1)
            out->state = STORE_IDEM_RESERVED;
        else
            decide(pool, res, k, now, out);
    } else if (rc == CORE_E_CONFLICT) {
        /* the only constraint an upsert can break: the user row is gone (23503) */
        rc = strcmp(sqlstate, "23503") == 0 ? CORE_E_NOT_AUTHORIZED : CORE_E_INTERNAL;
    }
    PQclear(res);
    store_pg_release(c);
    return rc;
}

/* Run a one-row write of k; CORE_E_NOT_FOUND when it matched none. */
static int change_one(store_t *base, const char *sql, int n, const char *const *params, const char *op)
{
    store_pg_conn_t *c;
    PGresult *res = NULL;
    int rc;

    if ((rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_PRIMARY, NULL, &c)) != CORE_OK)
        return rc;
    rc = store_pg_query(c, sql, n, params, NULL, op, false, NULL, &res);
    if (rc == CORE_OK && store_pg_changes(res) == 0)
        rc = CORE_E_NOT_FOUND;
    PQclear(res);
    store_pg_release(c);
    return rc;
}

int store_pg_idempotency_finish(store_t *base, const store_idem_key_t *k, int status, const char *body,
                                size_t len)
{
    char token[24], st[24];
    const char *params[] = {k->user_id, k->key, store_pg_i64(token, k->token), store_pg_i64(st, status),
                            body};

    (void)len; /* body is NUL-terminated: JSON text never holds a NUL */
    return change_one(base, SQL_FINISH, 5, params, "idempotency finish");
}

int store_pg_idempotency_release(store_t *base, const store_idem_key_t *k)
{
    char token[24];
    const char *params[] = {k->user_id, k->key, store_pg_i64(token, k->token)};

    return change_one(base, SQL_RELEASE, 3, params, "idempotency release");
}

int store_pg_idempotency_purge(store_t *base, int64_t now, int max, int *deleted)
{
    char at[24], n[24];
    const char *params[] = {store_pg_i64(at, now), store_pg_i64(n, max)};
    store_pg_conn_t *c;
    PGresult *res = NULL;
    int rc;

    *deleted = 0;
    if ((rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_PRIMARY, NULL, &c)) != CORE_OK)
        return rc;
    if ((rc = store_pg_query(c, SQL_PURGE, 2, params, NULL, "idempotency purge", false, NULL, &res)) ==
        CORE_OK)
        *deleted = (int)store_pg_changes(res);
    PQclear(res);
    store_pg_release(c);
    return rc;
}
