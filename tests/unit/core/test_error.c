/*
 * Unit tests for src/core/error.c: every row of the CORE_ERRORS table has the
 * name, statuses and message written out below, CORE_OK reads as 200/"OK",
 * and codes outside the table fall back to the INTERNAL row instead of
 * reading past it.
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

/* The table as it must be, written out: a wrong status, legacy status or
 * message in error.h fails here (a test that expanded the X-macro again
 * would agree with any table). The accounts messages are the original app's
 * strings, byte for byte, because its React client shows them. */
static const struct {
    int code;
    const char *name;
    int status, legacy;
    const char *message;
} expected[] = {
    {CORE_E_BAD_REQUEST, "BAD_REQUEST", 400, 200, "Bad Request"},
    {CORE_E_MALFORMED_REQUEST, "MALFORMED_REQUEST", 400, 400, "Malformed request"},
    {CORE_E_INVALID_JSON, "INVALID_JSON", 400, 400, "Malformed JSON body"},
    {CORE_E_VALIDATION, "VALIDATION", 400, 200, "Invalid request"},
    {CORE_E_MISSING_DETAILS, "MISSING_DETAILS", 400, 200, "Missing Details"},
    {CORE_E_INVALID_EMAIL, "INVALID_EMAIL", 400, 200, "Invalid email"},
    {CORE_E_WEAK_PASSWORD, "WEAK_PASSWORD", 400, 200, "Password must be at least 8 characters"},
    {CORE_E_LOGIN_FIELDS_REQUIRED, "LOGIN_FIELDS_REQUIRED", 400, 200, "Email and password are required"},
    {CORE_E_ALREADY_VERIFIED, "ALREADY_VERIFIED", 400, 200, "Account Already verified"},
    {CORE_E_INVALID_OTP, "INVALID_OTP", 400, 200, "Invalid OTP"},
    {CORE_E_OTP_EXPIRED, "OTP_EXPIRED", 400, 200, "OTP Expired"},
    {CORE_E_EMAIL_REQUIRED, "EMAIL_REQUIRED", 400, 200, "Email is required"},
    {CORE_E_RESET_FIELDS_REQUIRED, "RESET_FIELDS_REQUIRED", 400, 200, "Email, OTP, and new password are required"},
    {CORE_E_IDEMPOTENCY_KEY, "IDEMPOTENCY_KEY", 400, 400, "Idempotency-Key must be 1 to 255 printable ASCII characters"},
    {CORE_E_INVALID_CREDENTIALS, "INVALID_CREDENTIALS", 401, 200, "Invalid email or password"},
    {CORE_E_NOT_AUTHORIZED, "NOT_AUTHORIZED", 401, 200, "Not Authorized. Login Again"},
    {CORE_E_FORBIDDEN, "FORBIDDEN", 403, 403, "Forbidden"},
    {CORE_E_NOT_FOUND, "NOT_FOUND", 404, 404, "Not Found"},
    {CORE_E_USER_NOT_FOUND, "USER_NOT_FOUND", 404, 200, "User not found"},
    {CORE_E_TASK_NOT_FOUND, "TASK_NOT_FOUND", 404, 200, "Task not found"},
    {CORE_E_METHOD_NOT_ALLOWED, "METHOD_NOT_ALLOWED", 405, 405, "Method Not Allowed"},
    {CORE_E_USER_EXISTS, "USER_EXISTS", 409, 200, "User already exists"},
    {CORE_E_CONFLICT, "CONFLICT", 409, 200, "Conflict"},
    {CORE_E_IDEMPOTENCY_IN_PROGRESS, "IDEMPOTENCY_IN_PROGRESS", 409, 409, "A request with this Idempotency-Key is in progress; retry later"},
    {CORE_E_PAYLOAD_TOO_LARGE, "PAYLOAD_TOO_LARGE", 413, 413, "Request body too large"},
    {CORE_E_UNSUPPORTED_MEDIA_TYPE, "UNSUPPORTED_MEDIA_TYPE", 415, 415, "Content-Type must be application/json"},
    {CORE_E_EXPECTATION_FAILED, "EXPECTATION_FAILED", 417, 417, "Expectation Failed"},
    {CORE_E_IDEMPOTENCY_MISMATCH, "IDEMPOTENCY_MISMATCH", 422, 422, "This Idempotency-Key was used with a different request"},
    {CORE_E_HEADERS_TOO_LARGE, "HEADERS_TOO_LARGE", 431, 431, "Request header fields too large"},
    {CORE_E_RATE_LIMITED, "RATE_LIMITED", 429, 429, "Too many requests from this IP, please try again later."},
    {CORE_E_INTERNAL, "INTERNAL", 500, 200, "Internal Server Error"},
    {CORE_E_UNAVAILABLE, "UNAVAILABLE", 503, 503, "Service Unavailable"},
};

static void test_every_row(void **state)
{
    (void)state;
    size_t n = sizeof(expected) / sizeof(expected[0]);

    for (size_t i = 0; i < n; i++) {
        int code = expected[i].code;
        const char *name = expected[i].name;
        if (code >= 0 || strcmp(core_error_name(code), name) != 0)
            fail_msg("%s: code %d is named %s", name, code, core_error_name(code));
        if (core_error_status(code) != expected[i].status)
            fail_msg("%s: status %d, expected %d", name, core_error_status(code), expected[i].status);
        if (core_error_status_legacy(code) != expected[i].legacy)
            fail_msg("%s: legacy status %d, expected %d", name, core_error_status_legacy(code), expected[i].legacy);
        if (strcmp(core_error_message(code), expected[i].message) != 0)
            fail_msg("%s: message \"%s\", expected \"%s\"", name, core_error_message(code), expected[i].message);
    }
    /* a row added to error.h needs its line above */
    assert_int_equal(n, CORE_ERROR_INDEX_MAX_ - 1);
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
        cmocka_unit_test(test_codes_distinct),
        cmocka_unit_test(test_unknown_codes),
        cmocka_unit_test(test_int_min),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
