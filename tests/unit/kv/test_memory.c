/*
 * Unit tests for src/kv/memory.c (with counters.c, cache.c and table.c
 * behind it). The file includes memory.c to replace its clocks and to read
 * its tables. A fake store_t records the revocation calls and can be made to
 * fail, which tests loading at creation, write-through, store failures and
 * the hourly purge. Counters are driven with explicit times; a threaded test
 * checks the count is exact under contention.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "kv/memory.c"
#include "kv/peer_process.h"

#define T0 1767225600000LL /* 2026-01-01, wall clock */
#define JTI_A "019b76da-a87b-7fed-92ba-d980333ca82a"
#define JTI_B "019b76da-a87b-7fed-92ba-d980333ca82b"
#define JTI_OLD "019b76da-a87b-7fed-92ba-d980333ca82c"
#define USER_A "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c9d"
#define USER_B "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c9e"

static int64_t fake_wall, fake_mono;

static int64_t fake_wall_ms(void)
{
    return fake_wall;
}

static int64_t fake_mono_ms(void)
{
    return fake_mono;
}

/* ---- a store that keeps only what the kv backend uses ---- */

typedef struct fake_store {
    store_t base;
    int fail;      /* what revoke calls return */
    int load_fail; /* what revocations_load returns */
    int closed, token_calls, user_calls, purge_calls, check_calls;
    int check_fail;     /* what revocation_check returns */
    bool check_revoked; /* and what it answers */
    char last_key[64];
    int64_t last_time, last_purge_now;
    int64_t load_now;
} fake_store_t;

static int fake_token_revoke(store_t *s, const char *jti, int64_t expires_at)
{
    fake_store_t *f = (fake_store_t *)s;
    f->token_calls++;
    snprintf(f->last_key, sizeof(f->last_key), "%s", jti);
    f->last_time = expires_at;
    return f->fail;
}

static int fake_user_sessions_revoke(store_t *s, const char *user_id, int64_t before_ms)
{
    fake_store_t *f = (fake_store_t *)s;
    f->user_calls++;
    snprintf(f->last_key, sizeof(f->last_key), "%s", user_id);
    f->last_time = before_ms;
    return f->fail;
}

static int fake_revocations_load(store_t *s, int64_t now, store_token_revocation_cb token_cb,
                                 store_user_revocation_cb user_cb, void *ctx)
{
    fake_store_t *f = (fake_store_t *)s;
    f->load_now = now;
    if (f->load_fail != CORE_OK)
        return f->load_fail;
    token_cb(ctx, JTI_A, now + 3600 * 1000);
    token_cb(ctx, JTI_OLD, now - 1); /* the store should not send it; harmless if it does */
    user_cb(ctx, USER_B, now - 1000);
    return CORE_OK;
}

static int fake_revocations_purge(store_t *s, int64_t now)
{
    fake_store_t *f = (fake_store_t *)s;
    f->purge_calls++;
    f->last_purge_now = now;
    return f->fail;
}

static int fake_revocation_check(store_t *s, const char *jti, const char *user_id, int64_t issued_at_ms,
                                 bool *revoked)
{
    fake_store_t *f = (fake_store_t *)s;
    (void)user_id;
    (void)issued_at_ms;
    f->check_calls++;
    snprintf(f->last_key, sizeof(f->last_key), "%s", jti);
    *revoked = f->check_revoked;
    return f->check_fail;
}

static void fake_close(store_t *s)
{
    ((fake_store_t *)s)->closed++;
}

static const store_ops_t fake_ops = {
    .name = "fake",
    .close = fake_close,
    .token_revoke = fake_token_revoke,
    .user_sessions_revoke = fake_user_sessions_revoke,
    .revocations_load = fake_revocations_load,
    .revocations_purge = fake_revocations_purge,
    .revocation_check = fake_revocation_check,
};

