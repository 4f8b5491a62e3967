/*
 * libFuzzer target: auth_jwt_verify (src/auth/jwt.c) after the signature,
 * on tokens signed here with the server's key: the input is a header JSON
 * text, '\n', a claims JSON text, base64url-encoded and signed with
 * HMAC-SHA256 (libsodium). Properties of a token accepted at NOW_MS: the
 * header says "alg":"HS256" and has no "crit" (RFC 7515 4.1.11: extensions
 * we do not implement must be refused); "id" and "jti" are the claims
 * returned, canonical UUIDs, the jti a UUIDv7 issued in the iat second;
 * "iat" and "exp" are JSON integers equal to the claims returned, with
 * iat <= now + 60 s, now < exp and 0 < exp - iat <= 7 days.
 */
#include <jansson.h>
#include <sodium.h>
#include <string.h>

#include "auth/jwt.h"
#include "core/error.h"
#include "core/uuid.h"
#include "fuzz.h"

#define KEY "fuzz-key-0123456789abcdef0123456789abcdef"
#define NOW_MS 1767225600000LL /* 2026-01-01T00:00:00Z */

static size_t put_b64(char *out, core_str_t s)
{
    size_t cap = sodium_base64_ENCODED_LEN(s.len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);

    sodium_bin2base64(out, cap, (const unsigned char *)s.base, s.len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return strlen(out);
}

static void check_accepted(core_str_t header, core_str_t payload, const auth_claims_t *c)
{
    /* libjwt reads the decoded parts as C strings: a NUL ends them (what
     * follows is signed too, so it cannot be added without the key) */
    json_t *h = json_loadb(header.base, strnlen(header.base, header.len), 0, NULL);
    json_t *p = json_loadb(payload.base, strnlen(payload.base, payload.len), 0, NULL);
    int64_t now_s = NOW_MS / 1000;

    FUZZ_CHECK(json_is_object(h) && json_is_object(p), "accepted a header or claims that are no JSON object: %.*s / %.*s",
               (int)header.len, header.base, (int)payload.len, payload.base);
    json_t *alg = json_object_get(h, "alg");
    FUZZ_CHECK(json_is_string(alg) && strcmp(json_string_value(alg), "HS256") == 0, "accepted alg %.*s",
               (int)header.len, header.base);
    FUZZ_CHECK(json_object_get(h, "crit") == NULL, "accepted a header with crit: %.*s", (int)header.len, header.base);
    json_t *id = json_object_get(p, "id"), *jti = json_object_get(p, "jti");
    json_t *iat = json_object_get(p, "iat"), *exp = json_object_get(p, "exp");
    FUZZ_CHECK(json_is_string(id) && strcmp(json_string_value(id), c->user_id) == 0 &&
                   core_uuid_valid(core_str_c(c->user_id)),
               "id claim vs \"%s\": %.*s", c->user_id, (int)payload.len, payload.base);
    FUZZ_CHECK(json_is_string(jti) && strcmp(json_string_value(jti), c->jti) == 0 &&
                   core_uuid_v7_time_ms(core_str_c(c->jti)) / 1000 == c->iat,
               "jti claim vs \"%s\": %.*s", c->jti, (int)payload.len, payload.base);
    FUZZ_CHECK(json_is_integer(iat) && json_integer_value(iat) == c->iat && json_is_integer(exp) &&
                   json_integer_value(exp) == c->exp,
               "iat/exp claims vs %lld/%lld: %.*s", (long long)c->iat, (long long)c->exp, (int)payload.len,
               payload.base);
    FUZZ_CHECK(c->iat <= now_s + 60 && c->exp > now_s && c->exp > c->iat && c->exp - c->iat <= AUTH_JWT_TTL_MS / 1000,
               "accepted iat %lld exp %lld at %lld", (long long)c->iat, (long long)c->exp, (long long)now_s);
    json_decref(h);
    json_decref(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    core_str_t parts[2];
    unsigned char mac[crypto_auth_hmacsha256_BYTES];
    auth_claims_t claims;

    if (sodium_init() < 0)
        abort();
    fuzz_split(data, size, '\n', parts, 2);
    size_t cap = sodium_base64_ENCODED_LEN(size, sodium_base64_VARIANT_URLSAFE_NO_PADDING) * 2 + 64;
    char *token = malloc(cap);
    size_t len = put_b64(token, parts[0]);
    token[len++] = '.';
    len += put_b64(token + len, parts[1]);
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)KEY, strlen(KEY));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)token, len);
    crypto_auth_hmacsha256_final(&st, mac);
    token[len++] = '.';
    len += put_b64(token + len, core_str((const char *)mac, sizeof(mac)));
    if (auth_jwt_verify(KEY, strlen(KEY), core_str(token, len), NOW_MS, &claims) == CORE_OK)
        check_accepted(parts[0], parts[1], &claims);
    free(token);
    return 0;
}
