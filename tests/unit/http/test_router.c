/*
 * Unit tests for src/http/router.c over a route table of the test's own
 * (handlers are never called): literal and :param matching, 404 versus 405
 * with the methods for Allow, table order for overlapping paths, service
 * masks, trailing slashes, percent-encoding (never decoded here), hostile
 * paths (very long, NUL bytes, empty segments), and the method helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "http/router.h"

#define R(m, p, svc) {.methods = (m), .path = (p), .name = (p), .auth = API_AUTH_NONE, .rate = API_RATE_API, .service = (svc)}

static const api_route_t routes[] = {
    R(API_GET, "/", API_SERVICE_CORE),
    R(API_GET, "/health", API_SERVICE_CORE),
    R(API_POST, "/api/auth/login", API_SERVICE_AUTH),
    R(API_GET, "/api/tasks/stats", API_SERVICE_TASKS),
    R(API_GET | API_POST, "/api/tasks", API_SERVICE_TASKS),
    R(API_GET | API_PUT, "/api/tasks/:id", API_SERVICE_TASKS),
    R(API_DELETE, "/api/tasks/:id", API_SERVICE_TASKS),
    R(API_POST, "/api/tasks/:id/comments/:cid", API_SERVICE_TASKS),
    R(API_GET, "/api/user/data", API_SERVICE_USER),
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))
#define ALL (API_SERVICE_CORE | API_SERVICE_AUTH | API_SERVICE_USER | API_SERVICE_TASKS)

static http_route_match_t find(unsigned method, const char *path)
{
    http_route_match_t m;
    http_route_find(routes, NROUTES, ALL, method, core_str_c(path), &m);
    return m;
}

static void assert_param(core_str_t p, const char *want)
{
    assert_int_equal(p.len, strlen(want));
    assert_memory_equal(p.base, want, p.len);
}

static void test_literal(void **state)
{
    (void)state;
    http_route_match_t m = find(API_GET, "/");
    assert_ptr_equal(m.route, &routes[0]);
    m = find(API_GET, "/health");
    assert_ptr_equal(m.route, &routes[1]);
    m = find(API_POST, "/api/auth/login");
    assert_ptr_equal(m.route, &routes[2]);
    assert_int_equal(m.allowed, 0);
    m = find(API_GET, "/api/user/data");
    assert_ptr_equal(m.route, &routes[8]);
}

static void test_params(void **state)
{
    (void)state;
    http_route_match_t m = find(API_GET, "/api/tasks/0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c9d");
    assert_ptr_equal(m.route, &routes[5]);
    assert_param(m.params[0], "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c9d");

    m = find(API_DELETE, "/api/tasks/42");
    assert_ptr_equal(m.route, &routes[6]); /* same path, next row has DELETE */
    assert_param(m.params[0], "42");

    m = find(API_POST, "/api/tasks/7/comments/9");
    assert_ptr_equal(m.route, &routes[7]);
    assert_param(m.params[0], "7");
    assert_param(m.params[1], "9");

    /* a parameter never spans segments and never matches an empty one */
    m = find(API_GET, "/api/tasks/a/b");
    assert_null(m.route);
    assert_int_equal(m.allowed, 0);
    m = find(API_GET, "/api/tasks//");
    assert_null(m.route);
}

static void test_table_order(void **state)
{
    (void)state;
    http_route_match_t m = find(API_GET, "/api/tasks/stats");
    assert_ptr_equal(m.route, &routes[3]);
    /* PUT is not allowed on the literal route, but the :id route accepts it */
    m = find(API_PUT, "/api/tasks/stats");
    assert_ptr_equal(m.route, &routes[5]);
    assert_param(m.params[0], "stats");
}

static void test_404_vs_405(void **state)
{
    char buf[64];
    (void)state;
    http_route_match_t m = find(API_GET, "/nope");
    assert_null(m.route);
    assert_int_equal(m.allowed, 0);

    m = find(API_GET, "/api/auth/login");
    assert_null(m.route);
    assert_int_equal(m.allowed, API_POST);
    assert_string_equal(http_methods_format(m.allowed, buf, sizeof(buf)), "POST");

    /* the Allow list gathers every row whose path matches */
    m = find(API_PATCH, "/api/tasks/42");
    assert_null(m.route);
    assert_int_equal(m.allowed, API_GET | API_PUT | API_DELETE);
    assert_string_equal(http_methods_format(m.allowed, buf, sizeof(buf)), "GET, PUT, DELETE");

    m = find(API_DELETE, "/api/tasks");
    assert_null(m.route);
    assert_string_equal(http_methods_format(m.allowed, buf, sizeof(buf)), "GET, POST");

    /* unknown method (0) on an existing path is a 405 too */
    m = find(0, "/health");
    assert_null(m.route);
    assert_int_equal(m.allowed, API_GET);
}

