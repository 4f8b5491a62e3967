/*
 * Unit tests for src/http/ratelimit.c over a fake kv_t (fixed-window
 * counters in an array, and a switch that makes every hit answer a chosen
 * error): the key making (per IP, per IPv6 network, per account), the
 * anonymous, per-account and failed-attempts limits, the header numbers of
 * the bucket that refused or else the tightest, taking back successful
 * credential requests, logout's count-only class, and what an uncounted hit
 * does: refused, except when the operator chose REDIS_DOWN_RATE_LIMIT=open.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/error.h"
#include "core/log.h"
#include "http/ratelimit.h"

#define USER_ID "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c9d"
#define TOO_MANY_IP "Too many requests from this IP, please try again later."

typedef struct counter {
    char key[128];
    long count, max;
    int64_t reset_at;
} counter_t;

typedef struct fake_kv {
    kv_t base; /* first: the kv_t * is a fake_kv_t * */
    counter_t counters[16];
    int ncounters;
    int fail;              /* CORE_OK, or what every hit answers */
    int64_t fail_reset_at; /* and the *reset_at it gives with it */
    int hits, undos;
    char last_key[128];
} fake_kv_t;

static counter_t *lookup(fake_kv_t *f, const char *key)
{
    for (int i = 0; i < f->ncounters; i++)
        if (strcmp(f->counters[i].key, key) == 0)
            return &f->counters[i];
    assert_true(f->ncounters < 16);
    counter_t *c = &f->counters[f->ncounters++];
    assert_true(strlen(key) < sizeof(c->key));
    strcpy(c->key, key);
    return c;
}

static int fake_hit(kv_t *kv, const char *key, int64_t window_ms, long max, int64_t now, long *count,
                    int64_t *reset_at)
{
    fake_kv_t *f = (fake_kv_t *)kv;
    f->hits++;
    snprintf(f->last_key, sizeof(f->last_key), "%s", key);
    if (f->fail != CORE_OK) {
        *reset_at = f->fail_reset_at;
        return f->fail;
    }
    counter_t *c = lookup(f, key);
    if (c->count == 0 || now >= c->reset_at) {
        c->count = 0;
        c->reset_at = now + window_ms;
    }
    c->max = max;
    *count = ++c->count;
    *reset_at = c->reset_at;
    return CORE_OK;
}

static int fake_undo(kv_t *kv, const char *key, int64_t now)
{
    fake_kv_t *f = (fake_kv_t *)kv;
    f->undos++;
    if (f->fail != CORE_OK)
        return CORE_E_UNAVAILABLE;
    counter_t *c = lookup(f, key);
    if (c->count > 0 && now < c->reset_at)
        c->count--;
    return CORE_OK;
}

static const kv_ops_t fake_ops = {.name = "fake", .counter_hit = fake_hit, .counter_undo = fake_undo};

static fake_kv_t *kv;
static http_exchange_t *x;
static core_config_t cfg;
static int saved_log_level;

static int setup(void **state)
{
    (void)state;
    kv = calloc(1, sizeof(*kv));
    kv->base.ops = &fake_ops;
    x = calloc(1, sizeof(*x));
    memset(&cfg, 0, sizeof(cfg));
    cfg.rate_limit_enabled = true;
    cfg.rate_limit_window_ms = 60000;
    cfg.rate_limit_max = 3;
    cfg.rate_limit_user_window_ms = 120000;
    cfg.rate_limit_user_max = 5;
    cfg.rate_limit_ipv6_prefix = 64;
    cfg.auth_rate_limit_window_ms = 900000;
    cfg.auth_rate_limit_max = 2;
    saved_log_level = core_log_level;
    core_log_level = CORE_LOG_ERROR + 1; /* keep expected warnings and errors out of the output */
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    core_log_level = saved_log_level;
    free(kv);
    free(x);
    return 0;
}

