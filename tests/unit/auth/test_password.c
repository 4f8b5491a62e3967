/*
 * Unit tests for src/auth/password.c: argon2id hashes verify, carry the
 * configured cost and are flagged for rehash when the cost goes up; bcrypt
 * hashes made by Python's crypt module (libxcrypt) in $2a$, $2b$ and $2y$
 * spelling verify and are always flagged; lengths are taken from the
 * argument, not from a NUL; unknown formats and oversized input are refused.
 * The argon2id cost is lowered so the suite runs fast.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "auth/password.h"
#include "core/clock.h"
#include "core/error.h"

#define OPS 1ULL
#define MEM (8192 * 1024)

/* python3: crypt.crypt("password123", crypt.mksalt(crypt.METHOD_BLOWFISH, rounds=1024 or 16)) */
#define BCRYPT_10 "$2b$10$AGErUwF3m5eYnzH.arz5eeoWnZ/6KI/gy8zloTv8KbKgZaZla0ZP."
#define BCRYPT_04 "$2b$04$qVWXeh5yMOXvdMsrPr3CdesXEVCOdBpOkAJigNvUnZuNNsIr3MsuS"
/* the same for "p\u00e4ssw\u00f6rd \u2713" (UTF-8) */
#define BCRYPT_UTF8 "$2b$04$0UwicS83hgVxXk1U59y0B.gWDigVeO5Pe8/abg3HP71vZPNcdyDD6"
#define UTF8_PASSWORD "p\xc3\xa4ssw\xc3\xb6rd \xe2\x9c\x93"

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    auth_password_configure(OPS, MEM);
    return 0;
}

/* hash with its first four characters ("$2b$") replaced by prefix */
static const char *respell(const char *prefix, const char *hash)
{
    static char buf[128];
    strcpy(buf, hash);
    memcpy(buf, prefix, 4);
    return buf;
}

static int verify_c(const char *stored, const char *password, bool *rehash)
{
    return auth_password_verify(stored, password, strlen(password), rehash);
}

static void test_argon2id_roundtrip(void **state)
{
    (void)state;
    char hash[AUTH_PASSWORD_HASH_MAX], hash2[AUTH_PASSWORD_HASH_MAX];
    bool rehash = true;

    assert_int_equal(auth_password_hash("correct horse", 13, hash), CORE_OK);
    assert_non_null(strstr(hash, "$argon2id$v=19$m=8192,t=1,p=1$"));
    assert_int_equal(verify_c(hash, "correct horse", &rehash), CORE_OK);
    assert_false(rehash);
    assert_int_equal(verify_c(hash, "correct horsf", &rehash), CORE_E_INVALID_CREDENTIALS);
    assert_int_equal(verify_c(hash, "correct hors", &rehash), CORE_E_INVALID_CREDENTIALS);
    assert_int_equal(verify_c(hash, "", &rehash), CORE_E_INVALID_CREDENTIALS);

    /* salted: the same password hashes differently, both verify */
    assert_int_equal(auth_password_hash("correct horse", 13, hash2), CORE_OK);
    assert_string_not_equal(hash, hash2);
    assert_int_equal(verify_c(hash2, "correct horse", &rehash), CORE_OK);
}

