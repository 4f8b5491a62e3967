/*
 * This file implements the verified-token cache of jwt_cache.h. A slot holds
 * the BLAKE2b digest of (key length, key, token) and the claims read from the
 * token; the digest's first bytes pick the slot (direct-mapped, a newer token
 * overwrites), and a lookup compares the whole digest with sodium_memcmp. So
 * a hit needs the same token bytes under the same key, as a verification
 * would, and no token or key is kept in the table. What a verification checks
 * that changes with time (expiry, issue time) jwt.c checks on every hit. Revocation
 * and the account check are not verification's job and still run per request
 * (http/request.c).
 */
#include "auth/jwt_cache.h"

#include <string.h>

#include <sodium.h>

#define SLOTS 256 /* per thread: 256 x 136 bytes */

typedef struct slot {
    unsigned char digest[crypto_generichash_BYTES];
    auth_claims_t claims;
    bool used;
} slot_t;

static _Thread_local slot_t slots[SLOTS];

static void digest_of(const char *key, size_t key_len, core_str_t token, unsigned char out[crypto_generichash_BYTES])
{
    crypto_generichash_state st;
    uint64_t n = key_len;

    crypto_generichash_init(&st, NULL, 0, crypto_generichash_BYTES);
    crypto_generichash_update(&st, (const unsigned char *)&n, sizeof(n));
    crypto_generichash_update(&st, (const unsigned char *)key, key_len);
    crypto_generichash_update(&st, (const unsigned char *)token.base, token.len);
    crypto_generichash_final(&st, out, crypto_generichash_BYTES);
}

static slot_t *slot_of(const unsigned char *digest)
{
    return &slots[(digest[0] | (unsigned)digest[1] << 8) % SLOTS];
}

bool auth_jwt_cache_get(const char *key, size_t key_len, core_str_t token, auth_claims_t *claims)
{
    unsigned char digest[crypto_generichash_BYTES];
    const slot_t *s;

    digest_of(key, key_len, token, digest);
    s = slot_of(digest);
    if (!s->used || sodium_memcmp(s->digest, digest, sizeof(digest)) != 0)
        return false;
    *claims = s->claims;
    return true;
}

void auth_jwt_cache_put(const char *key, size_t key_len, core_str_t token, const auth_claims_t *claims)
{
    unsigned char digest[crypto_generichash_BYTES];
    slot_t *s;

    digest_of(key, key_len, token, digest);
    s = slot_of(digest);
    memcpy(s->digest, digest, sizeof(digest));
    s->claims = *claims;
    s->used = true;
}
