/*
 * Unit tests for src/http/forwarded.c: the client address with and without
 * TRUST_PROXY, X-Forwarded-For walked from the right past trusted hops only,
 * spoofed left-hand entries, IPv6 and IPv4-mapped peers, garbage entries,
 * and an absent header (a NULL slice, which must not be offset).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "http/forwarded.h"

static core_pool_t pool;
static core_config_t cfg;
static struct sockaddr_storage peer_ss;

static int setup(void **state)
{
    (void)state;
    core_pool_init(&pool);
    memset(&cfg, 0, sizeof(cfg));
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    core_pool_cleanup(&pool);
    free(cfg.trust_proxy);
    return 0;
}

static void trust(const char *list)
{
    free(cfg.trust_proxy);
    cfg.trust_proxy = calloc(8, sizeof(core_cidr_t));
    cfg.trust_proxy_len = 0;
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", list);
    for (char *tok = strtok(buf, ","); tok != NULL; tok = strtok(NULL, ","))
        assert_int_equal(core_cidr_parse(tok, &cfg.trust_proxy[cfg.trust_proxy_len++]), 0);
}

static const struct sockaddr *peer(const char *addr)
{
    memset(&peer_ss, 0, sizeof(peer_ss));
    struct sockaddr_in *in4 = (struct sockaddr_in *)&peer_ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&peer_ss;
    if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(54321);
    } else {
        assert_int_equal(inet_pton(AF_INET6, addr, &in6->sin6_addr), 1);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(54321);
    }
    return (const struct sockaddr *)&peer_ss;
}

static const char *ip(const char *peer_addr, const char *xff)
{
    core_str_t h = xff != NULL ? core_str_c(xff) : CORE_STR_NULL;
    return http_client_ip(&pool, &cfg, peer_addr != NULL ? peer(peer_addr) : NULL, h);
}

static void test_no_trust_proxy(void **state)
{
    (void)state;
    assert_string_equal(ip("203.0.113.7", NULL), "203.0.113.7");
    assert_string_equal(ip("203.0.113.7", "1.2.3.4"), "203.0.113.7"); /* header ignored */
    assert_string_equal(ip("127.0.0.1", "1.2.3.4"), "127.0.0.1");
    assert_string_equal(ip("2001:db8::1", "1.2.3.4"), "2001:db8::1");
    assert_string_equal(ip("::ffff:198.51.100.9", NULL), "198.51.100.9"); /* mapped peers print as IPv4 */
    assert_string_equal(ip(NULL, "1.2.3.4"), "-");
}

static void test_absent_header(void **state)
{
    (void)state;
    trust("127.0.0.0/8");
    /* CORE_STR_NULL: base NULL, len 0 (no X-Forwarded-For at all) */
    assert_string_equal(ip("127.0.0.1", NULL), "127.0.0.1");
    assert_string_equal(ip("127.0.0.1", ""), "127.0.0.1");
    assert_string_equal(ip(NULL, NULL), "-");
}

static void test_trusted_proxy(void **state)
{
    (void)state;
    trust("127.0.0.0/8,::1");
    assert_string_equal(ip("127.0.0.1", "203.0.113.7"), "203.0.113.7");
    assert_string_equal(ip("::1", "203.0.113.7"), "203.0.113.7");
    assert_string_equal(ip("::ffff:127.0.0.1", "203.0.113.7"), "203.0.113.7");
    assert_string_equal(ip("127.0.0.1", "  203.0.113.7  "), "203.0.113.7");
    /* an untrusted peer cannot choose its address */
    assert_string_equal(ip("198.51.100.1", "203.0.113.7"), "198.51.100.1");
}

