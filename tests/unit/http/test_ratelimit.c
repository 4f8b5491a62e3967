/*
 * Unit tests for src/http/ratelimit.c over a fake kv_t (fixed-window
 * counters in an array, with a switch to simulate an outage): the /api/ and
 * /api/auth/ limits, the header numbers, taking back successful auth hits,
 * per-IP and per-class keys, window reset, disabled limits, and failing open
 * when the counter store is down.
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

typedef struct counter {
    char key[64];
    long count;
    int64_t reset_at;
} counter_t;

typedef struct fake_kv {
    kv_t base; /* first: the kv_t * is a fake_kv_t * */
    counter_t counters[16];
    int ncounters;
    bool down;
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
    (void)max;
    fake_kv_t *f = (fake_kv_t *)kv;
    f->hits++;
    snprintf(f->last_key, sizeof(f->last_key), "%s", key);
    if (f->down)
        return CORE_E_UNAVAILABLE;
    counter_t *c = lookup(f, key);
    if (c->count == 0 || now >= c->reset_at) {
        c->count = 0;
        c->reset_at = now + window_ms;
    }
    *count = ++c->count;
    *reset_at = c->reset_at;
    return CORE_OK;
}

static int fake_undo(kv_t *kv, const char *key, int64_t now)
{
    fake_kv_t *f = (fake_kv_t *)kv;
    f->undos++;
    if (f->down)
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
    cfg.auth_rate_limit_window_ms = 900000;
    cfg.auth_rate_limit_max = 2;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(kv);
    free(x);
    return 0;
}

/* A fresh exchange from ip at now, as request.c prepares it. */
static void request(const char *ip, int64_t now)
{
    memset(x, 0, sizeof(*x));
    x->api.cfg = &cfg;
    x->api.client_ip = ip;
    x->api.now_ms = now;
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
        assert_int_equal(http_ratelimit_check(x, &kv->base, API_RATE_API), CORE_OK);
        assert_true(x->rate.applied);
        assert_int_equal(x->rate.limit, 3);
        assert_int_equal(x->rate.remaining, 3 - i);
        assert_int_equal(x->rate.reset_ms, 60000 - (i - 1)); /* window started at the first hit */
        assert_string_equal(x->rate.undo_key, "");
    }
    request("203.0.113.7", 2000);
    assert_int_equal(http_ratelimit_check(x, &kv->base, API_RATE_API), CORE_E_RATE_LIMITED);
    assert_int_equal(x->rate.remaining, 0);
    assert_int_equal(x->rate.reset_ms, 61001 - 2000);
    assert_string_equal(kv->last_key, "rl:api:203.0.113.7");

    /* other clients have their own counters */
    request("2001:db8::1", 2000);
    assert_int_equal(http_ratelimit_check(x, &kv->base, API_RATE_API), CORE_OK);
    assert_string_equal(kv->last_key, "rl:api:2001:db8::1");

    /* the window ends, the count starts over */
    request("203.0.113.7", 1001 + 60000);
    assert_int_equal(http_ratelimit_check(x, &kv->base, API_RATE_API), CORE_OK);
    assert_int_equal(x->rate.remaining, 2);
}

static void test_not_limited(void **state)
{
    (void)state;
    request("203.0.113.7", 1000);
    for (int i = 0; i < 10; i++)
        assert_int_equal(http_ratelimit_check(x, &kv->base, API_RATE_NONE), CORE_OK);
    assert_int_equal(kv->hits, 0);
    assert_false(x->rate.applied);

    cfg.rate_limit_enabled = false;
    for (int i = 0; i < 10; i++)
        assert_int_equal(http_ratelimit_check(x, &kv->base, API_RATE_AUTH), CORE_OK);
    assert_int_equal(kv->hits, 0);
    assert_false(x->rate.applied);
}

