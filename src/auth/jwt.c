/*
 * This file implements the session tokens of jwt.h with libjwt. Signing
 * builds an HS256 token carrying id, jti (a UUIDv7 whose time is the issue
 * time), iat and exp, and copies libjwt's malloc'd string into the caller's
 * pool. Verification refuses oversized or oddly shaped input before libjwt
 * sees it, lets libjwt check the HMAC (Debian's build compares in constant
 * time, CVE-2024-25189), then refuses any algorithm but HS256 (spelled
 * exactly so) and any header with `crit` (RFC 7515 4.1.11: a recipient must
 * refuse critical extensions it does not understand, and we understand none;
 * libjwt ignores the member), and checks each claim's JSON type and range
 * itself, because libjwt's integer getters do not say when a claim is a
 * string or a float. The HTTP layer verifies on every
 * authenticated request; api/reply.c signs when a session starts. A token
 * this thread verified before under the same key is found in jwt_cache.c
 * instead (its expiry still checked): libjwt's path was a sixth of a list
 * page's CPU.
 */
#include "auth/jwt.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <jwt.h>

#include "auth/jwt_cache.h"
#include "core/error.h"

#define TTL_S (AUTH_JWT_TTL_MS / 1000)
#define IAT_SKEW_S 60 /* a token may say it was issued this far in our future */

static bool key_usable(const char *key, size_t key_len)
{
    /* libjwt skips the signature check when it gets no key */
    return key != NULL && key_len > 0 && key_len <= INT_MAX;
}

int auth_jwt_sign(const char *key, size_t key_len, const char *user_id, int64_t now_ms, core_pool_t *pool,
                  char **token, auth_claims_t *claims)
{
    jwt_t *jwt = NULL;
    char *encoded = NULL;
    auth_claims_t c;
    int rc = CORE_E_INTERNAL;

    *token = NULL;
    if (!key_usable(key, key_len) || user_id == NULL || !core_uuid_valid(core_str_c(user_id)) || now_ms < 0)
        goto out;
    memset(&c, 0, sizeof(c));
    memcpy(c.user_id, user_id, CORE_UUID_LEN + 1);
    core_uuid_v7(now_ms, c.jti);
    c.issued_at_ms = core_uuid_v7_time_ms(core_str(c.jti, CORE_UUID_LEN));
    c.iat = now_ms / 1000;
    c.exp = c.iat + TTL_S;
    if (jwt_new(&jwt) != 0 ||
        jwt_set_alg(jwt, JWT_ALG_HS256, (const unsigned char *)key, (int)key_len) != 0 ||
        jwt_add_grant(jwt, "id", c.user_id) != 0 || jwt_add_grant(jwt, "jti", c.jti) != 0 ||
        jwt_add_grant_int(jwt, "iat", (long)c.iat) != 0 || jwt_add_grant_int(jwt, "exp", (long)c.exp) != 0 ||
        (encoded = jwt_encode_str(jwt)) == NULL)
        goto out;
    *token = core_pool_strdup(pool, encoded);
    if (claims != NULL)
        *claims = c;
    rc = CORE_OK;
out:
    free(encoded);
    jwt_free(jwt);
    return rc;
}

/* Three non-empty base64url parts: anything else is refused unparsed. */
static bool token_shape_ok(core_str_t t)
{
    size_t dots = 0, part = 0;

    if (t.base == NULL || t.len == 0 || t.len > AUTH_JWT_MAX_LEN)
        return false;
    for (size_t i = 0; i < t.len; i++) {
        char ch = t.base[i];
        if (ch == '.') {
            if (part == 0 || ++dots > 2)
                return false;
            part = 0;
        } else if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
                   ch == '-' || ch == '_') {
            part++;
        } else {
            return false;
        }
    }
    return dots == 2 && part > 0;
}

