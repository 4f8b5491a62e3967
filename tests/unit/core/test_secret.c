/*
 * Unit tests for src/core/secret.c: the secrets nobody should deploy are
 * refused, each for its reason, and random ones of the lengths people use
 * (openssl rand -hex 16 / -hex 32 / -base64 48, from libsodium here) pass,
 * a thousand times each.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/secret.h"

static const char *weakness(const char *s)
{
    return core_secret_weakness(s, strlen(s));
}

static void test_weak_secrets_refused(void **state)
{
    (void)state;
    assert_string_equal(weakness("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"), "one character repeated");
    assert_string_equal(weakness("abababababababababababababababab"), "very few different characters");
    assert_string_equal(weakness("0000000000000000111111111111111122"), "very few different characters");
    assert_string_equal(weakness("0123456789abcdef0123456789abcdef"), "mostly a repetition of itself");
    assert_string_equal(weakness("password1!password1!password1!pw"), "mostly a repetition of itself");
    assert_string_equal(weakness("my-secret-key-my-secret-key-1234"), "mostly a repetition of itself");
    assert_string_equal(weakness("abcdefghijklmnopqrstuvwxyz012345"), "a run such as abcdef or 123456");
    assert_string_equal(weakness("zyxwvutsrqponmlkjihgfedcba987654"), "a run such as abcdef or 123456");
    assert_string_equal(weakness("acegikmoqsuwyACEGIKMOQSUWY02468X"), "a run such as abcdef or 123456");
    /* ten letters, but mostly one: no pattern, about 2.3 bits a byte */
    assert_string_equal(weakness("aafhabacajeaabaaaaadaaagaaagefaa"),
                        "too little variety for its length (low estimated entropy)");
}

static void test_reasonable_secrets_pass(void **state)
{
    (void)state;
    assert_null(weakness("correct horse battery staple for jwt"));
    assert_null(weakness("the quick brown fox jumps over the lazy dog"));
    assert_null(weakness("wZGqheVHYjE1lHV/dg1HVOvxSgn4YFm4v+ieUd7gMB1EcPSYp0FAsKATV89ADc96"));
}

static void test_random_secrets_pass(void **state)
{
    unsigned char raw[48];
    char text[2 * sizeof(raw) + 1];
    (void)state;

    for (int i = 0; i < 1000; i++) {
        randombytes_buf(raw, sizeof(raw));
        sodium_bin2hex(text, sizeof(text), raw, 16); /* openssl rand -hex 16: 128 bits */
        assert_null(weakness(text));
        sodium_bin2hex(text, sizeof(text), raw, 32); /* openssl rand -hex 32 */
        assert_null(weakness(text));
        sodium_bin2base64(text, sizeof(text), raw, 48, sodium_base64_VARIANT_ORIGINAL); /* -base64 48 */
        assert_null(weakness(text));
    }
}

static void test_long_secret_is_bounded(void **state)
{
    static char big[1 << 20];
    (void)state;
    /* a megabyte of random bytes but for a repeated head: judged on its first
     * 256 bytes for repetition, whole for the rest, and quickly */
    randombytes_buf(big, sizeof(big));
    assert_null(core_secret_weakness(big, sizeof(big)));
    memset(big, 'q', sizeof(big));
    assert_string_equal(core_secret_weakness(big, sizeof(big)), "one character repeated");
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_weak_secrets_refused),
        cmocka_unit_test(test_reasonable_secrets_pass),
        cmocka_unit_test(test_random_secrets_pass),
        cmocka_unit_test(test_long_secret_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
