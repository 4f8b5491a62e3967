/*
 * This file implements the Idempotency-Key reservations of store.h for
 * SQLite (table idempotency_keys, migration 0005). begin reads the user's
 * row for the key and decides inside one BEGIN IMMEDIATE transaction, so two
 * requests racing for one key are ordered by the write lock: the second sees
 * the first's reservation. finish and release touch only the row of the
 * same token, so a request whose key was taken over (its lease ended) never
 * overwrites the newer reservation.
 */
#include <string.h>

#include "core/error.h"
#include "store/sqlite/sqlite.h"

static const char SQL_GET[] =
    "SELECT fingerprint, status, body, lease_until, expires_at FROM idempotency_keys "
    "WHERE user_id = ?1 AND key = ?2";
static const char SQL_RESERVE[] =
    "INSERT INTO idempotency_keys (user_id, key, fingerprint, token, status, body, lease_until, expires_at) "
    "VALUES (?1, ?2, ?3, ?4, 0, NULL, ?5, ?6) ON CONFLICT (user_id, key) DO UPDATE SET "
    "fingerprint = excluded.fingerprint, token = excluded.token, status = 0, body = NULL, "
    "lease_until = excluded.lease_until, expires_at = excluded.expires_at";
static const char SQL_FINISH[] = "UPDATE idempotency_keys SET status = ?4, body = ?5 "
                                 "WHERE user_id = ?1 AND key = ?2 AND token = ?3 AND status = 0";
static const char SQL_RELEASE[] =
    "DELETE FROM idempotency_keys WHERE user_id = ?1 AND key = ?2 AND token = ?3 AND status = 0";
static const char SQL_PURGE[] = "DELETE FROM idempotency_keys WHERE (user_id, key) IN "
                                "(SELECT user_id, key FROM idempotency_keys WHERE expires_at <= ?1 LIMIT ?2)";

static int bind_key(store_sqlite_t *s, sqlite3_stmt *stmt, const store_idem_key_t *k, bool token,
                    const char *op)
{
    if (sqlite3_bind_text(stmt, 1, k->user_id, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(stmt, 2, k->key, -1, SQLITE_STATIC) != SQLITE_OK ||
        (token && sqlite3_bind_int64(stmt, 3, k->token) != SQLITE_OK))
        return store_sqlite_bind_fail(s, stmt, op);
    return CORE_OK;
}

/* What the row (if any) of k says, with out->state RESERVED meaning "take it". */
static int look(store_sqlite_t *s, core_pool_t *pool, const store_idem_key_t *k, int64_t now,
                store_idem_answer_t *out)
{
    sqlite3_stmt *stmt;
    int rc;

    out->state = STORE_IDEM_RESERVED;
    if ((rc = store_sqlite_prepare(s, SQL_GET, &stmt)) != CORE_OK ||
        (rc = bind_key(s, stmt, k, false, "idempotency get")) != CORE_OK)
        return rc;
    if ((rc = store_sqlite_step_row(s, stmt, "idempotency get")) != CORE_OK)
        return rc == CORE_E_NOT_FOUND ? CORE_OK : rc;
    const char *fingerprint = (const char *)sqlite3_column_text(stmt, 0);
    int status = sqlite3_column_int(stmt, 1);
    int64_t lease_until = sqlite3_column_int64(stmt, 3), expires_at = sqlite3_column_int64(stmt, 4);

    if (expires_at <= now) {
        /* expired: the key is new again, whatever it was used for */
    } else if (fingerprint == NULL || strcmp(fingerprint, k->fingerprint) != 0) {
        out->state = STORE_IDEM_MISMATCH;
    } else if (status != 0) {
        out->state = STORE_IDEM_DONE;
        out->status = status;
        out->body = store_sqlite_column_str(pool, stmt, 2);
        out->body_len = out->body != NULL ? (size_t)sqlite3_column_bytes(stmt, 2) : 0;
        if (out->body == NULL)
            out->body = "";
    } else if (lease_until > now) {
        out->state = STORE_IDEM_RUNNING;
    } /* else the same request, whose lease ended: take it over */
    store_sqlite_reset(stmt);
    return CORE_OK;
}

static int reserve(store_sqlite_t *s, const store_idem_key_t *k, int64_t lease_until, int64_t expires_at)
{
    sqlite3_stmt *stmt;
    int rc, constraint = 0;

    if ((rc = store_sqlite_prepare(s, SQL_RESERVE, &stmt)) != CORE_OK)
        return rc;
    if ((rc = bind_key(s, stmt, k, false, "idempotency reserve")) != CORE_OK)
        return rc;
    if (sqlite3_bind_text(stmt, 3, k->fingerprint, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(stmt, 4, k->token) != SQLITE_OK ||
        sqlite3_bind_int64(stmt, 5, lease_until) != SQLITE_OK ||
        sqlite3_bind_int64(stmt, 6, expires_at) != SQLITE_OK)
        return store_sqlite_bind_fail(s, stmt, "idempotency reserve");
    rc = store_sqlite_step_done(s, stmt, "idempotency reserve", &constraint);
    /* the only constraint an upsert can break: the user row is gone */
    return rc == CORE_E_CONFLICT ? CORE_E_NOT_AUTHORIZED : rc;
}

int store_sqlite_idempotency_begin(store_t *base, core_pool_t *pool, const store_idem_key_t *k, int64_t now,
                                   int64_t lease_ms, int64_t ttl_ms, store_idem_answer_t *out)
{
    store_sqlite_t *s = store_sqlite_of(base);
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = store_sqlite_begin(s)) != CORE_OK)
        return rc;
    if ((rc = look(s, pool, k, now, out)) == CORE_OK && out->state == STORE_IDEM_RESERVED)
        rc = reserve(s, k, now + lease_ms, now + ttl_ms);
    if (rc == CORE_OK)
        rc = store_sqlite_commit(s);
    else
        store_sqlite_rollback(s);
    return rc;
}