static fake_store_t fake;

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    wall_now_ms = fake_wall_ms;
    mono_now_ms = fake_mono_ms;
    core_log_level = CORE_LOG_ERROR; /* keep "kv backend ready" out of the test output */
    return 0;
}

/* A fresh fake store and backend for each test. */
static int make_kv(void **state)
{
    memset(&fake, 0, sizeof(fake));
    fake.base.ops = &fake_ops;
    fake_wall = T0;
    fake_mono = 1000;
    kv_t *kv = NULL;
    if (kv_memory_create(&fake.base, NULL, &kv) != CORE_OK)
        return -1;
    *state = kv;
    return 0;
}

static int drop_kv(void **state)
{
    kv_destroy(*state);
    return fake.closed == 1 ? 0 : -1;
}

static bool is_revoked(kv_t *kv, const char *jti, const char *user, int64_t issued_at_ms)
{
    bool revoked = false;
    assert_int_equal(kv_token_is_revoked(kv, jti, user, issued_at_ms, &revoked), CORE_OK);
    return revoked;
}

static void test_load_at_creation(void **state)
{
    kv_t *kv = *state;

    assert_int_equal(fake.load_now, T0);
    assert_true(is_revoked(kv, JTI_A, USER_A, T0));
    assert_false(is_revoked(kv, JTI_OLD, USER_A, T0));
    assert_false(is_revoked(kv, JTI_B, USER_A, T0));
    /* USER_B's sessions were revoked at T0 - 1000: older tokens only */
    assert_true(is_revoked(kv, JTI_B, USER_B, T0 - 2000));
    assert_true(is_revoked(kv, JTI_B, USER_B, T0 - 1000));
    assert_false(is_revoked(kv, JTI_B, USER_B, T0 - 999));
    /* expired entries are purged once at start-up */
    assert_int_equal(fake.purge_calls, 1);
    assert_int_equal(fake.last_purge_now, T0);
}

static void test_load_failure_closes_store(void **state)
{
    (void)state;
    fake_store_t f = {.base.ops = &fake_ops, .load_fail = CORE_E_UNAVAILABLE};
    kv_t *kv = (kv_t *)&f; /* must be overwritten */

    assert_int_equal(kv_memory_create(&f.base, NULL, &kv), CORE_E_UNAVAILABLE);
    assert_null(kv);
    assert_int_equal(f.closed, 1);
}

static void test_write_through(void **state)
{
    kv_t *kv = *state;

    assert_int_equal(kv_token_revoke(kv, JTI_B, T0 + 5000), CORE_OK);
    assert_int_equal(fake.token_calls, 1);
    assert_string_equal(fake.last_key, JTI_B);
    assert_int_equal(fake.last_time, T0 + 5000);
    assert_true(is_revoked(kv, JTI_B, USER_A, T0));

    assert_int_equal(kv_user_sessions_revoke(kv, USER_A, T0), CORE_OK);
    assert_int_equal(fake.user_calls, 1);
    assert_string_equal(fake.last_key, USER_A);
    assert_int_equal(fake.last_time, T0);
    assert_true(is_revoked(kv, "019b76da-0000-7000-8000-000000000000", USER_A, T0));
    assert_false(is_revoked(kv, "019b76da-0000-7000-8000-000000000000", USER_A, T0 + 1));
}

static void test_store_failure_leaves_memory_alone(void **state)
{
    kv_t *kv = *state;

    fake.fail = CORE_E_UNAVAILABLE;
    assert_int_equal(kv_token_revoke(kv, JTI_B, T0 + 5000), CORE_E_UNAVAILABLE);
    assert_int_equal(fake.token_calls, 1);
    assert_false(is_revoked(kv, JTI_B, USER_A, T0));
    fake.fail = CORE_E_INTERNAL;
    assert_int_equal(kv_user_sessions_revoke(kv, USER_A, T0), CORE_E_INTERNAL);
    assert_false(is_revoked(kv, JTI_B, USER_A, T0 - 1));

    fake.fail = CORE_OK;
    assert_int_equal(kv_token_revoke(kv, JTI_B, T0 + 5000), CORE_OK);
    assert_true(is_revoked(kv, JTI_B, USER_A, T0));
}

