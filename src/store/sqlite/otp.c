/*
 * This file implements the one-time passwords of the SQLite backend: issuing
 * one (with its mail, in one transaction), spending an attempt, and
 * consuming it to verify an account or reset a password. Only the OTP's hash
 * is stored. Attempts are counted in a write transaction before the caller
 * compares, so parallel guesses cannot exceed the limit; consuming deletes
 * the row only if it still holds the hash the caller checked, so an OTP
 * replaced or used meanwhile cannot be consumed twice.
 */
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "store/sqlite/sqlite.h"

static const char SQL_PUT[] = "INSERT INTO otps (user_id, purpose, hash, expires_at, attempts) "
                              "VALUES (?1, ?2, ?3, ?4, 0) ON CONFLICT (user_id, purpose) DO UPDATE SET "
                              "hash = excluded.hash, expires_at = excluded.expires_at, attempts = 0";
static const char SQL_GET[] =
    "SELECT hash, expires_at, attempts FROM otps WHERE user_id = ?1 AND purpose = ?2";
static const char SQL_COUNT[] = "UPDATE otps SET attempts = attempts + 1 WHERE user_id = ?1 AND purpose = ?2";
static const char SQL_DELETE[] = "DELETE FROM otps WHERE user_id = ?1 AND purpose = ?2";
static const char SQL_CONSUME[] = "DELETE FROM otps WHERE user_id = ?1 AND purpose = ?2 AND hash = ?3";
static const char SQL_VERIFIED[] = "UPDATE users SET is_account_verified = 1, updated_at = ?2 WHERE id = ?1";
static const char SQL_PASSWORD[] = "UPDATE users SET password_hash = ?2, updated_at = ?3 WHERE id = ?1";

/* Prepare sql and bind (?1 user_id, ?2 purpose). */
static int prepare_key(store_sqlite_t *s, const char *sql, const char *user_id,
                       enum store_otp_purpose purpose, const char *op, sqlite3_stmt **stmt)
{
    int rc;

