/*
 * Unit tests for src/api/effects.c, the write hook between the store and kv
 * (the assertions tests/unit/kv/test_memory.c made of the durable store the
 * in-process backend used to own): the database's revocations loaded into
 * kv, a revocation written to the store first and then to kv, a store
 * failure leaving kv alone, the hourly purge, and the token check asking the
 * store when kv cannot tell. A fake store_t records the calls and can be
 * made to fail; kv is the real in-process backend. Writes of tasks and of
 * the account give the user's cached answers a new generation, and mark the
 * user for read-your-writes only when the store reads from replicas.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "api/effects.c"
#include "kv/peer_process.h"

/* The hook's clock is replaced; kv's (memory.c) is the real one, so times
 * start from now. */
static int64_t T0;
#define JTI_A "019b76da-a87b-7fed-92ba-d980333ca82a"
#define JTI_B "019b76da-a87b-7fed-92ba-d980333ca82b"
#define JTI_OLD "019b76da-a87b-7fed-92ba-d980333ca82c"
#define USER_A "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c9d"
#define USER_B "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c9e"

static int64_t fake_wall;

static int64_t fake_wall_ms(void)
{
    return fake_wall;
}

/* ---- a store that keeps only what the hook and the check use ---- */

typedef struct fake_store {
    store_t base;
    int fail;       /* what revoke and task calls return */
    int purge_fail; /* what revocations_purge returns */
    int load_fail;  /* what revocations_load returns */
    int closed, token_calls, user_calls, purge_calls, check_calls, task_calls;
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
    return f->purge_fail;
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

static int fake_task_delete(store_t *s, const char *user_id, const char *id)
{
    fake_store_t *f = (fake_store_t *)s;
    (void)user_id;
    (void)id;
    f->task_calls++;
    return f->fail;
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
    .task_delete = fake_task_delete,
};

/* The source session (owned by the hook) and the writer's session. */
static fake_store_t source, writer;
static api_effects_t effects;
static core_config_t cfg;

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    wall_now_ms = fake_wall_ms;
    T0 = core_clock_now_ms();
    core_log_level = CORE_LOG_ERROR;
    return 0;
}

/* A fresh fake store, memory kv and hook, installed, for each test. */
static int make_env(void **state)
{
    kv_t *kv = NULL;

    memset(&source, 0, sizeof(source));
    memset(&writer, 0, sizeof(writer));
    source.base.ops = writer.base.ops = &fake_ops;
    fake_wall = T0;
    cfg = (core_config_t){.cache_user_ttl_ms = 60000, .cache_stats_ttl_ms = 60000};
    api_effects_init(&effects, &cfg, &source.base);
    if (kv_memory_create(NULL, &kv) != CORE_OK)
        return -1;
    store_hooks_set(api_effects_attach(&effects, kv));
    if (api_effects_load_revocations(&effects) != CORE_OK)
        return -1;
    *state = kv;
    return 0;
}

static int drop_env(void **state)
{
    store_hooks_set(NULL);
    kv_destroy(*state);
    api_effects_cleanup(&effects);
    return source.closed == 1 ? 0 : -1;
}

/* The check of the access phase, with the writer's session as the store. */
static bool is_revoked(kv_t *kv, const char *jti, const char *user, int64_t issued_at_ms)
{
    auth_claims_t c = {.issued_at_ms = issued_at_ms};
    bool revoked = false;

    snprintf(c.jti, sizeof(c.jti), "%s", jti);
    snprintf(c.user_id, sizeof(c.user_id), "%s", user);
    assert_int_equal(api_token_revoked(kv, &writer.base, &c, &revoked), CORE_OK);
    return revoked;
}

static void test_load_at_start(void **state)
{
    kv_t *kv = *state;

    assert_int_equal(source.load_now, T0);
    assert_true(is_revoked(kv, JTI_A, USER_A, T0));
    assert_false(is_revoked(kv, JTI_OLD, USER_A, T0));
    assert_false(is_revoked(kv, JTI_B, USER_A, T0));
    /* USER_B's sessions were revoked at T0 - 1000: older tokens only */
    assert_true(is_revoked(kv, JTI_B, USER_B, T0 - 2000));
    assert_true(is_revoked(kv, JTI_B, USER_B, T0 - 1000));
    assert_false(is_revoked(kv, JTI_B, USER_B, T0 - 999));
    /* expired entries are purged once at start-up */
    assert_int_equal(source.purge_calls, 1);
    assert_int_equal(source.last_purge_now, T0);
    assert_int_equal(writer.check_calls, 0); /* memory knew every answer */
}