static void test_revocation_expiry_and_sweep(void **state)
{
    kv_t *kv = *state;
    kv_memory_t *m = (kv_memory_t *)kv;
    char jti[64];

    assert_int_equal(kv_token_revoke(kv, JTI_B, T0 + 1000), CORE_OK);
    fake_wall = T0 + 999;
    assert_true(is_revoked(kv, JTI_B, USER_A, T0));
    fake_wall = T0 + 1000;
    assert_false(is_revoked(kv, JTI_B, USER_A, T0));

    /* a later revocation of the same jti extends it, an earlier one does not shorten it */
    assert_int_equal(kv_token_revoke(kv, JTI_B, T0 + 9000), CORE_OK);
    assert_int_equal(kv_token_revoke(kv, JTI_B, T0 + 2000), CORE_OK);
    fake_wall = T0 + 5000;
    assert_true(is_revoked(kv, JTI_B, USER_A, T0));

    /* and the same for a user's mark */
    assert_int_equal(kv_user_sessions_revoke(kv, USER_A, T0 + 100), CORE_OK);
    assert_int_equal(kv_user_sessions_revoke(kv, USER_A, T0 + 50), CORE_OK);
    assert_true(is_revoked(kv, JTI_A, USER_A, T0 + 100));

    /* expired entries leave memory as later calls sweep the tables */
    for (int i = 0; i < 200; i++) {
        snprintf(jti, sizeof(jti), "jti-%d", i);
        assert_int_equal(kv_token_revoke(kv, jti, T0 + 6000), CORE_OK);
    }
    assert_true(m->tokens.count >= 200);
    fake_wall = T0 + AUTH_JWT_TTL_MS + 200 * 1000;
    for (int i = 0; i < 200; i++)
        is_revoked(kv, JTI_A, USER_A, T0);
    assert_int_equal(m->tokens.count, 0);
    assert_int_equal(m->users.count, 0);
}

static void test_purge_at_most_hourly(void **state)
{
    kv_t *kv = *state;

    assert_int_equal(fake.purge_calls, 1);
    fake_wall = T0 + 59 * 60 * 1000;
    is_revoked(kv, JTI_A, USER_A, T0);
    assert_int_equal(kv_token_revoke(kv, JTI_B, T0 + 5000), CORE_OK);
    assert_int_equal(fake.purge_calls, 1);
    fake_wall = T0 + 60 * 60 * 1000;
    is_revoked(kv, JTI_A, USER_A, T0);
    assert_int_equal(fake.purge_calls, 2);
    assert_int_equal(fake.last_purge_now, T0 + 60 * 60 * 1000);
    is_revoked(kv, JTI_A, USER_A, T0);
    assert_int_equal(fake.purge_calls, 2);
    /* a failing purge is not retried on every call either */
    fake.fail = CORE_E_UNAVAILABLE;
    fake_wall = T0 + 2 * 60 * 60 * 1000;
    is_revoked(kv, JTI_A, USER_A, T0);
    is_revoked(kv, JTI_A, USER_A, T0);
    assert_int_equal(fake.purge_calls, 3);
}