static void test_auth_limit_and_undo(void **state)
{
    (void)state;
    cfg.rate_limit_max = 100;
    /* two failed sign-ins are allowed, the third is refused */
    for (int i = 1; i <= 2; i++) {
        request("198.51.100.4", 5000);
        assert_int_equal(http_ratelimit_check(x, &kv->base, API_RATE_AUTH), CORE_OK);
        assert_string_equal(x->rate.undo_key, "rl:auth:198.51.100.4");
        assert_int_equal(x->rate.limit, 2); /* the headers describe the stricter, auth limit */
        assert_int_equal(x->rate.remaining, 2 - i);
        x->code = CORE_E_INVALID_CREDENTIALS;
        http_ratelimit_settle(x, &kv->base);
    }
    assert_int_equal(kv->undos, 0);
    request("198.51.100.4", 5000);
    assert_int_equal(http_ratelimit_check(x, &kv->base, API_RATE_AUTH), CORE_E_RATE_LIMITED);
    assert_int_equal(x->rate.reset_ms, 900000);
    x->code = CORE_E_RATE_LIMITED;
    http_ratelimit_settle(x, &kv->base);
    assert_int_equal(kv->undos, 0);
    /* both classes were counted */
    assert_int_equal(counter("rl:api:198.51.100.4"), 3);
    assert_int_equal(counter("rl:auth:198.51.100.4"), 3);
}

static void test_successful_auth_not_counted(void **state)
{
    (void)state;
    cfg.rate_limit_max = 100;
    for (int i = 0; i < 10; i++) {
        request("198.51.100.5", 5000 + i);
        assert_int_equal(http_ratelimit_check(x, &kv->base, API_RATE_AUTH), CORE_OK);
        x->code = CORE_OK;
        http_ratelimit_settle(x, &kv->base);
    }
    assert_int_equal(kv->undos, 10);
    assert_int_equal(counter("rl:auth:198.51.100.5"), 0);
    assert_int_equal(counter("rl:api:198.51.100.5"), 10); /* the /api/ limit still counts them */

    /* a plain /api/ request has nothing to take back */
    request("198.51.100.5", 6000);
    assert_int_equal(http_ratelimit_check(x, &kv->base, API_RATE_API), CORE_OK);
    x->code = CORE_OK;
    http_ratelimit_settle(x, &kv->base);
    assert_int_equal(kv->undos, 10);
}

static void test_api_limit_stops_before_auth(void **state)
{
    (void)state;
    cfg.rate_limit_max = 1;
    request("192.0.2.1", 1000);
    assert_int_equal(http_ratelimit_check(x, &kv->base, API_RATE_AUTH), CORE_OK);
    request("192.0.2.1", 1001);
    assert_int_equal(http_ratelimit_check(x, &kv->base, API_RATE_AUTH), CORE_E_RATE_LIMITED);
    assert_int_equal(counter("rl:auth:192.0.2.1"), 1); /* not hit again once /api/ refused */
    assert_string_equal(x->rate.undo_key, "");
    x->code = CORE_E_RATE_LIMITED;
    http_ratelimit_settle(x, &kv->base);
    assert_int_equal(kv->undos, 0);
}

static void test_fail_open(void **state)
{
    (void)state;
    kv->down = true;
    int saved = core_log_level;
    core_log_level = CORE_LOG_ERROR; /* keep the expected warning out of the test output */
    for (int i = 0; i < 10; i++) {
        request("203.0.113.9", 1000 + i);
        assert_int_equal(http_ratelimit_check(x, &kv->base, API_RATE_AUTH), CORE_OK);
        assert_false(x->rate.applied); /* no made-up headers */
        assert_string_equal(x->rate.undo_key, "");
        x->code = CORE_OK;
        http_ratelimit_settle(x, &kv->base);
    }
    core_log_level = saved;
    assert_int_equal(kv->hits, 20);
    assert_int_equal(kv->undos, 0);
}

static void test_long_client_ip(void **state)
{
    (void)state;
    /* the longest textual IPv6 address still gives a whole key */
    const char *ip = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
    request(ip, 1000);
    assert_int_equal(http_ratelimit_check(x, &kv->base, API_RATE_AUTH), CORE_OK);
    assert_string_equal(kv->last_key, "rl:auth:ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
    assert_string_equal(x->rate.undo_key, "rl:auth:ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255");
    request("-", 1000); /* unknown peer */
    assert_int_equal(http_ratelimit_check(x, &kv->base, API_RATE_API), CORE_OK);
    assert_string_equal(kv->last_key, "rl:api:-");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_api_limit),   T(test_not_limited), T(test_auth_limit_and_undo), T(test_successful_auth_not_counted),
        T(test_api_limit_stops_before_auth), T(test_fail_open), T(test_long_client_ip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
