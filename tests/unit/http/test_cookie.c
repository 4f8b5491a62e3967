/*
 * Unit tests for src/http/cookie.c: finding the session cookie in a Cookie
 * header as browsers and attackers send it (several cookies, blanks, quotes,
 * duplicates, look-alike names, missing '=', huge headers, unterminated
 * slices), and the Set-Cookie values for sign-in and sign-out.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/cookie.h"

#define TOKEN CORE_STR_LIT(HTTP_COOKIE_NAME)

/* Find "token" in header; returns the value as a malloc'd C string or NULL. */
static char *find(const char *header)
{
    core_str_t v = {"sentinel", 8};
    if (!http_cookie_find(core_str_c(header), TOKEN, &v))
        return NULL;
    char *s = malloc(v.len + 1);
    memcpy(s, v.base, v.len);
    s[v.len] = '\0';
    return s;
}

static void expect(const char *header, const char *want)
{
    char *got = find(header);
    if (want == NULL && got != NULL)
        fail_msg("[%s]: found \"%s\", expected nothing", header, got);
    if (want != NULL && got == NULL)
        fail_msg("[%s]: not found, expected \"%s\"", header, want);
    if (want != NULL && strcmp(got, want) != 0)
        fail_msg("[%s]: got \"%s\", expected \"%s\"", header, got, want);
    free(got);
}

/* No header at all is a NULL slice (request.c's find_header gives one):
 * it is "not found", and must not be offset (UBSan: zero offset to NULL).
 * Last in main() because under -fno-sanitize-recover it ends the run. */
static void test_find_null_slice(void **state)
{
    core_str_t v = CORE_STR_LIT("untouched");
    (void)state;
    assert_false(http_cookie_find(CORE_STR_NULL, TOKEN, &v));
    assert_string_equal(v.base, "untouched");
}

static void test_find_basic(void **state)
{
    (void)state;
    expect("token=abc", "abc");
    expect("a=1; token=abc; b=2", "abc");
    expect("a=1;token=abc;b=2", "abc");
    expect("  a=1 ;  token = abc  ; b=2", "abc");
    expect("a=1; b=2; token=eyJ.x-y_z.sig", "eyJ.x-y_z.sig");
    expect("token=a=b==", "a=b=="); /* base64 padding stays in the value */
    expect("token=\tabc\t", "abc");
}

static void test_find_missing(void **state)
{
    (void)state;
    expect("", NULL);
    expect("a=1; b=2", NULL);
    expect("token", NULL);          /* no '=' */
    expect("token; a=1", NULL);
    expect("xtoken=1; tokenx=2; Token=3; TOKEN=4", NULL); /* names are exact and case-sensitive */
    expect(";;;", NULL);
    expect("=abc", NULL);
    expect("=", NULL);
    expect(" ; = ; ", NULL);
}

static void test_find_quotes(void **state)
{
    (void)state;
    expect("token=\"abc\"", "abc");
    expect("a=\"x;y\"; token=1", "1"); /* ';' inside quotes still ends a cookie (RFC 6265 5.2) */
    expect("token=\"\"", "");
    expect("token=\"", "\"");
    expect("token=\"abc", "\"abc");
    expect("token=abc\"", "abc\"");
}

static void test_find_empty_and_duplicates(void **state)
{
    (void)state;
    expect("token=", "");
    expect("token=; a=1", "");
    expect("token=first; token=second", "first"); /* the first one wins */
    expect("a=1; token=first; token=second", "first");
    expect("token=; token=second", "");
}

static void test_find_other_name(void **state)
{
    core_str_t v;
    (void)state;
    const char *h = "sid=42; token=abc";
    assert_true(http_cookie_find(core_str_c(h), CORE_STR_LIT("sid"), &v));
    assert_int_equal(v.len, 2);
    assert_memory_equal(v.base, "42", 2);
    assert_ptr_equal(v.base, h + 4); /* a slice of the header, no copy */
}

static void test_find_bounds(void **state)
{
    core_str_t v;
    (void)state;
    /* the slice ends mid-value: nothing after it is read */
    const char *h = "a=1; token=abcdef";
    assert_true(http_cookie_find(core_str(h, 14), TOKEN, &v));
    assert_int_equal(v.len, 3);
    assert_memory_equal(v.base, "abc", 3);
    assert_false(http_cookie_find(core_str(h, 9), TOKEN, &v)); /* "a=1; toke" */

    /* exactly-sized heap buffers so ASan sees any over-read */
    static const char *const cases[] = {"token=x", "token", "token=", "a=1;", ";", "token=\"", " "};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = strlen(cases[i]);
        char *buf = malloc(n);
        memcpy(buf, cases[i], n);
        (void)http_cookie_find(core_str(buf, n), TOKEN, &v);
        free(buf);
    }

    /* NUL bytes are data, not terminators */
    assert_true(http_cookie_find(core_str("a=\0; token=z", 12), TOKEN, &v));
    assert_int_equal(v.len, 1);
}

