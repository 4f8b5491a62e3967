/*
 * Unit tests for src/kv/redis.c (with redis_sync.c and redis_pool.c behind it), against a
 * throwaway redis-server this file starts on a free loopback port (no
 * persistence) and stops at the end; every test is skipped, saying so, when
 * redis-server is not installed (in CI, ci.h, the run fails). The file includes redis.c to read its
 * state. A fake kv_source_t serves a fixed set of revocations to load (the
 * database's; writing them there first is the store's write hook, tested in
 * tests/unit/api/test_effects.c). A check Redis cannot answer is
 * CORE_E_UNAVAILABLE, for the caller to ask the database. Outages are made
 * by stopping the server (data lost, like a restart without persistence) or
 * by pausing it with CLIENT PAUSE (data kept, commands time out).
 */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "ci.h"
#include "kv/redis.c"

#define JTI_A "019b76da-a87b-7fed-92ba-d980333ca82a"
#define JTI_B "019b76da-a87b-7fed-92ba-d980333ca82b"
#define JTI_C "019b76da-a87b-7fed-92ba-d980333ca82c"
#define USER_A "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c9d"
#define USER_B "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c9e"
#define HOUR_MS (3600 * 1000LL)

static pid_t redis_pid = -1;
static int redis_port;
static bool have_redis;
static char redis_url[64];

/* ---- the throwaway redis-server ---- */

static int free_port(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static redisContext *admin_connect(void)
{
    struct timeval tv = {.tv_sec = 1};
    redisContext *c = redisConnectWithTimeout("127.0.0.1", redis_port, tv);
    if (c != NULL && c->err != 0) {
        redisFree(c);
        c = NULL;
    }
    return c;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0)
        ;
}

