/*
 * This file implements the durable token revocations of the SQLite backend.
 * The kv layer keeps revocations in memory for fast checks and writes them
 * through here so a logout or password reset survives a restart; at start it
 * reloads what still matters. A revoked token matters until it expires; a
 * user-wide mark matters for a token lifetime (AUTH_JWT_TTL_MS), after which
 * every token it could refuse has expired anyway.
 */
#include "auth/jwt.h"
#include "core/error.h"
#include "store/sqlite/sqlite.h"

/* Revoking twice, or a user twice, keeps the later time. */
static const char SQL_TOKEN[] =
    "INSERT INTO revoked_tokens (jti, expires_at) VALUES (?1, ?2) "
    "ON CONFLICT (jti) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)";
static const char SQL_USER[] =
    "INSERT INTO user_revocations (user_id, before_ms) VALUES (?1, ?2) "
    "ON CONFLICT (user_id) DO UPDATE SET before_ms = max(before_ms, excluded.before_ms)";
static const char SQL_LOAD_TOKENS[] = "SELECT jti, expires_at FROM revoked_tokens WHERE expires_at > ?1";
static const char SQL_LOAD_USERS[] = "SELECT user_id, before_ms FROM user_revocations WHERE before_ms > ?1";
static const char SQL_CHECK[] =
    "SELECT EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = ?1) OR "
    "EXISTS (SELECT 1 FROM user_revocations WHERE user_id = ?2 AND before_ms >= ?3)";
static const char SQL_PURGE_TOKENS[] = "DELETE FROM revoked_tokens WHERE expires_at <= ?1";
static const char SQL_PURGE_USERS[] = "DELETE FROM user_revocations WHERE before_ms <= ?1";

/* Run the upsert sql with (?1 text, ?2 integer). */
static int put(store_sqlite_t *s, const char *sql, const char *key, int64_t value, const char *op)
{
    sqlite3_stmt *stmt;
    int rc;

    if ((rc = store_sqlite_prepare(s, sql, &stmt)) != CORE_OK)
        goto out;
    if (sqlite3_bind_text(stmt, 1, key, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(stmt, 2, value) != SQLITE_OK) {
        rc = store_sqlite_bind_fail(s, stmt, op);
        goto out;
    }
    rc = store_sqlite_step_done(s, stmt, op, NULL);
out:
    return rc;
}

int store_sqlite_token_revoke(store_t *base, const char *jti, int64_t expires_at)
{
    return put(store_sqlite_of(base), SQL_TOKEN, jti, expires_at, "token revoke");
}

int store_sqlite_user_revocation_put(store_sqlite_t *s, const char *user_id, int64_t before_ms)
{
    return put(s, SQL_USER, user_id, before_ms, "user sessions revoke");
}

int store_sqlite_user_sessions_revoke(store_t *base, const char *user_id, int64_t before_ms)
{
    return store_sqlite_user_revocation_put(store_sqlite_of(base), user_id, before_ms);
}

/* Pass the rows of sql (?1 = bound), (text, integer) pairs, to cb when cb
 * is not NULL. The text is only valid during the call. Both callback types
 * of store.h have this same type, so one reader serves both. */
static int load(store_sqlite_t *s, const char *sql, int64_t bound, store_token_revocation_cb cb, void *ctx,
                const char *op)
{
    sqlite3_stmt *stmt;
    int rc;

    if (cb == NULL)
        return CORE_OK;
    if ((rc = store_sqlite_prepare(s, sql, &stmt)) != CORE_OK)
        goto out;
    if (sqlite3_bind_int64(stmt, 1, bound) != SQLITE_OK) {
        rc = store_sqlite_bind_fail(s, stmt, op);
        goto out;
    }
    while ((rc = store_sqlite_step_row(s, stmt, op)) == CORE_OK)
        cb(ctx, (const char *)sqlite3_column_text(stmt, 0), sqlite3_column_int64(stmt, 1));
    if (rc == CORE_E_NOT_FOUND)
        rc = CORE_OK;
out:
    return rc;
}

int store_sqlite_revocations_load(store_t *base, int64_t now, store_token_revocation_cb token_cb,
                                  store_user_revocation_cb user_cb, void *ctx)
{
    store_sqlite_t *s = store_sqlite_of(base);
    int rc;

    if ((rc = load(s, SQL_LOAD_TOKENS, now, token_cb, ctx, "revocations load")) == CORE_OK)
        rc = load(s, SQL_LOAD_USERS, now - AUTH_JWT_TTL_MS, user_cb, ctx, "revocations load");
    return rc;
}

static int purge(store_sqlite_t *s, const char *sql, int64_t bound)
{
    sqlite3_stmt *stmt;
    int rc;

    if ((rc = store_sqlite_prepare(s, sql, &stmt)) != CORE_OK)
        goto out;
    if (sqlite3_bind_int64(stmt, 1, bound) != SQLITE_OK) {
        rc = store_sqlite_bind_fail(s, stmt, "revocations purge");
        goto out;
    }
    rc = store_sqlite_step_done(s, stmt, "revocations purge", NULL);
out:
    return rc;
}

int store_sqlite_revocations_purge(store_t *base, int64_t now)
{
    store_sqlite_t *s = store_sqlite_of(base);
    int rc;

    if ((rc = store_sqlite_begin(s)) != CORE_OK)
        return rc;
    if ((rc = purge(s, SQL_PURGE_TOKENS, now)) == CORE_OK &&
        (rc = purge(s, SQL_PURGE_USERS, now - AUTH_JWT_TTL_MS)) == CORE_OK)
        rc = store_sqlite_commit(s);
    if (rc != CORE_OK)
        store_sqlite_rollback(s);
    return rc;
}

int store_sqlite_revocation_check(store_t *base, const char *jti, const char *user_id, int64_t issued_at_ms,
                                  bool *revoked)
{
    store_sqlite_t *s = store_sqlite_of(base);
    sqlite3_stmt *st;
    int rc;

    *revoked = true; /* fail closed */
    if ((rc = store_sqlite_prepare(s, SQL_CHECK, &st)) != CORE_OK)
        return rc;
    sqlite3_bind_text(st, 1, jti, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, user_id, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, issued_at_ms);
    if ((rc = store_sqlite_step_row(s, st, "revocation check")) != CORE_OK)
        return rc;
    *revoked = sqlite3_column_int(st, 0) != 0;
    store_sqlite_reset(st);
    return CORE_OK;
}
