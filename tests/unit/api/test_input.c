/*
 * Unit tests for src/api/input.c: email normalization (trim, lowercase) and
 * the forms it must refuse, since the result is the account key (two
 * spellings of one address must not make two accounts); and typed access to
 * string members of a JSON body.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "api/input.h"
#include "core/error.h"
#include "pool_fixture.h"

static void expect_email(const char *in, const char *want)
{
    char *out = NULL;
    if (!api_input_email(&pool, core_str_c(in), &out))
        fail_msg("\"%s\" refused, expected \"%s\"", in, want);
    assert_string_equal(out, want);
}

static void test_email_normalized(void **state)
{
    (void)state;
    expect_email("user@example.com", "user@example.com");
    expect_email("  User@Example.COM \t\r\n", "user@example.com");
    expect_email("First.Last+tag@Sub.Example.co.uk", "first.last+tag@sub.example.co.uk");
    expect_email("a@b.c", "a@b.c");
    expect_email("o'brien_99@x-y.example", "o'brien_99@x-y.example");
    expect_email("user@b\xc3\xbc" "cher.de", "user@b\xc3\xbc" "cher.de"); /* IDN left as UTF-8 */
}

static void test_email_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "", "   ", "a@", "@b.com", "ab", "a@b", "user", "user.example.com", "a@@b.com", "a@b@c.com",
        "a b@c.com", "a@b c.com", "a\t@b.com", "a@b.com\x7f", "<a@b.com>", "a@[1.2.3.4]", "\"a\"@b.com",
        "a,b@c.com", "a;b@c.com", "a:b@c.com", "a\\b@c.com", "a(b)@c.com",
        "a@.b.com", "a@b.com.", "a@b..com", "a@-b.com", "a@b_c.com", "a@B!.com", ".a@b.com", "a.@b.com",
        "a@b.com\r\nBcc: victim@evil.com", "Name <a@b.com>",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *out = NULL;
        if (api_input_email(&pool, core_str_c(bad[i]), &out))
            fail_msg("accepted \"%s\" as \"%s\"", bad[i], out);
    }
    char *out = NULL;
    assert_false(api_input_email(&pool, core_str("a\0b@c.com", 9), &out)); /* NUL inside */
    assert_false(api_input_email(&pool, CORE_STR_NULL, &out));
}

static void test_email_lengths(void **state)
{
    char buf[400], *out = NULL;
    (void)state;
    /* local part: 64 allowed, 65 refused */
    memset(buf, 'l', 64);
    strcpy(buf + 64, "@example.com");
    assert_true(api_input_email(&pool, core_str_c(buf), &out));
    memset(buf, 'l', 65);
    strcpy(buf + 65, "@example.com");
    assert_false(api_input_email(&pool, core_str_c(buf), &out));

    /* whole address: 254 allowed, 255 refused (trimmed length counts) */
    strcpy(buf, "a@");
    memset(buf + 2, 'd', 248);
    strcpy(buf + 250, ".com"); /* 254 */
    assert_int_equal(strlen(buf), 254);
    assert_true(api_input_email(&pool, core_str_c(buf), &out));
    assert_int_equal(strlen(out), 254);
    strcpy(buf, "ab@");
    memset(buf + 3, 'd', 248);
    strcpy(buf + 251, ".com"); /* 255 */
    assert_false(api_input_email(&pool, core_str_c(buf), &out));
    char padded[300];
    snprintf(padded, sizeof(padded), "   a@%s   ", "example.com");
    assert_true(api_input_email(&pool, core_str_c(padded), &out));
    assert_string_equal(out, "a@example.com");

    /* a very long hostile input is refused cheaply */
    static char huge[1 << 16];
    memset(huge, 'A', sizeof(huge));
    huge[100] = '@';
    assert_false(api_input_email(&pool, core_str(huge, sizeof(huge)), &out));
}

static void test_email_exact_buffer(void **state)
{
    char *out = NULL;
    (void)state;
    /* the slice is not NUL-terminated: nothing past it may be read */
    static const char *const cases[] = {"a@b.c", "a@b.", "a@bc", "a@b..", "@", "a@", "ab@c.d."};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = strlen(cases[i]);
        char *buf = test_malloc(n);
        memcpy(buf, cases[i], n);
        (void)api_input_email(&pool, core_str(buf, n), &out);
        test_free(buf);
    }
}

static void test_input_string(void **state)
{
    api_req_t req;
    core_str_t s;
    (void)state;
    memset(&req, 0, sizeof(req));
    req.pool = &pool;
    json_error_t err;
    req.body = json_loads("{\"name\":\"Ada\",\"nul\":null,\"num\":42,\"obj\":{},\"empty\":\"\",\"zero\":\"a\\u0000b\"}",
                          JSON_ALLOW_NUL, &err);
    assert_non_null(req.body);

    assert_int_equal(api_input_string(&req, "name", &s), CORE_OK);
    assert_int_equal(s.len, 3);
    assert_memory_equal(s.base, "Ada", 3);
    assert_false(api_input_blank(s));

    assert_int_equal(api_input_string(&req, "missing", &s), CORE_OK);
    assert_null(s.base);
    assert_true(api_input_blank(s));
    assert_int_equal(api_input_string(&req, "nul", &s), CORE_OK);
    assert_null(s.base);

    assert_int_equal(api_input_string(&req, "empty", &s), CORE_OK);
    assert_non_null(s.base);
    assert_true(api_input_blank(s));

    assert_int_equal(api_input_string(&req, "zero", &s), CORE_OK);
    assert_int_equal(s.len, 3); /* embedded NUL kept by length */

    assert_int_equal(api_input_string(&req, "num", &s), CORE_E_VALIDATION);
    assert_null(s.base);
    assert_string_equal(req.message, "num must be a string");
    assert_int_equal(api_input_string(&req, "obj", &s), CORE_E_VALIDATION);

    json_decref(req.body);
    req.body = NULL;
    assert_int_equal(api_input_string(&req, "name", &s), CORE_OK);
    assert_null(s.base);
}

static void test_blank(void **state)
{
    (void)state;
    assert_true(api_input_blank(CORE_STR_NULL));
    assert_true(api_input_blank(CORE_STR_LIT("")));
    assert_true(api_input_blank(CORE_STR_LIT(" \t\r\n")));
    assert_false(api_input_blank(CORE_STR_LIT(" x ")));
    assert_false(api_input_blank(CORE_STR_LIT("0")));
}

#define T(f) cmocka_unit_test_setup_teardown(f, pool_setup, pool_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_email_normalized), T(test_email_refused), T(test_email_lengths), T(test_email_exact_buffer),
        T(test_input_string),     T(test_blank),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