static bool redis_start(void)
{
    char port[16];

    snprintf(port, sizeof(port), "%d", redis_port);
    redis_pid = fork();
    if (redis_pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        execlp("redis-server", "redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly",
               "no", (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100 && redis_pid > 0; i++) {
        redisContext *c = admin_connect();
        if (c != NULL) {
            redisFree(c);
            return true;
        }
        if (waitpid(redis_pid, NULL, WNOHANG) == redis_pid) {
            redis_pid = -1;
            break;
        }
        sleep_ms(50);
    }
    return false;
}

static void redis_stop(void)
{
    if (redis_pid > 0) {
        kill(redis_pid, SIGTERM);
        waitpid(redis_pid, NULL, 0);
        redis_pid = -1;
    }
}

/* One admin command whose reply is an integer (or -1). */
static long long admin_int(const char *cmd, const char *key)
{
    redisContext *c = admin_connect();
    long long v = -1;
    assert_non_null(c);
    redisReply *r = redisCommand(c, "%s %s", cmd, key);
    if (r != NULL && r->type == REDIS_REPLY_INTEGER)
        v = r->integer;
    freeReplyObject(r);
    redisFree(c);
    return v;
}

static void admin_run(const char *cmd)
{
    redisContext *c = admin_connect();
    assert_non_null(c);
    redisReply *r = redisCommand(c, cmd);
    assert_non_null(r);
    freeReplyObject(r);
    redisFree(c);
}

/* ---- the database's revocations, as the source gives them ---- */

typedef struct fake_source {
    kv_source_t base;
    int load_calls;
    char loaded_jti[64]; /* a token revoked in the database, which load returns too */
    int64_t loaded_exp;
} fake_source_t;

static fake_source_t fake;

/* JTI_A for an hour, USER_B's sessions up to now - 1 s, and loaded_jti. */
static int fake_revocations_load(void *ctx, int64_t now, kv_token_revocation_cb token_cb,
                                 kv_user_revocation_cb user_cb, void *cb_ctx)
{
    fake_source_t *f = ctx;
    f->load_calls++;
    token_cb(cb_ctx, JTI_A, now + HOUR_MS);
    if (f->loaded_jti[0] != '\0' && f->loaded_exp > now)
        token_cb(cb_ctx, f->loaded_jti, f->loaded_exp);
    user_cb(cb_ctx, USER_B, now - 1000);
    return CORE_OK;
}

/* What the write hook does: the database first, then kv. */
static int db_revoke(kv_t *kv, const char *jti, int64_t expires_at)
{
    snprintf(fake.loaded_jti, sizeof(fake.loaded_jti), "%s", jti);
    fake.loaded_exp = expires_at;
    return kv_token_revoke(kv, jti, expires_at);
}

static kv_t *create(int policy)
{
    core_config_t cfg = {.redis_url = redis_url, .redis_down_rate_limit = policy};
    kv_t *kv = NULL;
    assert_int_equal(kv_redis_create(&cfg, &fake.base, &kv), CORE_OK);
    assert_non_null(kv);
    return kv;
}

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    core_log_level = CORE_LOG_ERROR;
    redis_port = free_port();
    snprintf(redis_url, sizeof(redis_url), "redis://127.0.0.1:%d", redis_port);
    have_redis = redis_port > 0 && redis_start();
    if (!have_redis && unit_in_ci()) {
        fprintf(stderr, "test_redis: CI=true: redis-server not found or not starting (apt install redis-server)\n");
        return -1;
    }
    if (!have_redis)
        fprintf(stderr, "test_redis: SKIPPED, redis-server not found or not starting (apt install redis-server)\n");
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    redis_stop();
    return 0;
}

/* A fresh Redis, fake source and backend for each test. */
static int make_kv(void **state)
{
    memset(&fake, 0, sizeof(fake));
    fake.base = (kv_source_t){.ctx = &fake, .revocations_load = fake_revocations_load};
    *state = NULL;
    if (!have_redis)
        return 0;
    if (redis_pid < 0 && !redis_start())
        return -1;
    admin_run("FLUSHALL");
    *state = create(0);
    return 0;
}

static int drop_kv(void **state)
{
    kv_destroy(*state);
    return 0;
}

#define NEED_REDIS()                                                                                                \
    do {                                                                                                            \
        if (!have_redis)                                                                                            \
            skip();                                                                                                 \
    } while (0)

static bool is_revoked(kv_t *kv, const char *jti, const char *user, int64_t issued_at_ms)
{
    bool revoked = false;
    assert_int_equal(kv_token_is_revoked(kv, jti, user, issued_at_ms, &revoked), CORE_OK);
    return revoked;
}

/* Redis cannot answer: the caller must ask the database. */
static void cannot_tell(kv_t *kv, const char *jti, const char *user, int64_t issued_at_ms)
{
    bool revoked = false;
    assert_int_equal(kv_token_is_revoked(kv, jti, user, issued_at_ms, &revoked), CORE_E_UNAVAILABLE);
    assert_true(revoked);
}

/* ---- tests ---- */

static void test_url_parsing(void **state)
{
    (void)state;
    kv__redis_pool_t p;

    core_log_level = CORE_LOG_ERROR + 1; /* the refusals below are logged */
    assert_int_equal(kv__redis_pool_init(&p, "redis://u:secret@cache.local:6380/3"), CORE_OK);
    assert_string_equal(p.host, "cache.local");
    assert_int_equal(p.port, 6380);
    assert_int_equal(p.db, 3);
    assert_string_equal(p.user, "u");
    assert_string_equal(p.password, "secret");
    kv__redis_pool_cleanup(&p);

    assert_int_equal(kv__redis_pool_init(&p, "redis://:pw@[::1]"), CORE_OK);
    assert_string_equal(p.host, "::1");
    assert_int_equal(p.port, 6379);
    assert_null(p.user);
    assert_string_equal(p.password, "pw");
    kv__redis_pool_cleanup(&p);

    const char *bad[] = {"rediss://h:1", "redis://", "redis://h:port", "redis://h:70000", "redis://h/x",
                         "redis://[::1", "http://h"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(kv__redis_pool_init(&p, bad[i]), CORE_E_INTERNAL);
        kv__redis_pool_cleanup(&p);
    }
    core_log_level = CORE_LOG_ERROR;
}

static void test_sync_at_creation(void **state)
{
    NEED_REDIS();
    kv_t *kv = *state;
    int64_t now = core_clock_now_ms();

    assert_int_equal(fake.load_calls, 1);
    assert_int_equal(admin_int("EXISTS", SYNC_MARKER), 1);
    long long pttl = admin_int("PTTL", P_TOKEN JTI_A);
    assert_true(pttl > HOUR_MS - 5000 && pttl <= HOUR_MS);
    assert_true(is_revoked(kv, JTI_A, USER_A, now));
    assert_false(is_revoked(kv, JTI_B, USER_A, now));
    assert_true(is_revoked(kv, JTI_B, USER_B, now - 1000 - 500));
    assert_false(is_revoked(kv, JTI_B, USER_B, now + 1000)); /* Redis answered every check */
}

static void test_write_through(void **state)
{
    NEED_REDIS();
    kv_t *kv = *state;
    int64_t now = core_clock_now_ms();

    assert_int_equal(db_revoke(kv, JTI_B, now + 60000), CORE_OK);
    long long pttl = admin_int("PTTL", P_TOKEN JTI_B);
    assert_true(pttl > 55000 && pttl <= 60000); /* the token's remaining life */
    assert_true(is_revoked(kv, JTI_B, USER_A, now));

    /* an already expired token stays in the database only */
    assert_int_equal(db_revoke(kv, JTI_C, now - 1), CORE_OK);
    assert_int_equal(admin_int("EXISTS", P_TOKEN JTI_C), 0);

    assert_int_equal(kv_user_sessions_revoke(kv, USER_A, now), CORE_OK);
    assert_true(is_revoked(kv, JTI_C, USER_A, now));
    assert_false(is_revoked(kv, JTI_C, USER_A, now + 1));
    /* an older mark never lowers a newer one */
    assert_int_equal(kv_user_sessions_revoke(kv, USER_A, now - 5000), CORE_OK);
    assert_true(is_revoked(kv, JTI_C, USER_A, now));
}

static void test_bad_keys(void **state)
{
    NEED_REDIS();
    kv_t *kv = *state;
    char long_key[KV_KEY_MAX + 2], *value;
    size_t len;
    long count;
    int64_t reset_at;
    bool revoked = false;
    core_pool_t pool;

    memset(long_key, 'k', sizeof(long_key) - 1);
    long_key[sizeof(long_key) - 1] = '\0';
    core_pool_init(&pool);
    assert_int_equal(kv_token_revoke(kv, NULL, 1), CORE_E_INTERNAL);
    assert_int_equal(kv_user_sessions_revoke(kv, "", 1), CORE_E_INTERNAL);
    assert_int_equal(kv_token_is_revoked(kv, long_key, USER_A, 1, &revoked), CORE_E_INTERNAL);
    assert_true(revoked);
    assert_int_equal(kv_counter_hit(kv, "", 1000, 100, 1, &count, &reset_at), CORE_E_INTERNAL);
    assert_int_equal(kv_counter_hit(kv, "k", 0, 100, 1, &count, &reset_at), CORE_E_INTERNAL);
    assert_int_equal(kv_counter_hit(kv, "k", 1000, 0, 1, &count, &reset_at), CORE_E_INTERNAL);
    assert_int_equal(kv_counter_undo(kv, long_key, 1), CORE_E_INTERNAL);
    assert_int_equal(kv_cache_get(kv, &pool, NULL, &value, &len), CORE_E_INTERNAL);
    assert_int_equal(kv_cache_set(kv, long_key, "v", 1, 1000), CORE_E_INTERNAL);
    assert_int_equal(kv_cache_del(kv, ""), CORE_E_INTERNAL);
    long_key[KV_KEY_MAX] = '\0'; /* exactly KV_KEY_MAX bytes is fine */
    assert_int_equal(kv_cache_set(kv, long_key, "v", 1, 1000), CORE_OK);
    core_pool_cleanup(&pool);
}

static void test_counter_window_and_undo(void **state)
{
    NEED_REDIS();
    kv_t *kv = *state;
    long count;
    int64_t reset_at;

    for (long i = 1; i <= 3; i++) {
        assert_int_equal(kv_counter_hit(kv, "rl:a", 60000, 100, 1000, &count, &reset_at), CORE_OK);
        assert_int_equal(count, i);
        assert_true(reset_at > 1000 + 55000 && reset_at <= 1000 + 60000);
    }
    assert_int_equal(kv_counter_undo(kv, "rl:a", 1000), CORE_OK);
    assert_int_equal(kv_counter_hit(kv, "rl:a", 60000, 100, 1000, &count, &reset_at), CORE_OK);
    assert_int_equal(count, 3);

    /* never below 0, and undo on a missing key creates nothing */
    for (int i = 0; i < 5; i++)
        assert_int_equal(kv_counter_undo(kv, "rl:a", 1000), CORE_OK);
    assert_int_equal(kv_counter_undo(kv, "rl:none", 1000), CORE_OK);
    assert_int_equal(admin_int("EXISTS", P_COUNTER "rl:none"), 0);
    assert_int_equal(kv_counter_hit(kv, "rl:a", 60000, 100, 1000, &count, &reset_at), CORE_OK);
    assert_int_equal(count, 1);

    /* the window starts at the first hit and a new one opens after it */
    assert_int_equal(kv_counter_hit(kv, "rl:short", 150, 100, 1000, &count, &reset_at), CORE_OK);
    assert_int_equal(count, 1);
    sleep_ms(60);
    assert_int_equal(kv_counter_hit(kv, "rl:short", 150, 100, 1000, &count, &reset_at), CORE_OK);
    assert_int_equal(count, 2);
    assert_true(reset_at <= 1000 + 100); /* not pushed back by the second hit */
    sleep_ms(150);
    assert_int_equal(kv_counter_hit(kv, "rl:short", 150, 100, 1000, &count, &reset_at), CORE_OK);
    assert_int_equal(count, 1);
}

#define THREADS 4
#define HITS 200

static void *hammer(void *arg)
{
    long count;
    int64_t reset_at;
    for (int i = 0; i < HITS; i++)
        if (kv_counter_hit(arg, "rl:shared", 60000, 100, 1000, &count, &reset_at) != CORE_OK)
            return arg;
    return NULL;
}

static void test_counters_shared_and_atomic(void **state)
{
    NEED_REDIS();
    kv_t *kv = *state, *other = create(0);
    pthread_t threads[THREADS];
    long count;
    int64_t reset_at;

    for (int i = 0; i < THREADS; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, hammer, i % 2 ? other : kv), 0);
    for (int i = 0; i < THREADS; i++) {
        void *ret;
        assert_int_equal(pthread_join(threads[i], &ret), 0);
        assert_null(ret);
    }
    assert_int_equal(kv_counter_hit(other, "rl:shared", 60000, 100, 1000, &count, &reset_at), CORE_OK);
    assert_int_equal(count, THREADS * HITS + 1);
    kv_destroy(other);
}