/* A fresh exchange from ip at now, as request.c prepares it, without a session. */
static void request(const char *ip, int64_t now)
{
    memset(x, 0, sizeof(*x));
    x->api.cfg = &cfg;
    x->api.client_ip = ip;
    x->api.now_ms = now;
}

/* The same with a verified, unrevoked session of user_id (the token check ran). */
static void signed_in(const char *ip, const char *user_id, int64_t now)
{
    request(ip, now);
    x->api.authenticated = true;
    snprintf(x->api.claims.user_id, sizeof(x->api.claims.user_id), "%s", user_id);
}

static int check(enum api_rate rate)
{
    return http_ratelimit_check(x, &kv->base, rate);
}

static long counter(const char *key)
{
    for (int i = 0; i < kv->ncounters; i++)
        if (strcmp(kv->counters[i].key, key) == 0)
            return kv->counters[i].count;
    return -1;
}

static void test_api_limit(void **state)
{
    (void)state;
    for (long i = 1; i <= 3; i++) {
        request("203.0.113.7", 1000 + i);
        assert_int_equal(check(API_RATE_API), CORE_OK);
        assert_true(x->rate.applied);
        assert_int_equal(x->rate.limit, 3);
        assert_int_equal(x->rate.remaining, 3 - i);
        assert_int_equal(x->rate.reset_ms, 60000 - (i - 1)); /* window started at the first hit */
        assert_int_equal(x->rate.retry_after_ms, 0);
        assert_null(x->rate.refused_by);
        assert_string_equal(x->rate.undo_key, "");
    }
    request("203.0.113.7", 2000);
    assert_int_equal(check(API_RATE_API), CORE_E_RATE_LIMITED);
    assert_int_equal(x->rate.remaining, 0);
    assert_int_equal(x->rate.reset_ms, 61001 - 2000);
    assert_int_equal(x->rate.retry_after_ms, 61001 - 2000);
    assert_string_equal(x->rate.refused_by, "api");
    assert_string_equal(x->api.message, TOO_MANY_IP);
    assert_string_equal(kv->last_key, "rl:api:ip:203.0.113.7");

    /* other clients have their own counters */
    request("198.51.100.1", 2000);
    assert_int_equal(check(API_RATE_API), CORE_OK);
    assert_string_equal(kv->last_key, "rl:api:ip:198.51.100.1");

    /* the window ends, the count starts over */
    request("203.0.113.7", 1001 + 60000);
    assert_int_equal(check(API_RATE_API), CORE_OK);
    assert_int_equal(x->rate.remaining, 2);
}

static void test_not_limited(void **state)
{
    (void)state;
    request("203.0.113.7", 1000);
    for (int i = 0; i < 10; i++)
        assert_int_equal(check(API_RATE_NONE), CORE_OK);
    assert_int_equal(kv->hits, 0);
    assert_false(x->rate.applied);

    cfg.rate_limit_enabled = false;
    for (int i = 0; i < 10; i++)
        assert_int_equal(check(API_RATE_AUTH), CORE_OK);
    assert_int_equal(kv->hits, 0);
    assert_false(x->rate.applied);
}

static void test_user_counted_per_account(void **state)
{
    (void)state;
    /* the same account from two addresses: one bucket, its own limit and window */
    for (long i = 1; i <= 5; i++) {
        signed_in(i % 2 ? "203.0.113.7" : "2001:db8::1", USER_ID, 1000);
        assert_int_equal(check(API_RATE_API), CORE_OK);
        assert_int_equal(x->rate.limit, 5);
        assert_int_equal(x->rate.remaining, 5 - i);
        assert_int_equal(x->rate.reset_ms, 120000);
        assert_string_equal(kv->last_key, "rl:user:user:" USER_ID);
    }
    signed_in("203.0.113.7", USER_ID, 1000);
    assert_int_equal(check(API_RATE_API), CORE_E_RATE_LIMITED);
    assert_string_equal(x->rate.refused_by, "user");
    assert_string_equal(x->api.message, "Too many requests from this account, please try again later.");
    assert_int_equal(x->rate.retry_after_ms, 120000);
    /* the address's own bucket was never touched: anonymous requests from it start at 1 */
    assert_int_equal(counter("rl:api:ip:203.0.113.7"), -1);
    request("203.0.113.7", 1000);
    assert_int_equal(check(API_RATE_API), CORE_OK);
    assert_int_equal(x->rate.remaining, 2);
}