static void test_find_huge_header(void **state)
{
    core_str_t v;
    (void)state;
    size_t n = 1 << 20;
    char *h = malloc(n);
    size_t used = 0;
    while (used + 16 < n)
        used += (size_t)snprintf(h + used, n - used, "c%06zu=v; ", used % 999999);
    memcpy(h + used - 1, "token=deep", 10);
    used += 9;
    assert_true(http_cookie_find(core_str(h, used), TOKEN, &v));
    assert_int_equal(v.len, 4);
    assert_memory_equal(v.base, "deep", 4);
    /* one gigantic value */
    memcpy(h, "token=", 6);
    memset(h + 6, 'A', n - 6);
    assert_true(http_cookie_find(core_str(h, n), TOKEN, &v));
    assert_int_equal(v.len, n - 6);
    /* thousands of separators */
    memset(h, ';', n);
    assert_false(http_cookie_find(core_str(h, n), TOKEN, &v));
    free(h);
}

static core_config_t make_cfg(const char *samesite, bool secure)
{
    core_config_t cfg;
    memset(&cfg, 0, sizeof(cfg));
    cfg.cookie_samesite = (char *)(uintptr_t)samesite; /* read-only in cookie.c */
    cfg.cookie_secure = secure;
    return cfg;
}

static void test_set_cookie(void **state)
{
    core_pool_t pool;
    (void)state;
    core_pool_init(&pool);
    core_config_t cfg = make_cfg("Lax", false);
    assert_string_equal(http_cookie_session(&pool, &cfg, "abc.def.ghi"),
                        "token=abc.def.ghi; Path=/; Max-Age=604800; HttpOnly; SameSite=Lax");
    cfg = make_cfg("None", true);
    assert_string_equal(http_cookie_session(&pool, &cfg, "t"),
                        "token=t; Path=/; Max-Age=604800; HttpOnly; SameSite=None; Secure");
    cfg = make_cfg("Strict", true);
    assert_string_equal(http_cookie_session(&pool, &cfg, "t"),
                        "token=t; Path=/; Max-Age=604800; HttpOnly; SameSite=Strict; Secure");
    core_pool_cleanup(&pool);
}

static void test_clear_cookie(void **state)
{
    core_pool_t pool;
    (void)state;
    core_pool_init(&pool);
    core_config_t cfg = make_cfg("Lax", false);
    assert_string_equal(http_cookie_session(&pool, &cfg, NULL),
                        "token=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax");
    cfg = make_cfg("None", true);
    const char *c = http_cookie_session(&pool, &cfg, NULL);
    assert_non_null(strstr(c, "Max-Age=0"));
    assert_non_null(strstr(c, "; Secure"));
    /* the clearing cookie has the same name and Path, or the browser keeps the old one */
    assert_int_equal(strncmp(c, "token=;", 7), 0);
    assert_non_null(strstr(c, "; Path=/;"));
    core_pool_cleanup(&pool);
}

static void test_round_trip(void **state)
{
    core_pool_t pool;
    core_str_t v;
    (void)state;
    core_pool_init(&pool);
    core_config_t cfg = make_cfg("Lax", false);
    const char *set = http_cookie_session(&pool, &cfg, "eyJhbGciOiJIUzI1NiJ9.e30.sig");
    /* what a browser sends back is the name=value part */
    const char *semi = strchr(set, ';');
    assert_true(http_cookie_find(core_str(set, (size_t)(semi - set)), TOKEN, &v));
    assert_int_equal(v.len, strlen("eyJhbGciOiJIUzI1NiJ9.e30.sig"));
    core_pool_cleanup(&pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_basic),     cmocka_unit_test(test_find_missing),
        cmocka_unit_test(test_find_quotes),    cmocka_unit_test(test_find_empty_and_duplicates),
        cmocka_unit_test(test_find_other_name), cmocka_unit_test(test_find_bounds),
        cmocka_unit_test(test_find_huge_header), cmocka_unit_test(test_set_cookie),
        cmocka_unit_test(test_clear_cookie),   cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_find_null_slice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