static void test_cache(void **state)
{
    NEED_REDIS();
    kv_t *kv = *state;
    core_pool_t pool;
    char *value;
    size_t len;

    core_pool_init(&pool);
    assert_int_equal(kv_cache_get(kv, &pool, "c1", &value, &len), CORE_E_NOT_FOUND);
    assert_int_equal(kv_cache_set(kv, "c1", "a\0b", 3, 60000), CORE_OK);
    assert_int_equal(kv_cache_get(kv, &pool, "c1", &value, &len), CORE_OK);
    assert_int_equal(len, 3);
    assert_memory_equal(value, "a\0b", 4); /* binary-safe, NUL-terminated copy */
    long long pttl = admin_int("PTTL", P_CACHE "c1");
    assert_true(pttl > 55000 && pttl <= 60000);

    assert_int_equal(kv_cache_set(kv, "c1", "x", 1, 0), CORE_OK); /* ttl 0 deletes */
    assert_int_equal(kv_cache_get(kv, &pool, "c1", &value, &len), CORE_E_NOT_FOUND);
    assert_int_equal(kv_cache_set(kv, "c2", "", 0, 60000), CORE_OK);
    assert_int_equal(kv_cache_get(kv, &pool, "c2", &value, &len), CORE_OK);
    assert_int_equal(len, 0);
    assert_int_equal(kv_cache_del(kv, "c2"), CORE_OK);
    assert_int_equal(kv_cache_get(kv, &pool, "c2", &value, &len), CORE_E_NOT_FOUND);

    assert_int_equal(kv_cache_set(kv, "c3", "v", 1, 80), CORE_OK);
    sleep_ms(120);
    assert_int_equal(kv_cache_get(kv, &pool, "c3", &value, &len), CORE_E_NOT_FOUND);

    char *big = core_calloc(CACHE_MAX_VALUE + 1, 1);
    assert_int_equal(kv_cache_set(kv, "c4", big, CACHE_MAX_VALUE + 1, 60000), CORE_E_UNAVAILABLE);
    assert_int_equal(kv_cache_get(kv, &pool, "c4", &value, &len), CORE_E_NOT_FOUND);
    free(big);
    core_pool_cleanup(&pool);
}