/* A claim that must be a JSON integer (not a string, float or bool). */
static bool int_claim(jwt_t *jwt, const char *name, int64_t *out)
{
    char *json = jwt_get_grants_json(jwt, name);
    long long v;
    bool ok = json != NULL && json[0] >= '0' && json[0] <= '9' &&
              core_str_to_i64(core_str_c(json), 0, INT64_MAX, &v) == 0;

    if (ok)
        *out = (int64_t)v;
    free(json);
    return ok;
}

static bool uuid_claim(jwt_t *jwt, const char *name, char out[CORE_UUID_LEN + 1])
{
    const char *s = jwt_get_grant(jwt, name);

    if (s == NULL || !core_uuid_valid(core_str_c(s)))
        return false;
    memcpy(out, s, CORE_UUID_LEN + 1);
    return true;
}

/* A JOSE header whose alg is exactly "HS256" (names are case-sensitive, RFC
 * 7518 3.1, while libjwt maps "hS256" to HS256 too) and without `crit`,
 * whatever its value (even [] or null). */
static bool header_ok(jwt_t *jwt)
{
    const char *alg = jwt_get_header(jwt, "alg");
    char *crit = jwt_get_headers_json(jwt, "crit");
    bool ok = alg != NULL && strcmp(alg, "HS256") == 0 && crit == NULL;

    free(crit);
    return ok;
}

/* What depends on the time of the request: checked again on a cache hit. */
static bool times_ok(const auth_claims_t *c, int64_t now_ms)
{
    int64_t now_s = now_ms / 1000;

    return c->iat <= now_s + IAT_SKEW_S && c->exp > now_s;
}

static bool claims_ok(jwt_t *jwt, int64_t now_ms, auth_claims_t *c)
{
    if (!uuid_claim(jwt, "id", c->user_id) || !uuid_claim(jwt, "jti", c->jti) ||
        !int_claim(jwt, "iat", &c->iat) || !int_claim(jwt, "exp", &c->exp))
        return false;
    c->issued_at_ms = core_uuid_v7_time_ms(core_str(c->jti, CORE_UUID_LEN));
    return c->issued_at_ms >= 0 && c->issued_at_ms / 1000 == c->iat && times_ok(c, now_ms) && c->exp > c->iat &&
           c->exp - c->iat <= TTL_S;
}

int auth_jwt_verify(const char *key, size_t key_len, core_str_t token, int64_t now_ms, auth_claims_t *claims)
{
    char buf[AUTH_JWT_MAX_LEN + 1];
    jwt_t *jwt = NULL;
    int rc = CORE_E_NOT_AUTHORIZED;

    memset(claims, 0, sizeof(*claims));
    if (!key_usable(key, key_len) || !token_shape_ok(token))
        goto out;
    if (auth_jwt_cache_get(key, key_len, token, claims)) {
        if (times_ok(claims, now_ms))
            return CORE_OK;
        goto out;
    }
    memcpy(buf, token.base, token.len);
    buf[token.len] = '\0';
    if (jwt_decode(&jwt, buf, (const unsigned char *)key, (int)key_len) != 0 || jwt == NULL ||
        jwt_get_alg(jwt) != JWT_ALG_HS256 || !header_ok(jwt) || !claims_ok(jwt, now_ms, claims))
        goto out;
    auth_jwt_cache_put(key, key_len, token, claims);
    rc = CORE_OK;
out:
    jwt_free(jwt);
    if (rc != CORE_OK)
        memset(claims, 0, sizeof(*claims));
    return rc;
}

int auth_jwt_verify_rotating(const char *key, size_t key_len, const char *prev, size_t prev_len, core_str_t token,
                             int64_t now_ms, auth_claims_t *claims)
{
    int rc = auth_jwt_verify(key, key_len, token, now_ms, claims);
    if (rc != CORE_OK && prev != NULL)
        rc = auth_jwt_verify(prev, prev_len, token, now_ms, claims);
    return rc;
}