static void test_load_failure(void **state)
{
    (void)state;
    fake_store_t f = {.base.ops = &fake_ops, .load_fail = CORE_E_UNAVAILABLE};
    api_effects_t e;
    kv_t *kv = NULL;

    core_log_level = CORE_LOG_ERROR + 1; /* the failure is logged */
    api_effects_init(&e, &cfg, &f.base);
    assert_int_equal(kv_memory_create(NULL, &kv), CORE_OK);
    api_effects_attach(&e, kv);
    assert_int_equal(api_effects_load_revocations(&e), CORE_E_UNAVAILABLE);
    core_log_level = CORE_LOG_ERROR;
    kv_destroy(kv);
    api_effects_cleanup(&e);
    assert_int_equal(f.closed, 1); /* the hook owned the session */
}

static void test_write_through(void **state)
{
    kv_t *kv = *state;

    assert_int_equal(store_token_revoke(&writer.base, JTI_B, T0 + 5000), CORE_OK);
    assert_int_equal(writer.token_calls, 1);
    assert_string_equal(writer.last_key, JTI_B);
    assert_int_equal(writer.last_time, T0 + 5000);
    assert_true(is_revoked(kv, JTI_B, USER_A, T0));

    assert_int_equal(store_user_sessions_revoke(&writer.base, USER_A, T0), CORE_OK);
    assert_int_equal(writer.user_calls, 1);
    assert_string_equal(writer.last_key, USER_A);
    assert_int_equal(writer.last_time, T0);
    assert_true(is_revoked(kv, "019b76da-0000-7000-8000-000000000000", USER_A, T0));
    assert_false(is_revoked(kv, "019b76da-0000-7000-8000-000000000000", USER_A, T0 + 1));
}

static void test_store_failure_leaves_kv_alone(void **state)
{
    kv_t *kv = *state;

    writer.fail = CORE_E_UNAVAILABLE;
    assert_int_equal(store_token_revoke(&writer.base, JTI_B, T0 + 5000), CORE_E_UNAVAILABLE);
    assert_int_equal(writer.token_calls, 1);
    assert_false(is_revoked(kv, JTI_B, USER_A, T0));
    writer.fail = CORE_E_INTERNAL;
    assert_int_equal(store_user_sessions_revoke(&writer.base, USER_A, T0), CORE_E_INTERNAL);
    assert_false(is_revoked(kv, JTI_B, USER_A, T0 - 1));

    writer.fail = CORE_OK;
    assert_int_equal(store_token_revoke(&writer.base, JTI_B, T0 + 5000), CORE_OK);
    assert_true(is_revoked(kv, JTI_B, USER_A, T0));
}

/* The purge rides on revocations, through the session that wrote them. */
static void test_purge_at_most_hourly(void **state)
{
    (void)state;
    assert_int_equal(source.purge_calls, 1);
    fake_wall = T0 + 59 * 60 * 1000;
    assert_int_equal(store_token_revoke(&writer.base, JTI_B, T0 + 5000), CORE_OK);
    assert_int_equal(writer.purge_calls, 0);
    fake_wall = T0 + 60 * 60 * 1000;
    assert_int_equal(store_user_sessions_revoke(&writer.base, USER_A, T0), CORE_OK);
    assert_int_equal(writer.purge_calls, 1);
    assert_int_equal(writer.last_purge_now, T0 + 60 * 60 * 1000);
    assert_int_equal(store_token_revoke(&writer.base, JTI_B, T0 + 5000), CORE_OK);
    assert_int_equal(writer.purge_calls, 1);
    /* a revocation that failed wrote nothing: no purge rides on it */
    fake_wall = T0 + 2 * 60 * 60 * 1000;
    writer.fail = CORE_E_UNAVAILABLE;
    assert_int_equal(store_token_revoke(&writer.base, JTI_B, T0 + 5000), CORE_E_UNAVAILABLE);
    assert_int_equal(writer.purge_calls, 1);
    /* a failing purge is not retried on every write either */
    writer.fail = CORE_OK;
    writer.purge_fail = CORE_E_UNAVAILABLE;
    core_log_level = CORE_LOG_ERROR; /* its warning stays out of the output */
    assert_int_equal(store_token_revoke(&writer.base, JTI_B, T0 + 5000), CORE_OK);
    assert_int_equal(store_token_revoke(&writer.base, JTI_B, T0 + 5000), CORE_OK);
    assert_int_equal(writer.purge_calls, 2);
}

