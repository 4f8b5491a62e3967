/*
 * This file implements the in-process kv backend (kv_memory_create in kv.h)
 * for single-instance deployments, and its token revocations; rate-limit
 * counters (counters.c) and the cache (cache.c) are delegated. Revocations
 * live in memory only: the database has them first (the store writes them,
 * its write hook revokes them here, and main loads the database's at start).
 * Expired entries leave a few buckets at a time on every call. Memory is
 * bounded: at most COUNTER_MAX_KEYS counters (past that, counters.c forgets
 * the oldest windows that have hits left, never one at its limit, and when
 * every key is at its limit a new one gets CORE_E_UNAVAILABLE, which the
 * rate limiter answers with 503: a full table never switches a limit off)
 * and CACHE_MAX_BYTES of cache. Empty or NULL keys, keys longer than KEY_MAX
 * bytes and other caller mistakes return CORE_E_INTERNAL.
 *
 * Several processes on one SQLite file without Redis (docs/DEPLOY.md) each
 * have such a backend, and none sees the others' memory. So each registers
 * beside the file (peers.h); once it sees another process there, it stops
 * caching (get and set answer CORE_E_UNAVAILABLE, which callers treat as a
 * bypass) and answers a token it does not hold as revoked with
 * CORE_E_UNAVAILABLE, so the caller asks the database, as when Redis is
 * down. No process then serves what another has changed. Rate-limit windows
 * stay per process; a warning says so once.
 */
#include "kv/kv.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwt.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/mem.h"
#include "kv/cache.h"
#include "kv/counters.h"
#include "kv/peers.h"
#include "kv/table.h"

#define KEY_MAX KV_KEY_MAX
#define COUNTER_MAX_KEYS 1000000
#define CACHE_MAX_KEYS 100000
#define CACHE_MAX_BYTES ((size_t)64 << 20)
#define CACHE_MAX_VALUE ((size_t)1 << 20)
#define SWEEP_BUCKETS 8
/* A user's sessions-revoked mark outlives every token it can match. */
#define USER_MARK_TTL_MS (AUTH_JWT_TTL_MS + 60 * 1000)

typedef struct token_rev {
    kv__entry_t e;
    int64_t expires_at;
} token_rev_t;

typedef struct user_rev {
    kv__entry_t e;
    int64_t before_ms;
} user_rev_t;

typedef struct kv_memory {
    kv_t base;
    pthread_mutex_t rev_lock; /* guards tokens and users */
    kv__table_t tokens, users;
    kv__counters_t counters;
    kv__cache_t cache;
    kv__peers_t peers; /* fd -1: no registration (not a SQLite file, or tests) */
} kv_memory_t;

/* Clocks; the unit test, which includes this file, replaces them. */
static int64_t (*wall_now_ms)(void) = core_clock_now_ms;
static int64_t (*mono_now_ms)(void) = core_clock_mono_ms;

static bool key_ok(const char *key, size_t *len)
{
    if (key == NULL)
        return false;
    *len = strnlen(key, KEY_MAX + 1);
    return *len > 0 && *len <= KEY_MAX;
}

/* Another process shares the database: memory alone cannot be trusted. */
static bool shared(kv_memory_t *m)
{
    bool first;
    bool seen = kv__peers_seen(&m->peers, &first);

    if (first)
        log_warn(
            "another lsf-server shares this database without REDIS_URL: caching is off and every token is "
            "checked in the database; rate limits count per process (set REDIS_URL to share them)");
    return seen;
}

static bool token_dead(kv__entry_t *e, void *ctx)
{
    return *(const int64_t *)ctx >= ((token_rev_t *)e)->expires_at;
}

static bool user_dead(kv__entry_t *e, void *ctx)
{
    return *(const int64_t *)ctx - ((user_rev_t *)e)->before_ms > USER_MARK_TTL_MS;
}

/* Caller holds rev_lock (or is still creating m). */
static void sweep_revocations(kv_memory_t *m, int64_t now)
{
    kv__table_sweep(&m->tokens, SWEEP_BUCKETS, token_dead, &now);
    kv__table_sweep(&m->users, SWEEP_BUCKETS, user_dead, &now);
}

static void put_token(kv_memory_t *m, const char *jti, size_t len, int64_t expires_at)
{
    token_rev_t *t = (token_rev_t *)kv__table_find(&m->tokens, jti, len);

    if (t == NULL) {
        t = (token_rev_t *)kv__table_add(&m->tokens, jti, len, sizeof(*t));
        t->expires_at = expires_at;
    } else if (expires_at > t->expires_at) {
        t->expires_at = expires_at;
    }
}

static void put_user(kv_memory_t *m, const char *user_id, size_t len, int64_t before_ms)
{
    user_rev_t *u = (user_rev_t *)kv__table_find(&m->users, user_id, len);

    if (u == NULL) {
        u = (user_rev_t *)kv__table_add(&m->users, user_id, len, sizeof(*u));
        u->before_ms = before_ms;
    } else if (before_ms > u->before_ms) {
        u->before_ms = before_ms;
    }
}

static int memory_token_revoke(kv_t *kv, const char *jti, int64_t expires_at)
{
    kv_memory_t *m = (kv_memory_t *)kv;
    size_t len;
    int rc = CORE_E_INTERNAL;

    if (!key_ok(jti, &len))
        goto out;
    pthread_mutex_lock(&m->rev_lock);
    sweep_revocations(m, wall_now_ms());
    put_token(m, jti, len, expires_at);
    pthread_mutex_unlock(&m->rev_lock);
    rc = CORE_OK;
out:
    return rc;
}

