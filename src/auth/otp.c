/*
 * This file implements the one-time passwords of otp.h. The hashing key is
 * BLAKE2b of a label and the server secret, so it differs from the JWT key
 * made from the same secret. A code's hash is keyed BLAKE2b-256 over a framed
 * message: a domain byte, the purpose, then the user id and the code each
 * preceded by its length, so no two (user, purpose, code) triples frame to
 * the same bytes. Input that is not six ASCII digits is hashed under another
 * domain byte, so a typo can never equal a stored hash. api/auth.c stores
 * only these hashes and compares them with auth_otp_equal.
 */
#include "auth/otp.h"

#include <string.h>

#include <sodium.h>

#define KEY_LABEL "lsf-tasks otp key v1"
#define DOMAIN_CODE 0x01
#define DOMAIN_NOT_A_CODE 0x02

static uint8_t otp_key[crypto_generichash_KEYBYTES];

void auth_otp_init(const char *secret, size_t secret_len)
{
    crypto_generichash_state st;

    crypto_generichash_init(&st, NULL, 0, sizeof(otp_key));
    crypto_generichash_update(&st, (const unsigned char *)KEY_LABEL, sizeof(KEY_LABEL));
    crypto_generichash_update(&st, (const unsigned char *)secret, secret_len);
    crypto_generichash_final(&st, otp_key, sizeof(otp_key));
    sodium_memzero(&st, sizeof(st));
}

void auth_otp_generate(char out[AUTH_OTP_DIGITS + 1])
{
    uint32_t n = randombytes_uniform(1000000);

    for (int i = AUTH_OTP_DIGITS - 1; i >= 0; i--) {
        out[i] = (char)('0' + n % 10);
        n /= 10;
    }
    out[AUTH_OTP_DIGITS] = '\0';
}

static bool is_code(core_str_t code)
{
    if (code.len != AUTH_OTP_DIGITS)
        return false;
    for (size_t i = 0; i < code.len; i++)
        if (code.base[i] < '0' || code.base[i] > '9')
            return false;
    return true;
}

static void update_framed(crypto_generichash_state *st, const void *data, size_t len)
{
    uint8_t len_le[8];

    for (int i = 0; i < 8; i++)
        len_le[i] = (uint8_t)((uint64_t)len >> (8 * i));
    crypto_generichash_update(st, len_le, sizeof(len_le));
    if (len > 0)
        crypto_generichash_update(st, data, len);
}

void auth_otp_hash(const char *user_id, enum store_otp_purpose purpose, core_str_t code,
                   uint8_t out[STORE_OTP_HASH_LEN])
{
    crypto_generichash_state st;
    uint8_t head[2] = {is_code(code) ? DOMAIN_CODE : DOMAIN_NOT_A_CODE, (uint8_t)purpose};

    crypto_generichash_init(&st, otp_key, sizeof(otp_key), STORE_OTP_HASH_LEN);
    crypto_generichash_update(&st, head, sizeof(head));
    update_framed(&st, user_id, user_id != NULL ? strlen(user_id) : 0);
    update_framed(&st, code.base, code.base != NULL ? code.len : 0);
    crypto_generichash_final(&st, out, STORE_OTP_HASH_LEN);
    sodium_memzero(&st, sizeof(st));
}

bool auth_otp_equal(const uint8_t a[STORE_OTP_HASH_LEN], const uint8_t b[STORE_OTP_HASH_LEN])
{
    return sodium_memcmp(a, b, STORE_OTP_HASH_LEN) == 0;
}
