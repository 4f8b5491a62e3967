/*
 * Tokens this thread verified lately, so that a session's next request skips
 * libjwt (base64, a JSON parse, OpenSSL's HMAC: a sixth of a list page's CPU).
 * Internal to src/auth/jwt.c. Each thread has its own table; nothing is
 * shared or locked.
 */
#ifndef AUTH_JWT_CACHE_H
#define AUTH_JWT_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/jwt.h"
#include "core/str.h"

/* true with *claims filled when this thread verified exactly this token
 * under exactly this key before. The claims' times are the caller's to check
 * against the time of the request. A miss says nothing: verify in full. */
bool auth_jwt_cache_get(const char *key, size_t key_len, core_str_t token, auth_claims_t *claims);

/* Remember a token that verified under key (claims as verification read them). */
void auth_jwt_cache_put(const char *key, size_t key_len, core_str_t token, const auth_claims_t *claims);

#endif