static void test_services(void **state)
{
    http_route_match_t m;
    (void)state;
    http_route_find(routes, NROUTES, API_SERVICE_CORE | API_SERVICE_AUTH, API_GET, CORE_STR_LIT("/api/tasks"), &m);
    assert_null(m.route);
    assert_int_equal(m.allowed, 0); /* 404, not 405: this process does not serve tasks */
    http_route_find(routes, NROUTES, API_SERVICE_TASKS, API_GET, CORE_STR_LIT("/health"), &m);
    assert_null(m.route);
    http_route_find(routes, NROUTES, API_SERVICE_TASKS, API_GET, CORE_STR_LIT("/api/tasks"), &m);
    assert_ptr_equal(m.route, &routes[4]);
    http_route_find(routes, 0, ALL, API_GET, CORE_STR_LIT("/"), &m);
    assert_null(m.route);
}

static void test_trailing_slash_and_case(void **state)
{
    (void)state;
    /* one trailing slash is ignored, as in Express's default (non-strict) router */
    assert_non_null(find(API_GET, "/health/").route);
    assert_non_null(find(API_GET, "/api/tasks/").route);
    http_route_match_t m = find(API_GET, "/api/tasks/42/");
    assert_non_null(m.route);
    assert_int_equal(m.params[0].len, 2);
    assert_null(find(API_GET, "/api/tasks//").route);
    assert_null(find(API_GET, "//").route);
    assert_null(find(API_GET, "//health").route);
    assert_null(find(API_GET, "/api//tasks").route);
    /* paths are case-sensitive */
    assert_null(find(API_GET, "/Health").route);
    assert_null(find(API_GET, "/API/tasks").route);
}

static void test_percent_encoding(void **state)
{
    (void)state;
    /* the router compares raw bytes: encoded slashes stay inside one segment */
    http_route_match_t m = find(API_GET, "/api/tasks/a%2Fb");
    assert_ptr_equal(m.route, &routes[5]);
    assert_param(m.params[0], "a%2Fb");
    /* an encoded literal does not match the literal route */
    m = find(API_GET, "/api/tasks/%73tats");
    assert_ptr_equal(m.route, &routes[5]);
    assert_param(m.params[0], "%73tats");
    assert_null(find(API_GET, "/%68ealth").route);
    /* dot segments are not resolved here */
    assert_null(find(API_GET, "/api/tasks/../user/data").route);
    assert_null(find(API_GET, "/api/user/../tasks").route);
    m = find(API_GET, "/api/tasks/..");
    assert_ptr_equal(m.route, &routes[5]);
    assert_param(m.params[0], "..");
}

static void test_hostile_paths(void **state)
{
    (void)state;
    /* NUL bytes inside the slice are compared, never treated as the end */
    http_route_match_t m;
    http_route_find(routes, NROUTES, ALL, API_GET, core_str("/health\0/x", 10), &m);
    assert_null(m.route);
    http_route_find(routes, NROUTES, ALL, API_GET, core_str("/health\0", 8), &m);
    assert_null(m.route);
    http_route_find(routes, NROUTES, ALL, API_GET, core_str("/api/tasks/a\0b", 14), &m);
    assert_ptr_equal(m.route, &routes[5]);
    assert_int_equal(m.params[0].len, 3);

    /* empty and relative paths */
    http_route_find(routes, NROUTES, ALL, API_GET, CORE_STR_LIT(""), &m);
    assert_null(m.route);
    assert_int_equal(m.allowed, 0);
    assert_null(find(API_GET, "health").route);
    assert_null(find(API_GET, "*").route);

    /* a path only its slice bounds: the byte after it must not be read */
    char *exact = malloc(7);
    memcpy(exact, "/health", 7); /* no terminator */
    http_route_find(routes, NROUTES, ALL, API_GET, core_str(exact, 7), &m);
    assert_ptr_equal(m.route, &routes[1]);
    free(exact);

    /* very long paths: one huge segment, and very many segments */
    size_t n = 1 << 20;
    char *big = malloc(n);
    memcpy(big, "/api/tasks/", 11);
    memset(big + 11, 'x', n - 11);
    http_route_find(routes, NROUTES, ALL, API_GET, core_str(big, n), &m);
    assert_ptr_equal(m.route, &routes[5]);
    assert_int_equal(m.params[0].len, n - 11);
    for (size_t i = 0; i < n; i++)
        big[i] = (i % 2 == 0) ? '/' : 'a';
    http_route_find(routes, NROUTES, ALL, API_GET, core_str(big, n), &m);
    assert_null(m.route);
    assert_int_equal(m.allowed, 0);
    free(big);
}