/* Redis stops (and loses everything): checks say the database must answer,
 * the API's calls return at once, and once Redis is back the revocations
 * return. */
static void test_outage_and_restart(void **state)
{
    NEED_REDIS();
    kv_t *kv = *state;
    int64_t now = core_clock_now_ms();
    core_pool_t pool;
    char *value;
    size_t len;
    long count;
    int64_t reset_at;

    core_pool_init(&pool);
    assert_int_equal(kv_token_revoke(kv, JTI_B, now + 60000), CORE_OK); /* not in the database (forgotten) */
    assert_int_equal(kv_counter_hit(kv, "rl:o", 60000, 100, now, &count, &reset_at), CORE_OK);
    redis_stop();

    cannot_tell(kv, JTI_B, USER_A, now);
    cannot_tell(kv, JTI_C, USER_A, now);
    assert_true(((kv_redis_t *)kv)->pool.down);

    /* revocations still go to the database; Redis gets them later */
    assert_int_equal(db_revoke(kv, JTI_C, now + 60000), CORE_OK);
    /* caches are bypassed, counters count in this process (policy local) */
    assert_int_equal(kv_cache_get(kv, &pool, "c", &value, &len), CORE_E_UNAVAILABLE);
    assert_int_equal(kv_cache_set(kv, "c", "v", 1, 1000), CORE_E_UNAVAILABLE);
    for (long i = 1; i <= 3; i++) {
        assert_int_equal(kv_counter_hit(kv, "rl:o", 60000, 100, now, &count, &reset_at), CORE_OK);
        assert_int_equal(count, i);
    }

    assert_true(redis_start());
    sleep_ms(1100); /* the next connect attempt is due */
    assert_true(is_revoked(kv, JTI_C, USER_A, now)); /* written during the outage */
    assert_true(is_revoked(kv, JTI_A, USER_A, now)); /* from the database */
    assert_false(is_revoked(kv, JTI_B, USER_A, now)); /* the fake database forgot it: not from the database */
    assert_false(((kv_redis_t *)kv)->pool.down);
    assert_int_equal(admin_int("EXISTS", P_TOKEN JTI_C), 1);
    assert_int_equal(kv_counter_hit(kv, "rl:o", 60000, 100, now, &count, &reset_at), CORE_OK);
    assert_int_equal(count, 1);
    core_pool_cleanup(&pool);
}