static void test_auth_limit_and_undo(void **state)
{
    (void)state;
    cfg.rate_limit_max = 100;
    /* two failed sign-ins are allowed, the third is refused */
    for (int i = 1; i <= 2; i++) {
        request("198.51.100.4", 5000);
        assert_int_equal(check(API_RATE_AUTH), CORE_OK);
        assert_string_equal(x->rate.undo_key, "rl:auth:ip:198.51.100.4");
        assert_int_equal(x->rate.limit, 2); /* the headers describe the tighter, failed-attempts limit */
        assert_int_equal(x->rate.remaining, 2 - i);
        x->code = CORE_E_INVALID_CREDENTIALS;
        http_ratelimit_settle(x, &kv->base);
    }
    assert_int_equal(kv->undos, 0);
    request("198.51.100.4", 5000);
    assert_int_equal(check(API_RATE_AUTH), CORE_E_RATE_LIMITED);
    assert_int_equal(x->rate.reset_ms, 900000);
    assert_int_equal(x->rate.retry_after_ms, 900000);
    assert_string_equal(x->rate.refused_by, "auth");
    assert_string_equal(x->api.message, "Too many failed attempts from this IP, please try again later.");
    x->code = CORE_E_RATE_LIMITED;
    http_ratelimit_settle(x, &kv->base);
    assert_int_equal(kv->undos, 0);
    /* both limits counted */
    assert_int_equal(counter("rl:api:ip:198.51.100.4"), 3);
    assert_int_equal(counter("rl:auth:ip:198.51.100.4"), 3);

    /* a session's failed attempts (a wrong OTP) are the account's, not the address's */
    signed_in("198.51.100.4", USER_ID, 5000);
    assert_int_equal(check(API_RATE_AUTH), CORE_OK);
    assert_string_equal(x->rate.undo_key, "rl:auth:user:" USER_ID);
    signed_in("198.51.100.4", USER_ID, 5000);
    assert_int_equal(check(API_RATE_AUTH), CORE_OK);
    signed_in("198.51.100.4", USER_ID, 5000);
    assert_int_equal(check(API_RATE_AUTH), CORE_E_RATE_LIMITED);
    assert_string_equal(x->api.message,
                        "Too many failed attempts from this account, please try again later.");
}

static void test_successful_auth_not_counted(void **state)
{
    (void)state;
    cfg.rate_limit_max = 100;
    for (int i = 0; i < 10; i++) {
        request("198.51.100.5", 5000 + i);
        assert_int_equal(check(API_RATE_AUTH), CORE_OK);
        x->code = CORE_OK;
        http_ratelimit_settle(x, &kv->base);
    }
    assert_int_equal(kv->undos, 10);
    assert_int_equal(counter("rl:auth:ip:198.51.100.5"), 0);
    assert_int_equal(counter("rl:api:ip:198.51.100.5"), 10); /* the /api/ limit still counts them */

    /* a plain /api/ request has nothing to take back */
    request("198.51.100.5", 6000);
    assert_int_equal(check(API_RATE_API), CORE_OK);
    x->code = CORE_OK;
    http_ratelimit_settle(x, &kv->base);
    assert_int_equal(kv->undos, 10);
}