static void test_bad_keys(void **state)
{
    kv_t *kv = *state;
    char big[KEY_MAX + 2];
    long count;
    int64_t reset_at;
    bool revoked = false;

    memset(big, 'k', sizeof(big));
    big[KEY_MAX] = '\0';
    assert_int_equal(kv_counter_hit(kv, big, 1000, 100, 1, &count, &reset_at), CORE_OK);
    big[KEY_MAX] = 'k';
    big[KEY_MAX + 1] = '\0';
    assert_int_equal(kv_counter_hit(kv, big, 1000, 100, 1, &count, &reset_at), CORE_E_INTERNAL);
    assert_int_equal(kv_counter_undo(kv, big, 1), CORE_E_INTERNAL);
    assert_int_equal(kv_cache_set(kv, big, "v", 1, 1000), CORE_E_INTERNAL);
    assert_int_equal(kv_cache_del(kv, big), CORE_E_INTERNAL);
    assert_int_equal(kv_token_revoke(kv, big, T0), CORE_E_INTERNAL);
    assert_int_equal(kv_user_sessions_revoke(kv, big, T0), CORE_E_INTERNAL);
    assert_int_equal(kv_token_is_revoked(kv, big, USER_A, T0, &revoked), CORE_E_INTERNAL);
    assert_true(revoked); /* fails closed */
    assert_int_equal(fake.token_calls + fake.user_calls, 0);
    assert_int_equal(kv_counter_hit(kv, "", 1000, 100, 1, &count, &reset_at), CORE_E_INTERNAL);
    assert_int_equal(kv_counter_hit(kv, NULL, 1000, 100, 1, &count, &reset_at), CORE_E_INTERNAL);
    assert_int_equal(kv_counter_hit(kv, "k", 0, 100, 1, &count, &reset_at), CORE_E_INTERNAL);
    assert_int_equal(kv_counter_hit(kv, "k", 1000, 0, 1, &count, &reset_at), CORE_E_INTERNAL);
    assert_int_equal(kv_cache_set(kv, "k", NULL, 3, 1000), CORE_E_INTERNAL);
}

static void test_counter_windows(void **state)
{
    kv_t *kv = *state;
    long count = 0;
    int64_t reset_at = 0;

    assert_int_equal(kv_counter_hit(kv, "rl:api:1.2.3.4", 1000, 100, 5000, &count, &reset_at), CORE_OK);
    assert_int_equal(count, 1);
    assert_int_equal(reset_at, 6000);
    assert_int_equal(kv_counter_hit(kv, "rl:api:1.2.3.4", 1000, 100, 5999, &count, &reset_at), CORE_OK);
    assert_int_equal(count, 2);
    assert_int_equal(reset_at, 6000);
    /* another key has its own window */
    assert_int_equal(kv_counter_hit(kv, "rl:api:1.2.3.5", 1000, 100, 5500, &count, &reset_at), CORE_OK);
    assert_int_equal(count, 1);
    assert_int_equal(reset_at, 6500);
    /* the window ends at reset_at; the next hit opens a new one */
    assert_int_equal(kv_counter_hit(kv, "rl:api:1.2.3.4", 1000, 100, 6000, &count, &reset_at), CORE_OK);
    assert_int_equal(count, 1);
    assert_int_equal(reset_at, 7000);
    assert_int_equal(kv_counter_hit(kv, "rl:api:1.2.3.4", 1000, 100, 9000, &count, &reset_at), CORE_OK);
    assert_int_equal(count, 1);
    assert_int_equal(reset_at, 10000);
}

static void test_counter_undo_floor(void **state)
{
    kv_t *kv = *state;
    long count;
    int64_t reset_at;

    assert_int_equal(kv_counter_undo(kv, "never-hit", 100), CORE_OK);
    kv_counter_hit(kv, "k", 1000, 100, 100, &count, &reset_at);
    kv_counter_hit(kv, "k", 1000, 100, 100, &count, &reset_at);
    assert_int_equal(kv_counter_undo(kv, "k", 150), CORE_OK);
    kv_counter_hit(kv, "k", 1000, 100, 200, &count, &reset_at);
    assert_int_equal(count, 2);
    for (int i = 0; i < 5; i++)
        assert_int_equal(kv_counter_undo(kv, "k", 300), CORE_OK);
    kv_counter_hit(kv, "k", 1000, 100, 400, &count, &reset_at);
    assert_int_equal(count, 1);
    assert_int_equal(reset_at, 1100);
    /* an undo after the window ended does not reach into the next one */
    kv_counter_hit(kv, "k", 1000, 100, 500, &count, &reset_at);
    assert_int_equal(kv_counter_undo(kv, "k", 1100), CORE_OK);
    kv_counter_hit(kv, "k", 1000, 100, 1100, &count, &reset_at);
    kv_counter_hit(kv, "k", 1000, 100, 1150, &count, &reset_at);
    assert_int_equal(count, 2);
}

