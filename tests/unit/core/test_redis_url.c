/*
 * Unit tests for src/core/redis_url.c: REDIS_URL split by RFC 3986 and
 * percent-decoded (passwords with '@', ':' and '%' in them), IPv6 hosts,
 * database numbers, the redis-cli reading of a lone "secret@", and the URLs
 * it refuses, with messages that never quote a password.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/redis_url.h"

typedef struct want {
    const char *url;
    const char *host;
    int port;
    const char *user; /* NULL: none */
    const char *password;
    int db;
} want_t;

static void check(const want_t *w)
{
    core_redis_url_t u;
    char err[256] = "";

    if (core_redis_url_parse(w->url, &u, err, sizeof(err)) != 0)
        fail_msg("%s: refused: %s", w->url, err);
    assert_string_equal(u.host, w->host);
    assert_int_equal(u.port, w->port);
    assert_int_equal(u.db, w->db);
    if (w->user == NULL)
        assert_null(u.user);
    else
        assert_string_equal(u.user, w->user);
    if (w->password == NULL)
        assert_null(u.password);
    else
        assert_string_equal(u.password, w->password);
    core_redis_url_cleanup(&u);
    assert_null(u.host);
}

static void test_accepted(void **state)
{
    (void)state;
    static const want_t cases[] = {
        {"redis://localhost", "localhost", 6379, NULL, NULL, 0},
        {"redis://localhost/", "localhost", 6379, NULL, NULL, 0},
        {"redis://cache.local:6380/3", "cache.local", 6380, NULL, NULL, 3},
        {"REDIS://Cache.Local:6380", "Cache.Local", 6380, NULL, NULL, 0},
        {"redis://u:secret@cache.local:6380/3", "cache.local", 6380, "u", "secret", 3},
        /* a password holding '@', ':' and '%', percent-encoded */
        {"redis://:p%40ss%3Aw%25rd@127.0.0.1:6380/15", "127.0.0.1", 6380, NULL, "p@ss:w%rd", 15},
        /* and '/', '#', '?' */
        {"redis://:a%2Fb%23c%3Fd@h", "h", 6379, NULL, "a/b#c?d", 0},
        /* a user name with '@' in it, and a password with a space */
        {"redis://app%40eu:two%20words@h:1", "h", 1, "app@eu", "two words", 0},
        /* a lone part before '@' is the password, as redis-cli reads it */
        {"redis://s3cr%40t@h", "h", 6379, NULL, "s3cr@t", 0},
        /* an empty password is still sent */
        {"redis://:@h", "h", 6379, NULL, "", 0},
        /* IPv6, with a port, a database and a zone */
        {"redis://[::1]", "::1", 6379, NULL, NULL, 0},
        {"redis://:pw@[::1]:7000/2", "::1", 7000, NULL, "pw", 2},
        {"redis://[2001:db8::10]:6379/0", "2001:db8::10", 6379, NULL, NULL, 0},
        {"redis://[fe80::1%25eth0]:6379", "fe80::1%eth0", 6379, NULL, NULL, 0},
        {"redis://h:65535/1000000", "h", 65535, NULL, NULL, 1000000},
        /* a host is percent-decoded once: libcurl 7.88 decodes it when it parses the URL, and asking it
           to decode again read "%2540" as '@' (found by the redis_url fuzz target) */
        {"redis://a%2540b", "a%40b", 6379, NULL, NULL, 0},
        {"redis://c%61che:1", "cache", 1, NULL, NULL, 0},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check(&cases[i]);
}

static void test_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "",
        "localhost:6379",
        "http://h",
        "redis:h",
        "redis:/h",
        "redis://",
        "redis:///3",
        "redis://@h",
        "redis://h:0",
        "redis://h:65536",
        "redis://h:99999",
        "redis://h:port",
        "redis://h:-1",
        "redis://h/x",
        "redis://h/-1",
        "redis://h/1000001",
        "redis://h/1/2",
        "redis://h/3x",
        "redis://h?db=2",
        "redis://h/2#frag",
        "redis://[::1",
        "redis://[::g]",
        "redis:// h",
        "redis://h\r\n",
        "redis://:p%0Aw@h", /* a control character once decoded */
        "redis://:p%00w@h",
        "redis://u%0D:p@h",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        core_redis_url_t u;
        char err[256] = "";
        if (core_redis_url_parse(bad[i], &u, err, sizeof(err)) != -1)
            fail_msg("accepted: \"%s\"", bad[i]);
        assert_true(err[0] != '\0');
        assert_null(u.host);
        assert_null(u.password);
    }
}

static void test_rediss_says_why(void **state)
{
    (void)state;
    core_redis_url_t u;
    char err[256] = "";

    assert_int_equal(core_redis_url_parse("rediss://h:6380", &u, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "rediss:// (TLS) is not supported"));
    assert_int_equal(core_redis_url_parse("REDISS://u:pw@h", &u, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "TLS"));
}

/* What the config loader prints: never the user or the password. */
static void test_messages_hide_credentials(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "redis://admin:hunter2@h:99999",   "redis://admin:hunter2@h/db",   "rediss://admin:hunter2@h",
        "redis://:hunter2@cache@h",        "redis://admin:hunter2@h?x=1",  "redis://admin:hunter2%0A@h",
        "redis://admin:hunter2@[::1",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        core_redis_url_t u;
        char err[256] = "";
        assert_int_equal(core_redis_url_parse(bad[i], &u, err, sizeof(err)), -1);
        if (strstr(err, "hunter2") != NULL || strstr(err, "admin") != NULL)
            fail_msg("\"%s\": the message quotes a credential: %s", bad[i], err);
    }
}

static void test_too_long(void **state)
{
    (void)state;
    static char url[CORE_REDIS_URL_MAX + 32];
    core_redis_url_t u;
    char err[256];

    strcpy(url, "redis://h/");
    memset(url + 10, '1', CORE_REDIS_URL_MAX);
    url[CORE_REDIS_URL_MAX + 10] = '\0';
    assert_int_equal(core_redis_url_parse(url, &u, err, sizeof(err)), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_accepted),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_rediss_says_why),
        cmocka_unit_test(test_messages_hide_credentials),
        cmocka_unit_test(test_too_long),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
