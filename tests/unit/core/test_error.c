/*
 * Unit tests for src/core/error.c: every row of the CORE_ERRORS table is
 * reachable by its own code, CORE_OK reads as 200/"OK", and codes outside
 * the table fall back to the INTERNAL row instead of reading past it.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/error.h"

static void test_ok(void **state)
{
    (void)state;
    assert_int_equal(core_error_status(CORE_OK), 200);
    assert_int_equal(core_error_status_legacy(CORE_OK), 200);
    assert_string_equal(core_error_message(CORE_OK), "OK");
    assert_string_equal(core_error_name(CORE_OK), "OK");
}

static void test_every_row(void **state)
{
    (void)state;
    int seen = 0;
#define CHECK_ROW(name, status, legacy, msg)                                                                  \
    assert_true(CORE_E_##name < 0);                                                                           \
    assert_int_equal(core_error_status(CORE_E_##name), status);                                               \
    assert_int_equal(core_error_status_legacy(CORE_E_##name), legacy);                                        \
    assert_string_equal(core_error_message(CORE_E_##name), msg);                                              \
    assert_string_equal(core_error_name(CORE_E_##name), #name);                                               \
    seen++;
    CORE_ERRORS(CHECK_ROW)
#undef CHECK_ROW
    assert_int_equal(seen, CORE_ERROR_INDEX_MAX_ - 1);
}

static void test_known_values(void **state)
{
    (void)state;
    /* the strings the original app's React client shows, byte for byte */
    assert_string_equal(core_error_message(CORE_E_NOT_AUTHORIZED), "Not Authorized. Login Again");
    assert_string_equal(core_error_message(CORE_E_USER_EXISTS), "User already exists");
    assert_string_equal(core_error_message(CORE_E_RATE_LIMITED),
                        "Too many requests from this IP, please try again later.");
    assert_int_equal(core_error_status(CORE_E_NOT_FOUND), 404);
    assert_int_equal(core_error_status(CORE_E_METHOD_NOT_ALLOWED), 405);
    assert_int_equal(core_error_status_legacy(CORE_E_INVALID_CREDENTIALS), 200);
    assert_int_equal(core_error_status_legacy(CORE_E_RATE_LIMITED), 429);
    assert_int_equal(core_error_status_legacy(CORE_E_PAYLOAD_TOO_LARGE), 413);
}

static void test_codes_distinct(void **state)
{
    (void)state;
    static const int codes[] = {
#define CODE(name, status, legacy, msg) CORE_E_##name,
        CORE_ERRORS(CODE)
#undef CODE
    };
    size_t n = sizeof(codes) / sizeof(codes[0]);
    for (size_t i = 0; i < n; i++)
        for (size_t j = i + 1; j < n; j++)
            assert_int_not_equal(codes[i], codes[j]);
}

static void test_unknown_codes(void **state)
{
    (void)state;
    static const int unknown[] = {1, 42, INT_MAX, -CORE_ERROR_INDEX_MAX_, -CORE_ERROR_INDEX_MAX_ - 1, -100000,
                                  INT_MIN + 1};
    for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
        int c = unknown[i];
        assert_int_equal(core_error_status(c), 500);
        assert_int_equal(core_error_status_legacy(c), core_error_status_legacy(CORE_E_INTERNAL));
        assert_string_equal(core_error_message(c), "Internal Server Error");
        assert_string_equal(core_error_name(c), "INTERNAL");
    }
}

/* INT_MIN cannot be negated: index_of's `-code` is undefined behaviour
 * (UBSan). Last in main(): under -fno-sanitize-recover it ends the run. */
static void test_int_min(void **state)
{
    (void)state;
    assert_int_equal(core_error_status(INT_MIN), 500);
    assert_string_equal(core_error_name(INT_MIN), "INTERNAL");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ok),
        cmocka_unit_test(test_every_row),
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_codes_distinct),
        cmocka_unit_test(test_unknown_codes),
        cmocka_unit_test(test_int_min),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