/* The memory backend behind a full counter table (counters.c has the
 * details, tests/unit/kv/test_counters.c): room comes from ended windows,
 * then from keys with hits left, never from a key at its limit. */
static void test_counter_cap(void **state)
{
    kv_t *kv = *state;
    kv_memory_t *m = (kv_memory_t *)kv;
    long count;
    int64_t reset_at;

    m->counters.max_keys = 3;
    assert_int_equal(kv_counter_hit(kv, "a", 1000, 1, 100, &count, &reset_at), CORE_OK); /* a: at its limit */
    assert_int_equal(kv_counter_hit(kv, "b", 1000, 5, 100, &count, &reset_at), CORE_OK);
    assert_int_equal(kv_counter_hit(kv, "c", 5000, 1, 100, &count, &reset_at), CORE_OK); /* c: at its limit */
    /* d makes room by forgetting b, the only key with hits left */
    assert_int_equal(kv_counter_hit(kv, "d", 1000, 1, 200, &count, &reset_at), CORE_OK);
    assert_int_equal(m->counters.table.count, 3);
    assert_int_equal(m->counters.evicted, 1);
    /* e finds only keys at their limit: refused, with when room is expected */
    assert_int_equal(kv_counter_hit(kv, "e", 1000, 5, 300, &count, &reset_at), CORE_E_UNAVAILABLE);
    assert_int_equal(reset_at, 1100);
    /* a and c are still counted: still over */
    assert_int_equal(kv_counter_hit(kv, "a", 1000, 1, 300, &count, &reset_at), CORE_OK);
    assert_int_equal(count, 2);
    assert_int_equal(kv_counter_hit(kv, "c", 5000, 1, 300, &count, &reset_at), CORE_OK);
    assert_int_equal(count, 2);
    /* once the windows of a and d are over, their room goes to new keys */
    assert_int_equal(kv_counter_hit(kv, "e", 1000, 5, 1200, &count, &reset_at), CORE_OK);
    assert_int_equal(kv_counter_hit(kv, "f", 1000, 5, 1200, &count, &reset_at), CORE_OK);
    assert_int_equal(kv_counter_hit(kv, "c", 5000, 1, 1200, &count, &reset_at), CORE_OK);
    assert_int_equal(count, 3);
}

static void test_cache_ttl_and_copies(void **state)
{
    kv_t *kv = *state;
    core_pool_t pool;
    char *value, buf[] = {'a', '\0', 'b'};
    size_t len;

    core_pool_init(&pool);
    assert_int_equal(kv_cache_get(kv, &pool, "k", &value, &len), CORE_E_NOT_FOUND);
    assert_int_equal(kv_cache_set(kv, "k", buf, sizeof(buf), 100), CORE_OK);
    buf[0] = 'z'; /* the cache holds a copy */
    fake_mono = 1099;
    assert_int_equal(kv_cache_get(kv, &pool, "k", &value, &len), CORE_OK);
    assert_int_equal(len, 3);
    assert_memory_equal(value, "a\0b", 3);
    assert_int_equal(value[3], '\0');
    value[0] = 'y'; /* and hands out copies */
    assert_int_equal(kv_cache_get(kv, &pool, "k", &value, &len), CORE_OK);
    assert_int_equal(value[0], 'a');
    fake_mono = 1100;
    assert_int_equal(kv_cache_get(kv, &pool, "k", &value, &len), CORE_E_NOT_FOUND);

    /* overwrite, delete, ttl 0, empty value */
    assert_int_equal(kv_cache_set(kv, "k", "one", 3, 1000), CORE_OK);
    assert_int_equal(kv_cache_set(kv, "k", "two!", 4, 1000), CORE_OK);
    assert_int_equal(kv_cache_get(kv, &pool, "k", &value, &len), CORE_OK);
    assert_string_equal(value, "two!");
    assert_int_equal(kv_cache_del(kv, "k"), CORE_OK);
    assert_int_equal(kv_cache_get(kv, &pool, "k", &value, &len), CORE_E_NOT_FOUND);
    assert_int_equal(kv_cache_del(kv, "k"), CORE_OK);
    assert_int_equal(kv_cache_set(kv, "k", "v", 1, 1000), CORE_OK);
    assert_int_equal(kv_cache_set(kv, "k", "w", 1, 0), CORE_OK);
    assert_int_equal(kv_cache_get(kv, &pool, "k", &value, &len), CORE_E_NOT_FOUND);
    assert_int_equal(kv_cache_set(kv, "empty", NULL, 0, 1000), CORE_OK);
    assert_int_equal(kv_cache_get(kv, &pool, "empty", &value, &len), CORE_OK);
    assert_int_equal(len, 0);
    assert_string_equal(value, "");
    core_pool_cleanup(&pool);
}

