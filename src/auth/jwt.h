/*
 * Session tokens: JWT HS256 (libjwt) carrying id (the user id), jti (a
 * UUIDv7, so its time is the issue time in ms), iat and exp (seconds).
 * Thread-safe; the key is read-only after start-up.
 */
#ifndef AUTH_JWT_H
#define AUTH_JWT_H

#include <stddef.h>
#include <stdint.h>

#include "core/pool.h"
#include "core/str.h"
#include "core/uuid.h"

#define AUTH_JWT_TTL_MS (7LL * 24 * 3600 * 1000)
#define AUTH_JWT_MAX_LEN 4096 /* tokens longer than this are refused unparsed */

typedef struct auth_claims {
    char user_id[CORE_UUID_LEN + 1];
    char jti[CORE_UUID_LEN + 1];
    int64_t issued_at_ms; /* from the jti */
    int64_t iat;          /* seconds */
    int64_t exp;          /* seconds */
} auth_claims_t;

/* Sign a token for user_id, issued at now_ms, valid AUTH_JWT_TTL_MS.
 * The token string is allocated from pool; claims (optional) receive what was
 * signed. Returns CORE_OK or CORE_E_INTERNAL. */
int auth_jwt_sign(const char *key, size_t key_len, const char *user_id, int64_t now_ms, core_pool_t *pool,
                  char **token, auth_claims_t *claims);

/* Verify signature (HS256 only: "none" and other algorithms are refused),
 * a header without `crit`, expiry against now_ms, and claim shapes. Returns CORE_OK with *claims
 * filled, or CORE_E_NOT_AUTHORIZED for any defect. */
int auth_jwt_verify(const char *key, size_t key_len, core_str_t token, int64_t now_ms, auth_claims_t *claims);

/* The same with the current key, then (when prev is not NULL) the previous
 * one: during a JWT_SECRET rotation, tokens signed before it stay valid until
 * they expire, while new ones are signed with key alone. */
int auth_jwt_verify_rotating(const char *key, size_t key_len, const char *prev, size_t prev_len, core_str_t token,
                             int64_t now_ms, auth_claims_t *claims);

#endif