/* Parameters past those of the matched route are empty, not left over from
 * a row that matched only part of the path. */
static void test_unused_params_empty(void **state)
{
    (void)state;
    http_route_match_t m = find(API_GET, "/api/tasks/7");
    assert_ptr_equal(m.route, &routes[5]);
    assert_null(m.params[1].base);
    assert_int_equal(m.params[1].len, 0);
    m = find(API_GET, "/health");
    assert_null(m.params[0].base);
    /* a row that captured :id then failed comes before /api/user/data's row */
    static const api_route_t t2[] = {
        R(API_GET, "/api/:x/nope", API_SERVICE_CORE),
        R(API_GET, "/api/user", API_SERVICE_CORE),
    };
    http_route_find(t2, 2, ALL, API_GET, CORE_STR_LIT("/api/user"), &m);
    assert_ptr_equal(m.route, &t2[1]);
    assert_null(m.params[0].base);
}

static void test_too_many_params(void **state)
{
    http_route_match_t m;
    (void)state;
    static const api_route_t t3[] = {R(API_GET, "/:a/:b/:c", API_SERVICE_CORE)};
    http_route_find(t3, 1, ALL, API_GET, CORE_STR_LIT("/1/2/3"), &m); /* API_MAX_PARAMS is 2 */
    assert_null(m.route);
}

/* A NULL slice (no path) matches nothing and must not be offset (UBSan:
 * zero offset to NULL). Last in main(): under -fno-sanitize-recover it ends the run. */
static void test_null_path(void **state)
{
    http_route_match_t m;
    (void)state;
    http_route_find(routes, NROUTES, ALL, API_GET, CORE_STR_NULL, &m);
    assert_null(m.route);
    assert_int_equal(m.allowed, 0);
}

static void test_method_parse(void **state)
{
    (void)state;
    assert_int_equal(http_method_parse(CORE_STR_LIT("GET")), API_GET);
    assert_int_equal(http_method_parse(CORE_STR_LIT("POST")), API_POST);
    assert_int_equal(http_method_parse(CORE_STR_LIT("PUT")), API_PUT);
    assert_int_equal(http_method_parse(CORE_STR_LIT("PATCH")), API_PATCH);
    assert_int_equal(http_method_parse(CORE_STR_LIT("DELETE")), API_DELETE);
    static const char *const other[] = {"get", "HEAD", "OPTIONS", "TRACE", "CONNECT", "", "GETX", "GE", "POST "};
    for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++)
        assert_int_equal(http_method_parse(core_str_c(other[i])), 0);
    assert_int_equal(http_method_parse(core_str("GET\0", 4)), 0);
}

static void test_methods_format(void **state)
{
    char buf[64];
    (void)state;
    assert_string_equal(http_methods_format(0, buf, sizeof(buf)), "");
    assert_string_equal(http_methods_format(API_GET | API_POST | API_PUT | API_PATCH | API_DELETE, buf, sizeof(buf)),
                        "GET, POST, PUT, PATCH, DELETE");
    assert_string_equal(http_methods_format(API_DELETE, buf, sizeof(buf)), "DELETE");
    assert_string_equal(http_methods_format(1u << 20, buf, sizeof(buf)), ""); /* unknown bits ignored */
    /* a short buffer holds whole method names only, always terminated */
    char small[8];
    memset(small, '#', sizeof(small));
    http_methods_format(API_GET | API_POST, small, sizeof(small));
    assert_string_equal(small, "GET");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_literal),         cmocka_unit_test(test_params),
        cmocka_unit_test(test_table_order),     cmocka_unit_test(test_404_vs_405),
        cmocka_unit_test(test_services),        cmocka_unit_test(test_trailing_slash_and_case),
        cmocka_unit_test(test_percent_encoding), cmocka_unit_test(test_hostile_paths),
        cmocka_unit_test(test_unused_params_empty), cmocka_unit_test(test_too_many_params),
        cmocka_unit_test(test_method_parse),    cmocka_unit_test(test_methods_format),
        cmocka_unit_test(test_null_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