static void test_cache_bounds(void **state)
{
    kv_t *kv = *state;
    kv_memory_t *m = (kv_memory_t *)kv;
    core_pool_t pool;
    char *value, key[16];
    size_t len;

    core_pool_init(&pool);
    static char big[CACHE_MAX_VALUE + 1];
    assert_int_equal(kv_cache_set(kv, "big", big, sizeof(big), 1000), CORE_E_UNAVAILABLE);
    assert_int_equal(kv_cache_set(kv, "big", big, CACHE_MAX_VALUE, 1000), CORE_OK);
    assert_int_equal(m->cache.bytes, CACHE_MAX_VALUE + 3);
    assert_int_equal(kv_cache_del(kv, "big"), CORE_OK);
    assert_int_equal(m->cache.bytes, 0);

    m->cache.max_keys = 4;
    m->cache.max_bytes = 100;
    for (int i = 0; i < 50; i++) {
        snprintf(key, sizeof(key), "key%02d", i); /* 5 bytes + 10 of value */
        assert_int_equal(kv_cache_set(kv, key, "0123456789", 10, 1000), CORE_OK);
        assert_true(m->cache.table.count <= 4);
        assert_true(m->cache.bytes <= 100);
        assert_int_equal(kv_cache_get(kv, &pool, key, &value, &len), CORE_OK); /* the newest always fits */
    }
    assert_int_equal(m->cache.bytes, m->cache.table.count * 15);
    for (int i = 0; i < 7; i++) {
        snprintf(key, sizeof(key), "key%02d", i);
        assert_int_equal(kv_cache_set(kv, key, "0123456789012345678901234567890123456789", 40, 1000),
                         CORE_OK);
        assert_true(m->cache.bytes <= 100);
    }
    assert_int_equal(kv_cache_set(kv, "k", big, 100, 1000), CORE_E_UNAVAILABLE);
    core_pool_cleanup(&pool);
}

#define THREADS 4
#define HITS 10000

static void *hammer(void *arg)
{
    kv_t *kv = arg;
    long count, last = 0;
    int64_t reset_at;
    for (int i = 0; i < HITS; i++) {
        if (kv_counter_hit(kv, "shared", 60000, 100, 5000, &count, &reset_at) != CORE_OK || count <= last)
            return (void *)1;
        last = count;
        char jti[32];
        snprintf(jti, sizeof(jti), "t%p-%d", (void *)&last, i % 50);
        bool revoked;
        if (i % 100 == 0 && (kv_token_revoke(kv, jti, T0 + 1000) != CORE_OK ||
                             kv_token_is_revoked(kv, jti, USER_A, T0, &revoked) != CORE_OK || !revoked))
            return (void *)1;
    }
    return NULL;
}

