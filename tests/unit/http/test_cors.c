/*
 * Unit tests for src/http/cors.c: the allowlist is matched exactly (scheme,
 * host and port; ASCII case folded) and returns the configured string to
 * echo, never the attacker's; look-alike origins fail; and the same-host
 * check behind the CSRF refusal of cross-site state-changing requests.
 * (The preflight and credential headers themselves are added by
 * response.c from these answers and need a live h2o request.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/cors.h"

static char *origins[] = {"https://app.example.com", "http://localhost:5173", "https://x.io:8443"};
static core_config_t cfg;

static int setup(void **state)
{
    (void)state;
    memset(&cfg, 0, sizeof(cfg));
    cfg.cors_origins = origins;
    cfg.cors_origins_len = 3;
    return 0;
}

static const char *allowed(const char *origin)
{
    return http_cors_origin(&cfg, core_str_c(origin));
}

static void test_allowlist(void **state)
{
    (void)state;
    assert_ptr_equal(allowed("https://app.example.com"), origins[0]);
    assert_ptr_equal(allowed("http://localhost:5173"), origins[1]);
    assert_ptr_equal(allowed("https://x.io:8443"), origins[2]);
    /* case-insensitive, but the configured spelling is echoed */
    assert_ptr_equal(allowed("HTTPS://APP.EXAMPLE.COM"), origins[0]);
}

static void test_lookalikes(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "null",
        "https://app.example.com.evil.net",
        "https://evil-app.example.com",
        "https://evilapp.example.com",
        "https://app.example.co",
        "http://app.example.com",     /* scheme differs */
        "https://app.example.com:443", /* port spelled out: not the same string */
        "https://app.example.com/",
        "https://app.example.com ",
        " https://app.example.com",
        "http://localhost:51730",
        "http://localhost",
        "https://x.io",
        "*",
        "https://app.example.com\r\nX-Evil: 1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (allowed(bad[i]) != NULL)
            fail_msg("origin \"%s\" allowed", bad[i]);
    /* a prefix of an allowed origin, cut by the slice length */
    assert_null(http_cors_origin(&cfg, core_str("https://app.example.com", 20)));
    /* an embedded NUL does not end the comparison early */
    assert_null(http_cors_origin(&cfg, core_str("https://app.example.com\0.evil", 29)));
}

static void test_empty_allowlist(void **state)
{
    (void)state;
    cfg.cors_origins = NULL;
    cfg.cors_origins_len = 0;
    assert_null(allowed("https://app.example.com"));
    assert_null(allowed(""));
}

static bool same(const char *origin, const char *host)
{
    return http_cors_same_host(core_str_c(origin), core_str_c(host));
}

static void test_same_host(void **state)
{
    (void)state;
    assert_true(same("http://localhost:4000", "localhost:4000"));
    assert_true(same("https://tasks.example.com", "tasks.example.com"));
    assert_true(same("https://Tasks.Example.com", "tasks.example.COM"));
    assert_true(same("http://[::1]:4000", "[::1]:4000"));

    assert_false(same("http://localhost:4000", "localhost:4001"));
    assert_false(same("http://localhost", "localhost:4000"));
    assert_false(same("https://evil.com", "tasks.example.com"));
    assert_false(same("https://tasks.example.com.evil.com", "tasks.example.com"));
    assert_false(same("https://tasks.example.com/", "tasks.example.com"));
    assert_false(same("null", "null"));
    assert_false(same("null", ""));
    assert_false(same("", ""));
    assert_false(same("http://", ""));
    assert_false(same("localhost:4000", "localhost:4000")); /* no scheme */
    assert_false(same("http:/localhost:4000", "localhost:4000"));
    assert_false(same("http:localhost:4000", "localhost:4000"));
    assert_false(same("https://a", ""));
    assert_false(same("htt", "htt"));
}

static void test_same_host_bounds(void **state)
{
    (void)state;
    /* exact-size heap copies: the check must stay inside both slices */
    static const char *const cases[] = {"h", "h:", "h:/", "h://", "http://a", ":", "::", ":::", "a:b"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = strlen(cases[i]);
        char *o = malloc(n + (n == 0));
        memcpy(o, cases[i], n);
        char *h = malloc(1);
        h[0] = 'a';
        (void)http_cors_same_host(core_str(o, n), core_str(h, 1));
        free(o);
        free(h);
    }
    assert_false(http_cors_same_host(CORE_STR_NULL, CORE_STR_NULL));
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, NULL)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_allowlist), T(test_lookalikes), T(test_empty_allowlist), T(test_same_host), T(test_same_host_bounds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