static void test_api_limit_stops_before_auth(void **state)
{
    (void)state;
    cfg.rate_limit_max = 1;
    request("192.0.2.1", 1000);
    assert_int_equal(check(API_RATE_AUTH), CORE_OK);
    request("192.0.2.1", 1001);
    assert_int_equal(check(API_RATE_AUTH), CORE_E_RATE_LIMITED);
    assert_string_equal(x->rate.refused_by, "api");
    assert_int_equal(x->rate.limit, 1);                   /* the headers of the bucket that refused */
    assert_int_equal(counter("rl:auth:ip:192.0.2.1"), 1); /* not hit again once /api/ refused */
    assert_string_equal(x->rate.undo_key, "");
    x->code = CORE_E_RATE_LIMITED;
    http_ratelimit_settle(x, &kv->base);
    assert_int_equal(kv->undos, 0);
}

static void test_headers_of_the_tightest_bucket(void **state)
{
    (void)state;
    cfg.auth_rate_limit_max = 100;
    request("192.0.2.9", 1000);
    assert_int_equal(check(API_RATE_AUTH), CORE_OK); /* api 2 left of 3, auth 99 of 100 */
    assert_int_equal(x->rate.limit, 3);
    assert_int_equal(x->rate.remaining, 2);
    assert_int_equal(x->rate.reset_ms, 60000);
}

static void test_count_only_never_refused(void **state)
{
    (void)state;
    for (long i = 1; i <= 6; i++) {
        request("203.0.113.8", 1000 + i);
        assert_int_equal(check(API_RATE_COUNT_ONLY), CORE_OK);
        assert_int_equal(x->rate.remaining, i >= 3 ? 0 : 3 - i);
        assert_int_equal(x->rate.retry_after_ms, 0);
        assert_null(x->rate.refused_by);
        assert_string_equal(x->rate.undo_key, ""); /* not a credential endpoint */
    }
    assert_int_equal(counter("rl:api:ip:203.0.113.8"), 6); /* counted all the same */
    request("203.0.113.8", 2000);
    assert_int_equal(check(API_RATE_API), CORE_E_RATE_LIMITED);
    /* and a counter that cannot count does not stop it either */
    kv->fail = CORE_E_UNAVAILABLE;
    signed_in("203.0.113.8", USER_ID, 2000);
    assert_int_equal(check(API_RATE_COUNT_ONLY), CORE_OK);
}

static void test_uncounted_hits_refuse(void **state)
{
    (void)state;
    /* no room for another client: 503, with when room is expected */
    kv->fail = CORE_E_UNAVAILABLE;
    kv->fail_reset_at = 9000;
    request("203.0.113.9", 1000);
    assert_int_equal(check(API_RATE_API), CORE_E_UNAVAILABLE);
    assert_int_equal(x->rate.retry_after_ms, 8000);
    assert_false(x->rate.applied); /* no made-up headers */
    assert_null(x->rate.refused_by);
    assert_string_equal(x->api.message, "Too many clients at once, please try again later.");
    kv->fail_reset_at = 0; /* the backend cannot say when */
    request("203.0.113.9", 1000);
    assert_int_equal(check(API_RATE_AUTH), CORE_E_UNAVAILABLE);
    assert_int_equal(x->rate.retry_after_ms, 1000);
    assert_string_equal(x->rate.undo_key, "");

    /* any other failure refuses too */
    kv->fail = CORE_E_INTERNAL;
    signed_in("203.0.113.9", USER_ID, 1000);
    assert_int_equal(check(API_RATE_API), CORE_E_INTERNAL);

    /* only REDIS_DOWN_RATE_LIMIT=open (the backend's CORE_E_NOT_FOUND) lets it through, with no headers */
    kv->fail = CORE_E_NOT_FOUND;
    for (int i = 0; i < 10; i++) {
        request("203.0.113.9", 1000 + i);
        assert_int_equal(check(API_RATE_AUTH), CORE_OK);
        assert_false(x->rate.applied);
        assert_int_equal(x->rate.retry_after_ms, 0);
        assert_string_equal(x->rate.undo_key, "");
        x->code = CORE_OK;
        http_ratelimit_settle(x, &kv->base);
    }
    assert_int_equal(kv->undos, 0);
}

