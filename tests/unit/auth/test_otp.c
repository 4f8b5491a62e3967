/*
 * Unit tests for src/auth/otp.c: generated codes are six digits spread over
 * the whole range (leading zeros included); hashes match known answers
 * computed independently with Python's hashlib.blake2b (so stored hashes stay
 * valid across releases), are bound to user, purpose, code and secret, and
 * input that is not six digits never hashes like a code; equality is exact.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "auth/otp.h"

#define SECRET "test-secret-0123456789abcdef0123456789"
#define USER "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c9d"
#define USER2 "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c9e"

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    auth_otp_init(SECRET, strlen(SECRET));
    return 0;
}

static void hash_c(const char *user, enum store_otp_purpose p, const char *code,
                   uint8_t out[STORE_OTP_HASH_LEN])
{
    auth_otp_hash(user, p, core_str_c(code), out);
}

static void assert_hex(const uint8_t h[STORE_OTP_HASH_LEN], const char *hex)
{
    char got[STORE_OTP_HASH_LEN * 2 + 1];
    sodium_bin2hex(got, sizeof(got), h, STORE_OTP_HASH_LEN);
    assert_string_equal(got, hex);
}

static void test_generate_shape_and_spread(void **state)
{
    (void)state;
    char code[AUTH_OTP_DIGITS + 1];
    int first_digit[10] = {0};
    int below_100000 = 0, n = 20000;
    char prev[AUTH_OTP_DIGITS + 1] = "";
    int repeats = 0;

    for (int i = 0; i < n; i++) {
        memset(code, 'x', sizeof(code));
        auth_otp_generate(code);
        assert_int_equal(strlen(code), AUTH_OTP_DIGITS);
        for (int j = 0; j < AUTH_OTP_DIGITS; j++)
            assert_true(code[j] >= '0' && code[j] <= '9');
        first_digit[code[0] - '0']++;
        if (code[0] == '0')
            below_100000++;
        if (strcmp(code, prev) == 0)
            repeats++;
        strcpy(prev, code);
    }
    /* each leading digit ~2000 times; bounds are > 8 standard deviations wide */
    for (int d = 0; d < 10; d++)
        assert_in_range(first_digit[d], 1600, 2400);
    assert_in_range(below_100000, 1600, 2400);
    assert_true(repeats < 5);
}

static void test_known_answers(void **state)
{
    (void)state;
    uint8_t h[STORE_OTP_HASH_LEN];

    hash_c(USER, STORE_OTP_VERIFY, "042917", h);
    assert_hex(h, "f9896aa5974b0d4bc75fd09e38980d8c6f95a32159cd1a188640f66fcdbe2ee2");
    hash_c(USER, STORE_OTP_RESET, "042917", h);
    assert_hex(h, "3d06893dc269a697bbb164334a68c7ceedbb0cca59d8e3c85978cc140765c5f3");
    /* five digits: the not-a-code domain */
    hash_c(USER, STORE_OTP_VERIFY, "42917", h);
    assert_hex(h, "f5bc99e4b83398a536475bf47a626a6a26f835a16e483a42b1c9ad394f349b86");
}

static void test_hash_binds_everything(void **state)
{
    (void)state;
    uint8_t a[STORE_OTP_HASH_LEN], b[STORE_OTP_HASH_LEN];

    hash_c(USER, STORE_OTP_VERIFY, "123456", a);
    hash_c(USER, STORE_OTP_VERIFY, "123456", b);
    assert_true(auth_otp_equal(a, b));
    /* only the slice counts, not what follows it */
    auth_otp_hash(USER, STORE_OTP_VERIFY, core_str("1234567", 6), b);
    assert_true(auth_otp_equal(a, b));

    hash_c(USER2, STORE_OTP_VERIFY, "123456", b);
    assert_false(auth_otp_equal(a, b));
    hash_c(USER, STORE_OTP_RESET, "123456", b);
    assert_false(auth_otp_equal(a, b));
    hash_c(USER, STORE_OTP_VERIFY, "123457", b);
    assert_false(auth_otp_equal(a, b));

    auth_otp_init("another secret", 14);
    hash_c(USER, STORE_OTP_VERIFY, "123456", b);
    assert_false(auth_otp_equal(a, b));
    auth_otp_init(SECRET, strlen(SECRET));
    hash_c(USER, STORE_OTP_VERIFY, "123456", b);
    assert_true(auth_otp_equal(a, b));
}

static void test_non_codes_never_match_codes(void **state)
{
    (void)state;
    static const char *const bad[] = {"",
                                      "12345",
                                      "1234567",
                                      "12345a",
                                      " 12345",
                                      "12345 ",
                                      "\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6",
                                      "+12345",
                                      "-12345",
                                      "12 345",
                                      "0x1234",
                                      "123456\n"};
    uint8_t codes[10][STORE_OTP_HASH_LEN], h[STORE_OTP_HASH_LEN];
    char code[AUTH_OTP_DIGITS + 1];

    for (int d = 0; d < 10; d++) {
        snprintf(code, sizeof(code), "12345%d", d);
        hash_c(USER, STORE_OTP_VERIFY, code, codes[d]);
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        hash_c(USER, STORE_OTP_VERIFY, bad[i], h);
        for (int d = 0; d < 10; d++)
            assert_false(auth_otp_equal(h, codes[d]));
    }
    /* a NUL inside the slice is not a digit either */
    auth_otp_hash(USER, STORE_OTP_VERIFY, core_str("12345\0", 6), h);
    for (int d = 0; d < 10; d++)
        assert_false(auth_otp_equal(h, codes[d]));
    auth_otp_hash(USER, STORE_OTP_VERIFY, CORE_STR_NULL, h);
    assert_false(auth_otp_equal(h, codes[0]));
}

static void test_equal_checks_every_byte(void **state)
{
    (void)state;
    uint8_t a[STORE_OTP_HASH_LEN], b[STORE_OTP_HASH_LEN];

    hash_c(USER, STORE_OTP_VERIFY, "000000", a);
    memcpy(b, a, sizeof(a));
    assert_true(auth_otp_equal(a, b));
    b[0] ^= 1;
    assert_false(auth_otp_equal(a, b));
    b[0] ^= 1;
    b[STORE_OTP_HASH_LEN - 1] ^= 0x80;
    assert_false(auth_otp_equal(a, b));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generate_shape_and_spread), cmocka_unit_test(test_known_answers),
        cmocka_unit_test(test_hash_binds_everything),     cmocka_unit_test(test_non_codes_never_match_codes),
        cmocka_unit_test(test_equal_checks_every_byte),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