/* A write of tasks gives the stats a new generation, and marks the user for
 * read-your-writes only when the store reads from replicas. */
static void test_task_write_effects(void **state)
{
    kv_t *kv = *state;
    core_pool_t pool;
    char *before, *after;
    size_t len;

    core_pool_init(&pool);
    assert_int_equal(store_task_delete(&writer.base, USER_A, "t"), CORE_OK);
    assert_int_equal(kv_cache_get(kv, &pool, "gen:stats:" USER_A, &before, &len), CORE_OK);
    assert_int_equal(store_task_delete(&writer.base, USER_A, "t"), CORE_OK);
    assert_int_equal(kv_cache_get(kv, &pool, "gen:stats:" USER_A, &after, &len), CORE_OK);
    assert_string_not_equal(before, after);
    writer.fail = CORE_E_NOT_FOUND; /* nothing written: the generation stays */
    assert_int_equal(store_task_delete(&writer.base, USER_A, "t"), CORE_E_NOT_FOUND);
    assert_int_equal(kv_cache_get(kv, &pool, "gen:stats:" USER_A, &before, &len), CORE_OK);
    assert_string_equal(before, after);
    assert_int_equal(writer.task_calls, 3);
    /* no user-profile generation for a task write */
    assert_int_equal(kv_cache_get(kv, &pool, "gen:user:" USER_A, &before, &len), CORE_E_NOT_FOUND);
    core_pool_cleanup(&pool);
}

/* Another process registered beside the same SQLite file: kv cannot tell
 * about a token it does not hold, and the database is asked. */
static void test_shared_database_asks_store(void **state)
{
    char dir[] = "/tmp/lsf-fx-XXXXXX", db[64], file[96];
    auth_claims_t c = {.issued_at_ms = T0};
    bool revoked;
    kv_t *kv;

    (void)state;
    assert_non_null(mkdtemp(dir));
    snprintf(db, sizeof(db), "%s/lsf.db", dir);
    assert_int_equal(kv_memory_create(db, &kv), CORE_OK);
    assert_int_equal(kv_token_revoke(kv, JTI_A, T0 + 1000), CORE_OK);
    assert_false(is_revoked(kv, JTI_B, USER_A, T0));
    assert_int_equal(writer.check_calls, 0); /* alone: memory is the whole truth */

    child_t peer = peer_start(db, true);
    writer.check_revoked = true; /* revoked by the other process */
    assert_true(is_revoked(kv, JTI_B, USER_A, T0));
    assert_int_equal(writer.check_calls, 1);
    assert_string_equal(writer.last_key, JTI_B);
    writer.check_revoked = false;
    assert_false(is_revoked(kv, JTI_B, USER_A, T0));
    assert_true(is_revoked(kv, JTI_A, USER_A, T0)); /* known here: no need to ask */
    assert_int_equal(writer.check_calls, 2);
    writer.check_fail = CORE_E_UNAVAILABLE; /* the database cannot say: refused, and the caller knows why */
    revoked = false;
    snprintf(c.jti, sizeof(c.jti), "%s", JTI_B);
    snprintf(c.user_id, sizeof(c.user_id), "%s", USER_A);
    assert_int_equal(api_token_revoked(kv, &writer.base, &c, &revoked), CORE_E_UNAVAILABLE);
    assert_true(revoked);
    peer_stop(peer);

    kv_destroy(kv);
    snprintf(file, sizeof(file), "%s.instances", db);
    assert_int_equal(unlink(file), 0);
    assert_int_equal(rmdir(dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_load_at_start, make_env, drop_env),
        cmocka_unit_test(test_load_failure),
        cmocka_unit_test_setup_teardown(test_write_through, make_env, drop_env),
        cmocka_unit_test_setup_teardown(test_store_failure_leaves_kv_alone, make_env, drop_env),
        cmocka_unit_test_setup_teardown(test_purge_at_most_hourly, make_env, drop_env),
        cmocka_unit_test_setup_teardown(test_task_write_effects, make_env, drop_env),
        cmocka_unit_test_setup_teardown(test_shared_database_asks_store, make_env, drop_env),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
