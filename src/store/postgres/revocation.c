/*
 * This file implements the durable token revocations of the PostgreSQL
 * backend, the twin of sqlite/revocation.c: the kv layer writes revocations
 * through here so a logout or password reset survives a restart, and
 * reloads what still matters at start. A revoked token matters until it
 * expires; a user-wide mark for a token lifetime (AUTH_JWT_TTL_MS). All of
 * it runs on the primary: a lagging replica must never let a revoked token in.
 */
#include "auth/jwt.h"
#include "core/error.h"
#include "store/postgres/postgres.h"

/* Revoking twice, or a user twice, keeps the later time. */
static const char SQL_TOKEN[] = "INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2) "
                                "ON CONFLICT (jti) DO UPDATE SET expires_at = "
                                "greatest(revoked_tokens.expires_at, excluded.expires_at)";
static const char SQL_USER[] = "INSERT INTO user_revocations (user_id, before_ms) VALUES ($1, $2) "
                               "ON CONFLICT (user_id) DO UPDATE SET before_ms = "
                               "greatest(user_revocations.before_ms, excluded.before_ms)";
static const char SQL_LOAD_TOKENS[] = "SELECT jti, expires_at FROM revoked_tokens WHERE expires_at > $1";
static const char SQL_LOAD_USERS[] = "SELECT user_id, before_ms FROM user_revocations WHERE before_ms > $1";
static const char SQL_CHECK[] = "SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $1) OR "
                                "EXISTS (SELECT 1 FROM user_revocations WHERE user_id = $2 AND before_ms >= $3)";
static const char SQL_PURGE_TOKENS[] = "DELETE FROM revoked_tokens WHERE expires_at <= $1";
static const char SQL_PURGE_USERS[] = "DELETE FROM user_revocations WHERE before_ms <= $1";

/* Run the upsert sql with ($1 text, $2 integer) on c. */
static int put(store_pg_conn_t *c, const char *sql, const char *key, int64_t value, const char *op)
{
    char v[24];
    const char *params[] = {key, store_pg_i64(v, value)};
    return store_pg_query(c, sql, 2, params, NULL, op, false, NULL, NULL);
}

/* Borrow a primary connection and put. */
static int put_once(store_t *base, const char *sql, const char *key, int64_t value, const char *op)
{
    store_pg_conn_t *c;
    int rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_PRIMARY, NULL, &c);

    if (rc == CORE_OK)
        rc = put(c, sql, key, value, op);
    store_pg_release(c);
    return rc;
}

int store_pg_token_revoke(store_t *base, const char *jti, int64_t expires_at)
{
    return put_once(base, SQL_TOKEN, jti, expires_at, "token revoke");
}

int store_pg_user_revocation_put(store_pg_conn_t *c, const char *user_id, int64_t before_ms)
{
    return put(c, SQL_USER, user_id, before_ms, "user sessions revoke");
}

int store_pg_user_sessions_revoke(store_t *base, const char *user_id, int64_t before_ms)
{
    return put_once(base, SQL_USER, user_id, before_ms, "user sessions revoke");
}

/* Pass the (text, integer) rows of sql ($1 = bound) to cb, when not NULL.
 * Both callback types of store.h have this same type. */
static int load(store_pg_conn_t *c, const char *sql, int64_t bound, store_token_revocation_cb cb, void *ctx)
{
    char b[24];
    const char *params[] = {store_pg_i64(b, bound)};
    PGresult *res;
    int rc;

    if (cb == NULL)
        return CORE_OK;
    if ((rc = store_pg_query(c, sql, 1, params, NULL, "revocations load", false, NULL, &res)) != CORE_OK)
        return rc;
    for (int i = 0; i < PQntuples(res); i++)
        cb(ctx, PQgetvalue(res, i, 0), store_pg_get_i64(res, i, 1));
    PQclear(res);
    return CORE_OK;
}

int store_pg_revocations_load(store_t *base, int64_t now, store_token_revocation_cb token_cb,
                              store_user_revocation_cb user_cb, void *ctx)
{
    store_pg_conn_t *c;
    int rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_PRIMARY, NULL, &c);

    if (rc == CORE_OK && (rc = load(c, SQL_LOAD_TOKENS, now, token_cb, ctx)) == CORE_OK)
        rc = load(c, SQL_LOAD_USERS, now - AUTH_JWT_TTL_MS, user_cb, ctx);
    store_pg_release(c);
    return rc;
}

int store_pg_revocations_purge(store_t *base, int64_t now)
{
    char a[24], b[24];
    const char *tokens[] = {store_pg_i64(a, now)}, *users[] = {store_pg_i64(b, now - AUTH_JWT_TTL_MS)};
    store_pg_conn_t *c;
    int rc;

    if ((rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_PRIMARY, NULL, &c)) != CORE_OK)
        return rc;
    if ((rc = store_pg_begin(c)) == CORE_OK &&
        (rc = store_pg_query(c, SQL_PURGE_TOKENS, 1, tokens, NULL, "revocations purge", false, NULL, NULL)) ==
            CORE_OK &&
        (rc = store_pg_query(c, SQL_PURGE_USERS, 1, users, NULL, "revocations purge", false, NULL, NULL)) == CORE_OK)
        rc = store_pg_commit(c);
    if (rc != CORE_OK)
        store_pg_rollback(c);
    store_pg_release(c);
    return rc;
}

int store_pg_revocation_check(store_t *base, const char *jti, const char *user_id, int64_t issued_at_ms,
                              bool *revoked)
{
    char at[24];
    const char *params[] = {jti, user_id, store_pg_i64(at, issued_at_ms)};
    store_pg_conn_t *c;
    PGresult *res = NULL;
    int rc;

    *revoked = true; /* fail closed */
    if ((rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_PRIMARY, NULL, &c)) != CORE_OK)
        return rc;
    if ((rc = store_pg_query(c, SQL_CHECK, 3, params, NULL, "revocation check", false, NULL, &res)) == CORE_OK)
        *revoked = PQgetvalue(res, 0, 0)[0] == 't';
    PQclear(res);
    store_pg_release(c);
    return rc;
}
