/*
 * One-time passwords for email verification and password reset: 6 digits
 * from libsodium's CSPRNG, stored only as a keyed BLAKE2b hash bound to the
 * user and the purpose, compared in constant time. Thread-safe once the key
 * is set at start-up.
 */
#ifndef AUTH_OTP_H
#define AUTH_OTP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/str.h"
#include "store/store.h"

#define AUTH_OTP_DIGITS 6
#define AUTH_OTP_MAX_ATTEMPTS 5
#define AUTH_OTP_VERIFY_TTL_MS (24LL * 3600 * 1000)
#define AUTH_OTP_RESET_TTL_MS (15LL * 60 * 1000)

/* Derive the hashing key from the server secret (call once at start-up). */
void auth_otp_init(const char *secret, size_t secret_len);

/* Write a fresh, uniformly random 6-digit code and its NUL into out. */
void auth_otp_generate(char out[AUTH_OTP_DIGITS + 1]);

/* Keyed hash of code for (user_id, purpose). Codes that are not exactly six
 * ASCII digits hash to a value no generated code can have. */
void auth_otp_hash(const char *user_id, enum store_otp_purpose purpose, core_str_t code,
                   uint8_t out[STORE_OTP_HASH_LEN]);

/* Constant-time comparison of two hashes. */
bool auth_otp_equal(const uint8_t a[STORE_OTP_HASH_LEN], const uint8_t b[STORE_OTP_HASH_LEN]);

#endif