static void test_argon2id_binary_and_length(void **state)
{
    (void)state;
    char hash[AUTH_PASSWORD_HASH_MAX];
    bool rehash;
    const char pw[] = {'a', '\0', 'b', '\xff', 'c'};

    /* any bytes, NUL included; only len bytes count */
    assert_int_equal(auth_password_hash(pw, sizeof(pw), hash), CORE_OK);
    assert_int_equal(auth_password_verify(hash, pw, sizeof(pw), &rehash), CORE_OK);
    assert_int_equal(auth_password_verify(hash, pw, 1, &rehash), CORE_E_INVALID_CREDENTIALS);
    assert_int_equal(auth_password_verify(hash, "a", 1, &rehash), CORE_E_INVALID_CREDENTIALS);

    assert_int_equal(auth_password_hash("secret-and-more", 6, hash), CORE_OK);
    assert_int_equal(auth_password_verify(hash, "secret", 6, &rehash), CORE_OK);
    assert_int_equal(verify_c(hash, "secret-and-more", &rehash), CORE_E_INVALID_CREDENTIALS);

    static char big[AUTH_PASSWORD_MAX_LEN + 1];
    memset(big, 'x', sizeof(big));
    assert_int_equal(auth_password_hash(big, AUTH_PASSWORD_MAX_LEN, hash), CORE_OK);
    assert_int_equal(auth_password_verify(hash, big, AUTH_PASSWORD_MAX_LEN, &rehash), CORE_OK);
    assert_int_equal(auth_password_hash(big, AUTH_PASSWORD_MAX_LEN + 1, hash), CORE_E_INTERNAL);
    assert_string_equal(hash, "");
    assert_int_equal(auth_password_verify(hash, big, AUTH_PASSWORD_MAX_LEN + 1, &rehash),
                     CORE_E_INVALID_CREDENTIALS);
}

static void test_argon2id_rehash_when_cost_rises(void **state)
{
    (void)state;
    char hash[AUTH_PASSWORD_HASH_MAX];
    bool rehash = false;

    assert_int_equal(auth_password_hash("password123", 11, hash), CORE_OK);
    auth_password_configure(OPS + 1, MEM);
    assert_int_equal(verify_c(hash, "password123", &rehash), CORE_OK);
    assert_true(rehash);
    auth_password_configure(OPS, MEM * 2);
    assert_int_equal(verify_c(hash, "password123", &rehash), CORE_OK);
    assert_true(rehash);
    /* a wrong password never asks for a rehash */
    assert_int_equal(verify_c(hash, "password124", &rehash), CORE_E_INVALID_CREDENTIALS);
    assert_false(rehash);
    auth_password_configure(OPS, MEM);
    assert_int_equal(verify_c(hash, "password123", &rehash), CORE_OK);
    assert_false(rehash);
}

static void test_bcrypt_known_hashes(void **state)
{
    (void)state;
    bool rehash = false;

    assert_int_equal(verify_c(BCRYPT_10, "password123", &rehash), CORE_OK);
    assert_true(rehash);
    assert_int_equal(verify_c(BCRYPT_04, "password123", &rehash), CORE_OK);
    assert_true(rehash);
    /* bcryptjs (the original app) writes $2a$, PHP writes $2y$: same hash for these inputs */
    assert_int_equal(verify_c(respell("$2a$", BCRYPT_04), "password123", &rehash), CORE_OK);
    assert_true(rehash);
    assert_int_equal(verify_c(respell("$2y$", BCRYPT_04), "password123", &rehash), CORE_OK);
    assert_int_equal(verify_c(BCRYPT_UTF8, UTF8_PASSWORD, &rehash), CORE_OK);
    assert_int_equal(verify_c(respell("$2a$", BCRYPT_UTF8), UTF8_PASSWORD, &rehash), CORE_OK);

    assert_int_equal(verify_c(BCRYPT_10, "password124", &rehash), CORE_E_INVALID_CREDENTIALS);
    assert_false(rehash);
    assert_int_equal(verify_c(BCRYPT_04, "Password123", &rehash), CORE_E_INVALID_CREDENTIALS);
    assert_int_equal(verify_c(BCRYPT_04, "", &rehash), CORE_E_INVALID_CREDENTIALS);
    assert_int_equal(verify_c(respell("$2y$", BCRYPT_04), "password12", &rehash), CORE_E_INVALID_CREDENTIALS);
}

static void test_bcrypt_length_not_nul(void **state)
{
    (void)state;
    bool rehash;

    /* not NUL-terminated at len */
    assert_int_equal(auth_password_verify(BCRYPT_04, "password123456", 11, &rehash), CORE_OK);
    /* a NUL inside would make crypt_r see "password123" */
    assert_int_equal(auth_password_verify(BCRYPT_04, "password123\0abc", 15, &rehash),
                     CORE_E_INVALID_CREDENTIALS);
    assert_int_equal(auth_password_verify(BCRYPT_04, "password123", 10, &rehash), CORE_E_INVALID_CREDENTIALS);
}

