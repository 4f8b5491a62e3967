/*
 * This file implements the one-time passwords of the PostgreSQL backend:
 * issuing one (with its mail, in one transaction), spending an attempt, and
 * consuming it to verify an account or reset a password. Only the OTP's hash
 * is stored (bytea, sent and read as hex). An attempt is one UPDATE that
 * counts it only while attempts remain and returns the row, so concurrent
 * guesses serialize on the row lock and cannot exceed the limit; consuming
 * deletes the row only if it still holds the hash the caller checked.
 */
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "store/postgres/postgres.h"

static const char SQL_PUT[] = "INSERT INTO otps (user_id, purpose, hash, expires_at, attempts) "
                              "VALUES ($1, $2, decode($3, 'hex'), $4, 0) ON CONFLICT (user_id, purpose) DO UPDATE "
                              "SET hash = excluded.hash, expires_at = excluded.expires_at, attempts = 0";
static const char SQL_COUNT[] = "UPDATE otps SET attempts = attempts + 1 "
                                "WHERE user_id = $1 AND purpose = $2 AND attempts < $3 "
                                "RETURNING encode(hash, 'hex'), expires_at, attempts";
static const char SQL_VOID[] = "DELETE FROM otps WHERE user_id = $1 AND purpose = $2 AND attempts >= $3";
static const char SQL_CONSUME[] = "DELETE FROM otps WHERE user_id = $1 AND purpose = $2 AND hash = decode($3, 'hex')";
static const char SQL_VERIFIED[] = "UPDATE users SET is_account_verified = true, updated_at = $2 WHERE id = $1";
static const char SQL_PASSWORD[] = "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1";

static void to_hex(const uint8_t hash[STORE_OTP_HASH_LEN], char out[2 * STORE_OTP_HASH_LEN + 1])
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < STORE_OTP_HASH_LEN; i++) {
        out[2 * i] = digits[hash[i] >> 4];
        out[2 * i + 1] = digits[hash[i] & 15];
    }
    out[2 * STORE_OTP_HASH_LEN] = '\0';
}

static int from_hex(const char *hex, size_t len, uint8_t out[STORE_OTP_HASH_LEN])
{
    if (len != 2 * STORE_OTP_HASH_LEN)
        return -1;
    for (size_t i = 0; i < STORE_OTP_HASH_LEN; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        out[i] = (uint8_t)v;
    }
    return 0;
}

int store_pg_otp_put(store_t *base, const char *user_id, enum store_otp_purpose purpose,
                     const uint8_t hash[STORE_OTP_HASH_LEN], int64_t expires_at, const mail_msg_t *mail)
{
    char p[24], exp[24], hex[2 * STORE_OTP_HASH_LEN + 1], state[6];
    const char *params[] = {user_id, store_pg_i64(p, purpose), hex, store_pg_i64(exp, expires_at)};
    store_pg_conn_t *c;
    int rc;

    to_hex(hash, hex);
    if ((rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_PRIMARY, NULL, &c)) != CORE_OK)
        return rc;
    if ((rc = store_pg_begin(c)) != CORE_OK)
        goto out;
    rc = store_pg_query(c, SQL_PUT, 4, params, NULL, "otp put", true, state, NULL);
    if (rc == CORE_E_CONFLICT) /* the foreign key: no such user */
        rc = store_pg_constraint_code(state);
    if (rc == CORE_OK && mail != NULL)
        rc = store_pg_outbox_insert(c, mail);
    if (rc == CORE_OK)
        rc = store_pg_commit(c);
out:
    if (rc != CORE_OK)
        store_pg_rollback(c);
    store_pg_release(c);
    return rc;
}