static int memory_user_sessions_revoke(kv_t *kv, const char *user_id, int64_t before_ms)
{
    kv_memory_t *m = (kv_memory_t *)kv;
    size_t len;
    int rc = CORE_E_INTERNAL;

    if (!key_ok(user_id, &len))
        goto out;
    pthread_mutex_lock(&m->rev_lock);
    sweep_revocations(m, wall_now_ms());
    put_user(m, user_id, len, before_ms);
    pthread_mutex_unlock(&m->rev_lock);
    rc = CORE_OK;
out:
    return rc;
}

static int memory_token_is_revoked(kv_t *kv, const char *jti, const char *user_id, int64_t issued_at_ms,
                                   bool *revoked)
{
    kv_memory_t *m = (kv_memory_t *)kv;
    size_t jti_len, user_len;
    int rc = CORE_E_INTERNAL;

    *revoked = true;
    if (!key_ok(jti, &jti_len) || !key_ok(user_id, &user_len))
        goto out;
    int64_t now = wall_now_ms();
    pthread_mutex_lock(&m->rev_lock);
    sweep_revocations(m, now);
    token_rev_t *t = (token_rev_t *)kv__table_find(&m->tokens, jti, jti_len);
    user_rev_t *u = (user_rev_t *)kv__table_find(&m->users, user_id, user_len);
    *revoked = (t != NULL && now < t->expires_at) || (u != NULL && issued_at_ms <= u->before_ms);
    pthread_mutex_unlock(&m->rev_lock);
    rc = CORE_OK;
    if (!*revoked && shared(m)) {
        *revoked = true; /* another process may have revoked it: the database knows */
        rc = CORE_E_UNAVAILABLE;
    }
out:
    return rc;
}

static int memory_counter_hit(kv_t *kv, const char *key, int64_t window_ms, long max, int64_t now, long *count,
                              int64_t *reset_at)
{
    size_t len;
    return key_ok(key, &len)
               ? kv__counters_hit(&((kv_memory_t *)kv)->counters, key, len, window_ms, max, now, count, reset_at)
               : CORE_E_INTERNAL;
}

static int memory_counter_undo(kv_t *kv, const char *key, int64_t now)
{
    size_t len;
    return key_ok(key, &len) ? kv__counters_undo(&((kv_memory_t *)kv)->counters, key, len, now)
                             : CORE_E_INTERNAL;
}

static int memory_cache_get(kv_t *kv, core_pool_t *pool, const char *key, char **value, size_t *len)
{
    kv_memory_t *m = (kv_memory_t *)kv;
    size_t key_len;

    if (!key_ok(key, &key_len))
        return CORE_E_INTERNAL;
    return shared(m) ? CORE_E_UNAVAILABLE
                     : kv__cache_get(&m->cache, pool, key, key_len, mono_now_ms(), value, len);
}

/* ttl_ms <= 0 only drops an older value; values over CACHE_MAX_VALUE are
 * not cached (CORE_E_UNAVAILABLE). */
static int memory_cache_set(kv_t *kv, const char *key, const char *value, size_t len, int64_t ttl_ms)
{
    kv_memory_t *m = (kv_memory_t *)kv;
    size_t key_len;

    if (!key_ok(key, &key_len) || (value == NULL && len != 0))
        return CORE_E_INTERNAL;
    return shared(m) ? CORE_E_UNAVAILABLE
                     : kv__cache_set(&m->cache, key, key_len, value, len, ttl_ms, mono_now_ms());
}

static int memory_cache_del(kv_t *kv, const char *key)
{
    size_t key_len;
    int rc = CORE_E_INTERNAL;

    if (key_ok(key, &key_len)) {
        kv__cache_del(&((kv_memory_t *)kv)->cache, key, key_len);
        rc = CORE_OK;
    }
    return rc;
}

static void memory_destroy(kv_t *kv)
{
    kv_memory_t *m = (kv_memory_t *)kv;

    kv__table_cleanup(&m->tokens);
    kv__table_cleanup(&m->users);
    kv__counters_cleanup(&m->counters);
    kv__cache_cleanup(&m->cache);
    kv__peers_close(&m->peers);
    pthread_mutex_destroy(&m->rev_lock);
    free(m);
}

static const kv_ops_t memory_ops = {
    .name = "memory",
    .destroy = memory_destroy,
    .token_revoke = memory_token_revoke,
    .user_sessions_revoke = memory_user_sessions_revoke,
    .token_is_revoked = memory_token_is_revoked,
    .counter_hit = memory_counter_hit,
    .counter_undo = memory_counter_undo,
    .cache_get = memory_cache_get,
    .cache_set = memory_cache_set,
    .cache_del = memory_cache_del,
};

int kv_memory_create(const char *sqlite_path, kv_t **out)
{
    kv_memory_t *m = core_calloc(1, sizeof(*m));
    int rc = CORE_OK;

    *out = NULL;
    m->base.ops = &memory_ops;
    pthread_mutex_init(&m->rev_lock, NULL);
    kv__table_init(&m->tokens);
    kv__table_init(&m->users);
    kv__counters_init(&m->counters, COUNTER_MAX_KEYS);
    kv__cache_init(&m->cache, CACHE_MAX_KEYS, CACHE_MAX_BYTES, CACHE_MAX_VALUE);
    m->peers.fd = -1;
    if (sqlite_path != NULL && (rc = kv__peers_open(&m->peers, sqlite_path)) != CORE_OK) {
        memory_destroy(&m->base);
        goto out;
    }
    (void)shared(m); /* a peer already there is told of now */
    log_info("kv backend ready", LOG_STR("backend", "memory"));
    *out = &m->base;
out:
    return rc;
}