/* A quick restart: the pooled connection finds Redis gone and is replaced at
 * once, without falling back, and the new Redis gets the revocations. */
static void test_restart_reconnects_at_once(void **state)
{
    NEED_REDIS();
    kv_t *kv = *state;
    int64_t now = core_clock_now_ms();
    core_pool_t pool;
    char *value;
    size_t len;

    core_pool_init(&pool);
    assert_false(is_revoked(kv, JTI_B, USER_A, now));
    redis_stop();
    assert_true(redis_start());
    assert_true(is_revoked(kv, JTI_A, USER_A, now)); /* answered by the new Redis */
    assert_false(((kv_redis_t *)kv)->pool.down);
    assert_int_equal(admin_int("EXISTS", P_TOKEN JTI_A), 1);
    redis_stop();
    assert_true(redis_start());
    assert_int_equal(kv_cache_set(kv, "c", "v", 1, 60000), CORE_OK);
    assert_int_equal(kv_cache_get(kv, &pool, "c", &value, &len), CORE_OK);
    core_pool_cleanup(&pool);
}

/* FLUSHALL without a restart: old connections notice within a second. */
static void test_flush_noticed(void **state)
{
    NEED_REDIS();
    kv_t *kv = *state;
    int64_t now = core_clock_now_ms();

    assert_true(is_revoked(kv, JTI_A, USER_A, now));
    admin_run("FLUSHALL");
    sleep_ms(1050);
    assert_true(is_revoked(kv, JTI_A, USER_A, now));
    assert_int_equal(admin_int("EXISTS", P_TOKEN JTI_A), 1);
    assert_int_equal(fake.load_calls, 2);
}

