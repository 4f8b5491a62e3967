/*
 * libFuzzer target: auth_jwt_verify (src/auth/jwt.c) on raw input, as the
 * Authorization header or the token cookie deliver it: the shape check, then
 * libjwt's base64 and JSON parsing. The fuzzer cannot forge the HMAC, so the
 * property is that nothing is accepted unless its third part is the
 * HMAC-SHA256 of the first two under the key, recomputed here with
 * libsodium, and an accepted token is three non-empty base64url parts of at
 * most AUTH_JWT_MAX_LEN bytes. jwt_claims.c signs fuzzed headers and claims
 * to test what happens after the signature.
 */
#include <sodium.h>
#include <string.h>

#include "auth/jwt.h"
#include "core/error.h"
#include "fuzz.h"

#define KEY "fuzz-key-0123456789abcdef0123456789abcdef"
#define NOW_MS 1767225600000LL /* 2026-01-01T00:00:00Z */

static bool signature_ok(core_str_t t)
{
    const char *dot2 = NULL;
    unsigned char mac[crypto_auth_hmacsha256_BYTES], sig[64];
    size_t sig_len;

    for (size_t i = t.len; i > 0; i--)
        if (t.base[i - 1] == '.') {
            dot2 = t.base + i - 1;
            break;
        }
    if (dot2 == NULL ||
        sodium_base642bin(sig, sizeof(sig), dot2 + 1, (size_t)(t.base + t.len - dot2 - 1), NULL, &sig_len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        sig_len != sizeof(mac))
        return false;
    crypto_auth_hmacsha256_state st;
    crypto_auth_hmacsha256_init(&st, (const unsigned char *)KEY, strlen(KEY));
    crypto_auth_hmacsha256_update(&st, (const unsigned char *)t.base, (size_t)(dot2 - t.base));
    crypto_auth_hmacsha256_final(&st, mac);
    return sodium_memcmp(mac, sig, sizeof(mac)) == 0;
}

static bool shape_ok(core_str_t t)
{
    size_t parts = 1, run = 0;

    if (t.len == 0 || t.len > AUTH_JWT_MAX_LEN)
        return false;
    for (size_t i = 0; i < t.len; i++) {
        char c = t.base[i];
        if (c == '.') {
            if (run == 0)
                return false;
            parts++;
            run = 0;
        } else if (strchr("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", c) != NULL && c) {
            run++;
        } else {
            return false;
        }
    }
    return parts == 3 && run > 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    core_str_t token = core_str((const char *)data, size);
    auth_claims_t claims;

    if (sodium_init() < 0)
        abort();
    if (auth_jwt_verify(KEY, strlen(KEY), token, NOW_MS, &claims) == CORE_OK) {
        FUZZ_CHECK(shape_ok(token), "accepted a token that is not three base64url parts: %.*s", (int)size, token.base);
        FUZZ_CHECK(signature_ok(token), "accepted a token without a valid HS256 signature: %.*s", (int)size,
                   token.base);
    }
    return 0;
}