/* Run stmt (bound by the caller) and say CORE_E_NOT_FOUND when no row changed. */
static int change_one(store_sqlite_t *s, sqlite3_stmt *stmt, const char *op)
{
    int rc = store_sqlite_step_done(s, stmt, op, NULL);
    return rc == CORE_OK && sqlite3_changes(s->db) == 0 ? CORE_E_NOT_FOUND : rc;
}

int store_sqlite_idempotency_finish(store_t *base, const store_idem_key_t *k, int status, const char *body,
                                    size_t len)
{
    store_sqlite_t *s = store_sqlite_of(base);
    sqlite3_stmt *stmt;
    int rc;

    if ((rc = store_sqlite_begin(s)) != CORE_OK)
        return rc;
    if ((rc = store_sqlite_prepare(s, SQL_FINISH, &stmt)) != CORE_OK ||
        (rc = bind_key(s, stmt, k, true, "idempotency finish")) != CORE_OK)
        goto out;
    if (sqlite3_bind_int(stmt, 4, status) != SQLITE_OK ||
        sqlite3_bind_text64(stmt, 5, body, len, SQLITE_STATIC, SQLITE_UTF8) != SQLITE_OK) {
        rc = store_sqlite_bind_fail(s, stmt, "idempotency finish");
        goto out;
    }
    rc = change_one(s, stmt, "idempotency finish");
out:
    if (rc == CORE_OK)
        rc = store_sqlite_commit(s);
    else
        store_sqlite_rollback(s);
    return rc;
}

int store_sqlite_idempotency_release(store_t *base, const store_idem_key_t *k)
{
    store_sqlite_t *s = store_sqlite_of(base);
    sqlite3_stmt *stmt;
    int rc;

    if ((rc = store_sqlite_begin(s)) != CORE_OK)
        return rc;
    if ((rc = store_sqlite_prepare(s, SQL_RELEASE, &stmt)) == CORE_OK &&
        (rc = bind_key(s, stmt, k, true, "idempotency release")) == CORE_OK)
        rc = change_one(s, stmt, "idempotency release");
    if (rc == CORE_OK)
        rc = store_sqlite_commit(s);
    else
        store_sqlite_rollback(s);
    return rc;
}

int store_sqlite_idempotency_purge(store_t *base, int64_t now, int max, int *deleted)
{
    store_sqlite_t *s = store_sqlite_of(base);
    sqlite3_stmt *stmt;
    int rc;

    *deleted = 0;
    if ((rc = store_sqlite_begin(s)) != CORE_OK)
        return rc;
    if ((rc = store_sqlite_prepare(s, SQL_PURGE, &stmt)) != CORE_OK)
        goto out;
    if (sqlite3_bind_int64(stmt, 1, now) != SQLITE_OK || sqlite3_bind_int(stmt, 2, max) != SQLITE_OK) {
        rc = store_sqlite_bind_fail(s, stmt, "idempotency purge");
        goto out;
    }
    if ((rc = store_sqlite_step_done(s, stmt, "idempotency purge", NULL)) == CORE_OK)
        *deleted = sqlite3_changes(s->db);
out:
    if (rc == CORE_OK)
        rc = store_sqlite_commit(s);
    else
        store_sqlite_rollback(s);
    if (rc != CORE_OK)
        *deleted = 0;
    return rc;
}