    if ((rc = store_sqlite_prepare(s, sql, stmt)) != CORE_OK)
        goto out;
    if (sqlite3_bind_text(*stmt, 1, user_id, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int(*stmt, 2, (int)purpose) != SQLITE_OK)
        rc = store_sqlite_bind_fail(s, *stmt, op);
out:
    return rc;
}

static int put(store_sqlite_t *s, const char *user_id, enum store_otp_purpose purpose,
               const uint8_t hash[STORE_OTP_HASH_LEN], int64_t expires_at)
{
    sqlite3_stmt *stmt;
    int rc, constraint = 0;

    if ((rc = prepare_key(s, SQL_PUT, user_id, purpose, "otp put", &stmt)) != CORE_OK)
        goto out;
    if (sqlite3_bind_blob(stmt, 3, hash, STORE_OTP_HASH_LEN, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(stmt, 4, expires_at) != SQLITE_OK) {
        rc = store_sqlite_bind_fail(s, stmt, "otp put");
        goto out;
    }
    rc = store_sqlite_step_done(s, stmt, "otp put", &constraint);
    if (rc == CORE_E_CONFLICT) /* the foreign key: no such user (CORE_E_NOT_FOUND), unlogged */
        rc = constraint == SQLITE_CONSTRAINT_FOREIGNKEY ? CORE_E_NOT_FOUND
                                                        : store_sqlite_fail(s, constraint, "otp put");
out:
    return rc;
}

int store_sqlite_otp_put(store_t *base, const char *user_id, enum store_otp_purpose purpose,
                         const uint8_t hash[STORE_OTP_HASH_LEN], int64_t expires_at, const mail_msg_t *mail)
{
    store_sqlite_t *s = store_sqlite_of(base);
    int rc;

    if ((rc = store_sqlite_begin(s)) != CORE_OK)
        return rc;
    if ((rc = put(s, user_id, purpose, hash, expires_at)) != CORE_OK)
        goto out;
    if (mail != NULL && (rc = store_sqlite_outbox_insert(s, mail)) != CORE_OK)
        goto out;
    rc = store_sqlite_commit(s);
out:
    if (rc != CORE_OK)
        store_sqlite_rollback(s);
    return rc;
}

/* Read the OTP into out (attempts as stored). */
static int get(store_sqlite_t *s, const char *user_id, enum store_otp_purpose purpose, store_otp_t *out)
{
    sqlite3_stmt *stmt;
    int rc;

    if ((rc = prepare_key(s, SQL_GET, user_id, purpose, "otp attempt", &stmt)) != CORE_OK)
        goto out;
    if ((rc = store_sqlite_step_row(s, stmt, "otp attempt")) != CORE_OK)
        goto out;
    const void *hash = sqlite3_column_blob(stmt, 0);
    if (hash == NULL || sqlite3_column_bytes(stmt, 0) != STORE_OTP_HASH_LEN) {
        /* the CHECK constraint makes this impossible short of corruption */
        log_error("sqlite: otp hash has the wrong size");
        rc = CORE_E_INTERNAL;
    } else {
        memcpy(out->hash, hash, STORE_OTP_HASH_LEN);
        out->expires_at = sqlite3_column_int64(stmt, 1);
        out->attempts = sqlite3_column_int(stmt, 2);
    }
    store_sqlite_reset(stmt);
out:
    return rc;
}

/* Run sql keyed by (user_id, purpose), a statement without results. */
static int run_key(store_sqlite_t *s, const char *sql, const char *user_id, enum store_otp_purpose purpose,
                   const char *op)
{
    sqlite3_stmt *stmt;
    int rc;

    if ((rc = prepare_key(s, sql, user_id, purpose, op, &stmt)) == CORE_OK)
        rc = store_sqlite_step_done(s, stmt, op, NULL);
    return rc;
}

int store_sqlite_otp_attempt(store_t *base, const char *user_id, enum store_otp_purpose purpose,
                             int max_attempts, store_otp_t *out)
{
    store_sqlite_t *s = store_sqlite_of(base);
    int rc;

    if ((rc = store_sqlite_begin(s)) != CORE_OK)
        return rc;
    if ((rc = get(s, user_id, purpose, out)) != CORE_OK)
        goto out;
    if (out->attempts >= max_attempts) {
        /* used up: void it, and commit that so it stays void */
        if ((rc = run_key(s, SQL_DELETE, user_id, purpose, "otp attempt")) == CORE_OK &&
            (rc = store_sqlite_commit(s)) == CORE_OK)
            rc = CORE_E_NOT_FOUND;
        goto out;
    }
    if ((rc = run_key(s, SQL_COUNT, user_id, purpose, "otp attempt")) != CORE_OK)
        goto out;
    out->attempts++;
    rc = store_sqlite_commit(s);
out:
    if (rc != CORE_OK)
        store_sqlite_rollback(s);
    return rc;
}

/* Delete the OTP if it still has hash; CORE_E_NOT_FOUND when it does not. */
static int consume(store_sqlite_t *s, const char *user_id, enum store_otp_purpose purpose,
                   const uint8_t hash[STORE_OTP_HASH_LEN])
{
    sqlite3_stmt *stmt;
    int rc;

    if ((rc = prepare_key(s, SQL_CONSUME, user_id, purpose, "otp consume", &stmt)) != CORE_OK)
        goto out;
    if (sqlite3_bind_blob(stmt, 3, hash, STORE_OTP_HASH_LEN, SQLITE_STATIC) != SQLITE_OK) {
        rc = store_sqlite_bind_fail(s, stmt, "otp consume");
        goto out;
    }
    if ((rc = store_sqlite_step_done(s, stmt, "otp consume", NULL)) == CORE_OK && sqlite3_changes(s->db) == 0)
        rc = CORE_E_NOT_FOUND;
out:
    return rc;
}

static int mark_verified(store_sqlite_t *s, const char *user_id, int64_t now)
{
    sqlite3_stmt *stmt;
    int rc;

    if ((rc = store_sqlite_prepare(s, SQL_VERIFIED, &stmt)) != CORE_OK)
        goto out;
    if (sqlite3_bind_text(stmt, 1, user_id, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(stmt, 2, now) != SQLITE_OK) {
        rc = store_sqlite_bind_fail(s, stmt, "user verify");
        goto out;
    }
    rc = store_sqlite_step_done(s, stmt, "user verify", NULL);
out:
    return rc;
}

int store_sqlite_user_verify(store_t *base, const char *user_id, const uint8_t otp_hash[STORE_OTP_HASH_LEN])
{
    store_sqlite_t *s = store_sqlite_of(base);
    int rc;

    if ((rc = store_sqlite_begin(s)) != CORE_OK)
        return rc;
    if ((rc = consume(s, user_id, STORE_OTP_VERIFY, otp_hash)) == CORE_OK &&
        (rc = mark_verified(s, user_id, core_clock_now_ms())) == CORE_OK)
        rc = store_sqlite_commit(s);
    if (rc != CORE_OK)
        store_sqlite_rollback(s);
    return rc;
}

static int set_password(store_sqlite_t *s, const char *user_id, const char *password_hash, int64_t now)
{
    sqlite3_stmt *stmt;
    int rc;

    if ((rc = store_sqlite_prepare(s, SQL_PASSWORD, &stmt)) != CORE_OK)
        goto out;
    if (sqlite3_bind_text(stmt, 1, user_id, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(stmt, 2, password_hash, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(stmt, 3, now) != SQLITE_OK) {
        rc = store_sqlite_bind_fail(s, stmt, "user reset password");
        goto out;
    }
    rc = store_sqlite_step_done(s, stmt, "user reset password", NULL);
out:
    return rc;
}

/* The new hash and the end of every older session commit together: no
 * moment exists where the new password is set and an old session still works. */
int store_sqlite_user_reset_password(store_t *base, const char *user_id,
                                     const uint8_t otp_hash[STORE_OTP_HASH_LEN], const char *password_hash)
{
    store_sqlite_t *s = store_sqlite_of(base);
    int64_t now = core_clock_now_ms();
    int rc;

    if ((rc = store_sqlite_begin(s)) != CORE_OK)
        return rc;
    if ((rc = consume(s, user_id, STORE_OTP_RESET, otp_hash)) == CORE_OK &&
        (rc = set_password(s, user_id, password_hash, now)) == CORE_OK &&
        (rc = store_sqlite_user_revocation_put(s, user_id, now)) == CORE_OK)
        rc = store_sqlite_commit(s);
    if (rc != CORE_OK)
        store_sqlite_rollback(s);
    return rc;
}