static void test_threads_exact_count(void **state)
{
    kv_t *kv = *state;
    pthread_t threads[THREADS];
    void *ret;
    long count;
    int64_t reset_at;

    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, hammer, kv), 0);
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(threads[i], &ret), 0);
        assert_null(ret);
    }
    assert_int_equal(kv_counter_hit(kv, "shared", 60000, 100, 5000, &count, &reset_at), CORE_OK);
    assert_int_equal(count, THREADS * HITS + 1);
    assert_int_equal(reset_at, 65000);
    /* the fake store is not thread-safe: exact call counts show the kv serialized it */
    assert_int_equal(fake.token_calls, THREADS * HITS / 100);
}

static void test_without_durable_store(void **state)
{
    (void)state;
    kv_t *kv;
    assert_int_equal(kv_memory_create(NULL, NULL, &kv), CORE_OK);
    assert_int_equal(kv_token_revoke(kv, JTI_A, T0 + 1000), CORE_OK);
    assert_true(is_revoked(kv, JTI_A, USER_A, T0));
    kv_destroy(kv);
}

/* Another process registered beside the same database file: nothing is
 * cached any more, and a token memory does not know is asked of the store. */
static void test_shared_database(void **state)
{
    char dir[] = "/tmp/lsf-kv-XXXXXX", db[64], file[96];
    core_pool_t pool;
    char *value;
    size_t len;
    bool revoked;
    kv_t *kv;

    (void)state;
    memset(&fake, 0, sizeof(fake));
    fake.base.ops = &fake_ops;
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof(db), "%s/lsf.db", dir);
    core_pool_init(&pool);
    assert_int_equal(kv_memory_create(&fake.base, db, &kv), CORE_OK);

    assert_int_equal(kv_cache_set(kv, "stats:u", "{}", 2, 60000), CORE_OK);
    assert_int_equal(kv_cache_get(kv, &pool, "stats:u", &value, &len), CORE_OK);
    assert_false(is_revoked(kv, JTI_B, USER_A, T0));
    assert_int_equal(fake.check_calls, 0); /* alone: memory is the whole truth */

    child_t peer = peer_start(db, true);
    assert_int_equal(kv_cache_get(kv, &pool, "stats:u", &value, &len), CORE_E_UNAVAILABLE);
    assert_int_equal(kv_cache_set(kv, "stats:u", "{}", 2, 60000), CORE_E_UNAVAILABLE);
    fake.check_revoked = true; /* revoked by the other process */
    assert_true(is_revoked(kv, JTI_B, USER_A, T0));
    assert_int_equal(fake.check_calls, 1);
    assert_string_equal(fake.last_key, JTI_B);
    fake.check_revoked = false;
    assert_false(is_revoked(kv, JTI_B, USER_A, T0));
    assert_true(is_revoked(kv, JTI_A, USER_A, T0)); /* known here: no need to ask */
    assert_int_equal(fake.check_calls, 2);
    fake.check_fail = CORE_E_UNAVAILABLE; /* the database cannot say: refused, and the caller knows why */
    revoked = false;
    assert_int_equal(kv_token_is_revoked(kv, JTI_B, USER_A, T0, &revoked), CORE_E_UNAVAILABLE);
    assert_true(revoked);
    peer_stop(peer);

    kv_destroy(kv);
    core_pool_cleanup(&pool);
    snprintf(file, sizeof(file), "%s.instances", db);
    assert_int_equal(unlink(file), 0);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_at_creation, make_kv, drop_kv),
        cmocka_unit_test(test_load_failure_closes_store),
        cmocka_unit_test_setup_teardown(test_write_through, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_store_failure_leaves_memory_alone, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_revocation_expiry_and_sweep, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_purge_at_most_hourly, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_bad_keys, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_counter_windows, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_counter_undo_floor, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_counter_cap, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_cache_ttl_and_copies, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_cache_bounds, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_threads_exact_count, make_kv, drop_kv),
        cmocka_unit_test(test_without_durable_store),
        cmocka_unit_test(test_shared_database),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