int store_pg_otp_attempt(store_t *base, const char *user_id, enum store_otp_purpose purpose, int max_attempts,
                         store_otp_t *out)
{
    char p[24], max[24];
    const char *params[] = {user_id, store_pg_i64(p, purpose), store_pg_i64(max, max_attempts)};
    store_pg_conn_t *c;
    PGresult *res = NULL;
    int rc;

    if ((rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_PRIMARY, NULL, &c)) != CORE_OK)
        return rc;
    if ((rc = store_pg_query(c, SQL_COUNT, 3, params, NULL, "otp attempt", false, NULL, &res)) != CORE_OK)
        goto out;
    if (PQntuples(res) == 0) {
        /* none, or used up: void a used-up one so it stays void */
        if ((rc = store_pg_query(c, SQL_VOID, 3, params, NULL, "otp attempt", false, NULL, NULL)) == CORE_OK)
            rc = CORE_E_NOT_FOUND;
        goto out;
    }
    if (from_hex(PQgetvalue(res, 0, 0), (size_t)PQgetlength(res, 0, 0), out->hash) != 0) {
        log_error("postgres: otp hash has the wrong size"); /* the CHECK constraint makes this impossible */
        rc = CORE_E_INTERNAL;
        goto out;
    }
    out->expires_at = store_pg_get_i64(res, 0, 1);
    out->attempts = (int)store_pg_get_i64(res, 0, 2);
out:
    PQclear(res);
    store_pg_release(c);
    return rc;
}

/* Delete the OTP if it still has hash; CORE_E_NOT_FOUND when it does not. */
static int consume(store_pg_conn_t *c, const char *user_id, enum store_otp_purpose purpose,
                   const uint8_t hash[STORE_OTP_HASH_LEN])
{
    char p[24], hex[2 * STORE_OTP_HASH_LEN + 1];
    const char *params[] = {user_id, store_pg_i64(p, purpose), hex};
    PGresult *res = NULL;
    int rc;

    to_hex(hash, hex);
    rc = store_pg_query(c, SQL_CONSUME, 3, params, NULL, "otp consume", false, NULL, &res);
    if (rc == CORE_OK && store_pg_changes(res) == 0)
        rc = CORE_E_NOT_FOUND;
    PQclear(res);
    return rc;
}

int store_pg_user_verify(store_t *base, const char *user_id, const uint8_t otp_hash[STORE_OTP_HASH_LEN])
{
    char now[24];
    const char *params[] = {user_id, store_pg_i64(now, core_clock_now_ms())};
    store_pg_conn_t *c;
    int rc;

    if ((rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_PRIMARY, NULL, &c)) != CORE_OK)
        return rc;
    if ((rc = store_pg_begin(c)) == CORE_OK && (rc = consume(c, user_id, STORE_OTP_VERIFY, otp_hash)) == CORE_OK &&
        (rc = store_pg_query(c, SQL_VERIFIED, 2, params, NULL, "user verify", false, NULL, NULL)) == CORE_OK)
        rc = store_pg_commit(c);
    if (rc != CORE_OK)
        store_pg_rollback(c);
    store_pg_release(c);
    return rc;
}

/* The new hash and the end of every older session commit together: no
 * moment exists where the new password is set and an old session still works. */
int store_pg_user_reset_password(store_t *base, const char *user_id, const uint8_t otp_hash[STORE_OTP_HASH_LEN],
                                 const char *password_hash)
{
    int64_t now_ms = core_clock_now_ms();
    char now[24];
    const char *params[] = {user_id, password_hash, store_pg_i64(now, now_ms)};
    store_pg_conn_t *c;
    int rc;

    if ((rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_PRIMARY, NULL, &c)) != CORE_OK)
        return rc;
    if ((rc = store_pg_begin(c)) == CORE_OK && (rc = consume(c, user_id, STORE_OTP_RESET, otp_hash)) == CORE_OK &&
        (rc = store_pg_query(c, SQL_PASSWORD, 3, params, NULL, "user reset password", false, NULL, NULL)) ==
            CORE_OK &&
        (rc = store_pg_user_revocation_put(c, user_id, now_ms)) == CORE_OK)
        rc = store_pg_commit(c);
    if (rc != CORE_OK)
        store_pg_rollback(c);
    store_pg_release(c);
    return rc;
}