static void test_unknown_and_damaged_formats(void **state)
{
    (void)state;
    bool rehash = true;
    char truncated[] = BCRYPT_04;
    truncated[sizeof(truncated) - 2] = '\0';

    assert_int_equal(verify_c(truncated, "password123", &rehash), CORE_E_INVALID_CREDENTIALS);
    assert_false(rehash);
    assert_int_equal(verify_c(respell("$2x$", BCRYPT_04), "password123", &rehash),
                     CORE_E_INVALID_CREDENTIALS);
    assert_int_equal(verify_c("$2b$04$short", "password123", &rehash), CORE_E_INVALID_CREDENTIALS);
    assert_int_equal(verify_c("$1$saltsalt$abcdefghijklmnopqrstuv", "password123", &rehash),
                     CORE_E_INVALID_CREDENTIALS);
    assert_int_equal(verify_c("$6$salt$x", "password123", &rehash), CORE_E_INVALID_CREDENTIALS);
    assert_int_equal(verify_c("password123", "password123", &rehash), CORE_E_INVALID_CREDENTIALS);
    assert_int_equal(verify_c("", "", &rehash), CORE_E_INVALID_CREDENTIALS);
    assert_int_equal(verify_c("$argon2id$", "password123", &rehash), CORE_E_INVALID_CREDENTIALS);
    assert_int_equal(auth_password_verify(NULL, "password123", 11, &rehash), CORE_E_INVALID_CREDENTIALS);

    /* argon2i is not a format we write; it is refused even when it would verify */
    char hash[AUTH_PASSWORD_HASH_MAX];
    assert_int_equal(crypto_pwhash_str_alg(hash, "password123", 11, 3, MEM, crypto_pwhash_ALG_ARGON2I13), 0);
    assert_int_equal(verify_c(hash, "password123", &rehash), CORE_E_INVALID_CREDENTIALS);
}

static int64_t min_time_ns(void (*fn)(void))
{
    int64_t best = INT64_MAX;
    for (int i = 0; i < 3; i++) {
        int64_t t0 = core_clock_mono_ns();
        fn();
        int64_t dt = core_clock_mono_ns() - t0;
        if (dt < best)
            best = dt;
    }
    return best;
}

static char timing_hash[AUTH_PASSWORD_HASH_MAX];

static void real_verify(void)
{
    bool rehash;
    assert_int_equal(verify_c(timing_hash, "wrong password", &rehash), CORE_E_INVALID_CREDENTIALS);
}

static void dummy_verify(void)
{
    auth_password_verify_dummy("wrong password", 14);
}

static void *dummy_thread(void *arg)
{
    (void)arg;
    auth_password_verify_dummy("first callers race for the dummy hash", 37);
    return NULL;
}

static void test_dummy_costs_like_a_verify(void **state)
{
    (void)state;
    pthread_t threads[3];

    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, dummy_thread, NULL), 0);
    for (int i = 0; i < 3; i++)
        pthread_join(threads[i], NULL);
    assert_int_equal(auth_password_hash("password123", 11, timing_hash), CORE_OK);
    int64_t real = min_time_ns(real_verify), dummy = min_time_ns(dummy_verify);
    print_message("verify %lld us, dummy %lld us\n", (long long)real / 1000, (long long)dummy / 1000);
    /* same cost, so the same order of time (loose bounds: machines are noisy) */
    assert_true(dummy * 3 >= real);
    assert_true(dummy <= real * 3);
    auth_password_verify_dummy(NULL, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_argon2id_roundtrip),
        cmocka_unit_test(test_argon2id_binary_and_length),
        cmocka_unit_test(test_argon2id_rehash_when_cost_rises),
        cmocka_unit_test(test_bcrypt_known_hashes),
        cmocka_unit_test(test_bcrypt_length_not_nul),
        cmocka_unit_test(test_unknown_and_damaged_formats),
        cmocka_unit_test(test_dummy_costs_like_a_verify),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