static void test_spoofed_chain(void **state)
{
    (void)state;
    trust("127.0.0.1,10.0.0.0/8");
    /* the client sent "6.6.6.6"; the proxy appended the real address */
    assert_string_equal(ip("127.0.0.1", "6.6.6.6, 203.0.113.7"), "203.0.113.7");
    assert_string_equal(ip("127.0.0.1", "6.6.6.6,203.0.113.7"), "203.0.113.7");
    /* two trusted hops, then the client */
    assert_string_equal(ip("127.0.0.1", "6.6.6.6, 203.0.113.7, 10.1.2.3"), "203.0.113.7");
    /* a client claiming to be a trusted proxy is only believed as far as the chain goes */
    assert_string_equal(ip("127.0.0.1", "10.9.9.9, 203.0.113.7"), "203.0.113.7");
    /* every hop trusted: the leftmost is the client */
    assert_string_equal(ip("127.0.0.1", "10.0.0.5, 10.0.0.6"), "10.0.0.5");
    assert_string_equal(ip("127.0.0.1", "127.0.0.1"), "127.0.0.1");
}

static void test_ipv6(void **state)
{
    (void)state;
    trust("::1,fd00::/8");
    assert_string_equal(ip("::1", "2001:db8::7"), "2001:db8::7");
    assert_string_equal(ip("::1", "2001:DB8:0:0:0:0:0:7"), "2001:db8::7"); /* normalized */
    assert_string_equal(ip("::1", "2001:db8::7, fd00::1"), "2001:db8::7");
    assert_string_equal(ip("::1", "203.0.113.7, fd12::9"), "203.0.113.7");
    assert_string_equal(ip("fd00::5", "::ffff:203.0.113.7"), "::ffff:203.0.113.7");
}

static void test_garbage(void **state)
{
    (void)state;
    trust("127.0.0.1,10.0.0.0/8");
    /* an entry that is no address ends the walk at the last good hop */
    static const char *const junk[] = {
        "garbage", "unknown", ",", ",,,", " ", "1.2.3.4,", "1.2.3.4, ", "1.2.3.4:8080", "[2001:db8::1]",
        "1.2.3.999", "fe80::1%eth0", "1.2.3.4 5.6.7.8", "\"1.2.3.4\"",
        "2001:0db8:0000:0000:0000:0000:0000:0001:ffff:ffff:ffff",
        "1.2.3.4\r\nX-Injected: 1",
    };
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
        const char *got = ip("127.0.0.1", junk[i]);
        if (strcmp(got, "127.0.0.1") != 0)
            fail_msg("XFF \"%s\" gave %s", junk[i], got);
    }
    /* garbage left of a good untrusted entry never matters */
    assert_string_equal(ip("127.0.0.1", "<script>, 203.0.113.7"), "203.0.113.7");
    /* garbage behind a trusted hop stops at that hop */
    assert_string_equal(ip("127.0.0.1", "203.0.113.7, garbage, 10.0.0.1"), "10.0.0.1");
}

static void test_exact_buffer(void **state)
{
    (void)state;
    trust("127.0.0.1");
    /* the header slice is not NUL-terminated: nothing past it may be read */
    static const char *const cases[] = {"203.0.113.7", "a,b", ",", "10.0.0.1,203.0.113.7", "x"};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        size_t n = strlen(cases[i]);
        char *h = malloc(n);
        memcpy(h, cases[i], n);
        (void)http_client_ip(&pool, &cfg, peer("127.0.0.1"), core_str(h, n));
        free(h);
    }
    /* a long header of trusted hops */
    size_t n = 64 * 1024;
    char *h = malloc(n);
    size_t used = 7;
    memcpy(h, "1.2.3.4", 7); /* the client, then thousands of trusted hops */
    while (used + 11 <= n) {
        memcpy(h + used, ", 127.0.0.1", 11);
        used += 11;
    }
    const char *got = http_client_ip(&pool, &cfg, peer("127.0.0.1"), core_str(h, used));
    free(h);
    assert_string_equal(got, "1.2.3.4");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_no_trust_proxy), T(test_absent_header), T(test_trusted_proxy), T(test_spoofed_chain),
        T(test_ipv6),           T(test_garbage),       T(test_exact_buffer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