/* A paused Redis keeps its data: a cache write that timed out may have been
 * an invalidation, so the caches are flushed when Redis answers again. */
static void test_missed_cache_write_flushes(void **state)
{
    NEED_REDIS();
    kv_t *kv = *state;
    core_pool_t pool;
    char *value;
    size_t len;

    core_pool_init(&pool);
    assert_int_equal(kv_cache_set(kv, "gen:u", "g1", 2, 60000), CORE_OK);
    assert_int_equal(kv_cache_set(kv, "entry", "old", 3, 60000), CORE_OK);
    admin_run("CLIENT PAUSE 1200 ALL");
    int64_t t0 = core_clock_mono_ms();
    assert_int_equal(kv_cache_set(kv, "gen:u", "g2", 2, 60000), CORE_E_UNAVAILABLE);
    assert_true(core_clock_mono_ms() - t0 < 1200); /* the command timeout, not the pause */
    sleep_ms(1300);
    assert_int_equal(kv_cache_get(kv, &pool, "gen:u", &value, &len), CORE_E_NOT_FOUND);
    assert_int_equal(kv_cache_get(kv, &pool, "entry", &value, &len), CORE_E_NOT_FOUND);
    /* revocations are not caches: they stay */
    assert_int_equal(admin_int("EXISTS", P_TOKEN JTI_A), 1);
    core_pool_cleanup(&pool);
}

static void test_open_policy(void **state)
{
    NEED_REDIS();
    kv_t *kv = *state, *open = create(1);
    long count;
    int64_t reset_at;

    redis_stop();
    /* open: not counted on purpose (CORE_E_NOT_FOUND), which only this policy answers */
    assert_int_equal(kv_counter_hit(open, "rl:p", 60000, 100, 1, &count, &reset_at), CORE_E_NOT_FOUND);
    assert_true(atomic_load(&((kv_redis_t *)open)->limits_off));
    assert_int_equal(kv_counter_undo(open, "rl:p", 1), CORE_E_UNAVAILABLE);
    assert_int_equal(kv_counter_hit(kv, "rl:p", 60000, 100, 1, &count, &reset_at), CORE_OK);
    assert_int_equal(count, 1);
    kv_destroy(open);
    assert_true(redis_start());
}

static void test_starts_without_redis(void **state)
{
    NEED_REDIS();
    (void)state;
    char url[64];
    int64_t now = core_clock_now_ms();
    core_config_t cfg = {.redis_url = url};
    kv_t *kv = NULL;

    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", free_port());
    int64_t t0 = core_clock_mono_ms();
    assert_int_equal(kv_redis_create(&cfg, &fake.base, &kv), CORE_OK);
    cannot_tell(kv, JTI_B, USER_A, now);
    assert_true(core_clock_mono_ms() - t0 < 1000);
    kv_destroy(kv);

    cfg.redis_url = (char *)"rediss://127.0.0.1:1";
    core_log_level = CORE_LOG_ERROR + 1;
    assert_int_equal(kv_redis_create(&cfg, &fake.base, &kv), CORE_E_INTERNAL);
    core_log_level = CORE_LOG_ERROR;
    assert_null(kv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_url_parsing),
        cmocka_unit_test_setup_teardown(test_sync_at_creation, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_write_through, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_bad_keys, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_counter_window_and_undo, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_counters_shared_and_atomic, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_cache, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_outage_and_restart, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_restart_reconnects_at_once, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_flush_noticed, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_missed_cache_write_flushes, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_open_policy, make_kv, drop_kv),
        cmocka_unit_test_setup_teardown(test_starts_without_redis, make_kv, drop_kv),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
