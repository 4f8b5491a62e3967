/*
 * Unit tests for src/kv/memory.c (with counters.c, cache.c and table.c
 * behind it). The file includes memory.c to replace its clocks and to read
 * its tables. Revocations live in memory only (the database's side, loading,
 * write-through and the purge, is tests/unit/api/test_effects.c). Counters
 * are driven with explicit times; a threaded test checks the count is exact
 * under contention.
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

/* A fresh backend for each test. */
static int make_kv(void **state)
{
    fake_wall = T0;
    fake_mono = 1000;
    kv_t *kv = NULL;
    if (kv_memory_create(NULL, &kv) != CORE_OK)
        return -1;
    *state = kv;
    return 0;
}

static int drop_kv(void **state)
{
    kv_destroy(*state);
    return 0;
}

static bool is_revoked(kv_t *kv, const char *jti, const char *user, int64_t issued_at_ms)
{
    bool revoked = false;
    assert_int_equal(kv_token_is_revoked(kv, jti, user, issued_at_ms, &revoked), CORE_OK);
    return revoked;
}

static void test_revoke(void **state)
{
    kv_t *kv = *state;

    assert_false(is_revoked(kv, JTI_B, USER_A, T0));
    assert_int_equal(kv_token_revoke(kv, JTI_B, T0 + 5000), CORE_OK);
    assert_true(is_revoked(kv, JTI_B, USER_A, T0));
    assert_false(is_revoked(kv, JTI_A, USER_A, T0));

    assert_int_equal(kv_user_sessions_revoke(kv, USER_A, T0), CORE_OK);
    assert_true(is_revoked(kv, "019b76da-0000-7000-8000-000000000000", USER_A, T0));
    assert_false(is_revoked(kv, "019b76da-0000-7000-8000-000000000000", USER_A, T0 + 1));
    assert_false(is_revoked(kv, "019b76da-0000-7000-8000-000000000000", USER_B, T0));
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
}

/* Another process registered beside the same database file: nothing is
 * cached any more, and a token memory does not know cannot be told
 * (CORE_E_UNAVAILABLE: the caller asks the database). */
static void test_shared_database(void **state)
{
    char dir[] = "/tmp/lsf-kv-XXXXXX", db[64], file[96];
    core_pool_t pool;
    char *value;
    size_t len;
    bool revoked;
    kv_t *kv;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof(db), "%s/lsf.db", dir);
    core_pool_init(&pool);
    assert_int_equal(kv_memory_create(db, &kv), CORE_OK);

    assert_int_equal(kv_cache_set(kv, "stats:u", "{}", 2, 60000), CORE_OK);
    assert_int_equal(kv_cache_get(kv, &pool, "stats:u", &value, &len), CORE_OK);
    assert_int_equal(kv_token_revoke(kv, JTI_A, T0 + 1000), CORE_OK);
    assert_false(is_revoked(kv, JTI_B, USER_A, T0)); /* alone: memory is the whole truth */

    child_t peer = peer_start(db, true);
    assert_int_equal(kv_cache_get(kv, &pool, "stats:u", &value, &len), CORE_E_UNAVAILABLE);
    assert_int_equal(kv_cache_set(kv, "stats:u", "{}", 2, 60000), CORE_E_UNAVAILABLE);
    revoked = false;
    assert_int_equal(kv_token_is_revoked(kv, JTI_B, USER_A, T0, &revoked), CORE_E_UNAVAILABLE);
    assert_true(revoked); /* may have been revoked by the other process: the caller asks the database */
    assert_true(is_revoked(kv, JTI_A, USER_A, T0)); /* known here: no need to ask */
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
        cmocka_unit_test_setup_teardown(test_revoke, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_revocation_expiry_and_sweep, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_bad_keys, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_counter_windows, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_counter_undo_floor, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_counter_cap, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_cache_ttl_and_copies, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_cache_bounds, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_threads_exact_count, make_kv, drop_kv),
        cmocka_unit_test(test_shared_database),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