static void assert_bucket(const char *ip, int prefix, const char *want)
{
    char out[HTTP_RATELIMIT_BUCKET_SIZE];
    memset(out, 'x', sizeof(out));
    http_ratelimit_ip_bucket(ip, prefix, out, sizeof(out));
    assert_string_equal(out, want);
}

static void test_ip_buckets(void **state)
{
    (void)state;
    assert_bucket("203.0.113.7", 64, "203.0.113.7");
    assert_bucket("-", 64, "-"); /* an unknown peer */
    /* one /64, however it is written */
    assert_bucket("2001:db8:1:2::1", 64, "2001:db8:1:2::/64");
    assert_bucket("2001:db8:1:2:ffff:ffff:ffff:ffff", 64, "2001:db8:1:2::/64");
    assert_bucket("2001:DB8:1:2:0:0:0:ABCD", 64, "2001:db8:1:2::/64");
    assert_bucket("2001:db8:1:3::1", 64, "2001:db8:1:3::/64");
    /* prefixes that do not end on a group or a byte */
    assert_bucket("2001:db8:1:3::1", 63, "2001:db8:1:2::/63");
    assert_bucket("2001:db8:1:ff::1", 60, "2001:db8:1:f0::/60");
    assert_bucket("2001:db8:ffff:1::1", 33, "2001:db8:8000::/33");
    assert_bucket("2001:db8:1:2::1", 48, "2001:db8:1::/48");
    assert_bucket("2001:db8:1:2::1", 32, "2001:db8::/32");
    assert_bucket("2001:db8:1:2::1", 128, "2001:db8:1:2::1/128");
    assert_bucket("::1", 64, "::/64");
    /* an IPv4-mapped address is its IPv4 client, not one bucket for all of IPv4 */
    assert_bucket("::ffff:198.51.100.7", 64, "198.51.100.7");
    assert_bucket("::ffff:198.51.100.8", 64, "198.51.100.8");
    /* the longest textual forms fit */
    assert_bucket("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 128,
                  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
    assert_bucket("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 127,
                  "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127");
    /* a short buffer is cut, never overrun */
    char small[8];
    http_ratelimit_ip_bucket("2001:db8:1:2::1", 64, small, sizeof(small));
    assert_string_equal(small, "2001:db");
}

static void test_ipv6_clients_keyed_by_network(void **state)
{
    (void)state;
    request("2001:db8:1:2::1", 1000);
    assert_int_equal(check(API_RATE_AUTH), CORE_OK);
    assert_string_equal(x->rate.undo_key, "rl:auth:ip:2001:db8:1:2::/64");
    request("2001:db8:1:2:aaaa::9", 1000);
    assert_int_equal(check(API_RATE_API), CORE_OK);
    assert_int_equal(counter("rl:api:ip:2001:db8:1:2::/64"), 2);
    cfg.rate_limit_ipv6_prefix = 56;
    request("2001:db8:1:2:aaaa::9", 1000);
    assert_int_equal(check(API_RATE_API), CORE_OK);
    assert_string_equal(kv->last_key, "rl:api:ip:2001:db8:1::/56");
    /* the longest client text still gives a whole key */
    request("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 1000);
    cfg.rate_limit_ipv6_prefix = 128;
    assert_int_equal(check(API_RATE_AUTH), CORE_OK);
    assert_string_equal(x->rate.undo_key, "rl:auth:ip:ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff/128");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_api_limit),
        T(test_not_limited),
        T(test_user_counted_per_account),
        T(test_auth_limit_and_undo),
        T(test_successful_auth_not_counted),
        T(test_api_limit_stops_before_auth),
        T(test_headers_of_the_tightest_bucket),
        T(test_count_only_never_refused),
        T(test_uncounted_hits_refuse),
        T(test_ip_buckets),
        T(test_ipv6_clients_keyed_by_network),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
