/*
 * This file implements the Redis kv backend (kv_redis_create in redis.h),
 * which lets several instances share token revocations, rate-limit counters
 * and caches. Connections come from redis_pool.c. Keys live under "lsf:":
 * rev:t:<jti> (a revoked token, expiring with it), rev:u:<user> (the time a
 * user's sessions were revoked), rl:<key> (counters), c:<key> (caches) and
 * ryw:<user> (the user wrote within DB_READ_YOUR_WRITES_MS: the hook of
 * store/ryw.h that sends their reads to the primary on every instance).
 *
 * Revocations reach Redis after the database has them (the store's write
 * hook calls kv_token_revoke). While Redis cannot answer, token checks
 * answer CORE_E_UNAVAILABLE and the caller asks the database, so an outage
 * never lets a revoked token in. Redis is brought back in step from the
 * database ("resync", in redis_sync.c: every unexpired revocation the
 * kv_source_t gives is written again) when this process starts, when a revocation could not be
 * written to Redis, and when Redis has lost the marker key rev:synced
 * (restarted without persistence, or flushed), which new connections check,
 * and old ones at most once a second. A cache write that failed may have
 * been an invalidation, so the caches are flushed when Redis is back. This
 * file notes that either is due; redis_sync.c runs them.
 * On a fiber of an event loop (core/fiber.h) commands go through the loop's
 * own connection (redis_async.c) and suspend the fiber, never the loop: a
 * frozen Redis costs a request at most the 500 ms command timeout, and the
 * loop keeps serving. There nothing waits for a resync or a cache flush: a
 * thread of the backend's own (redis_sync.c) runs them (with the blocking pool) while token
 * checks answer CORE_E_UNAVAILABLE (the database decides) and cache reads
 * miss; other threads (workers, tests) run a due resync themselves, as
 * before. Lua scripts are loaded on every new connection (SCRIPT LOAD) and
 * called by their SHA1 (EVALSHA), falling back to EVAL after a SCRIPT FLUSH.
 * Counters are atomic Lua scripts; while Redis is down they are counted in
 * this process (REDIS_DOWN_RATE_LIMIT=local, counters.c) or, by the
 * operator's explicit choice, not at all (open: CORE_E_NOT_FOUND, and one
 * warning per outage says limits are off), and caches are bypassed
 * (CORE_E_UNAVAILABLE).
 */
#include "kv/redis.h"

#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/mem.h"
#include "kv/counters.h"
#include "kv/redis_async.h"
#include "kv/redis_internal.h"
#include "kv/redis_pool.h"
#include "trace/export.h"
#include "trace/scope.h"

#define LOCAL_COUNTER_MAX_KEYS 100000
#define CACHE_MAX_VALUE ((size_t)1 << 20)

/* KEYS[1] user mark; ARGV before_ms, expiry (unix ms). Only ever raises it. */
const char kv__redis_user_mark_lua[] = "local v = tonumber(redis.call('GET', KEYS[1]) or '-1')\n"
                                       "if tonumber(ARGV[1]) > v then\n"
                                       "  redis.call('SET', KEYS[1], ARGV[1], 'PXAT', ARGV[2])\n"
                                       "end\n"
                                       "return 0\n";

/* KEYS token, user mark; ARGV issued_at_ms. 1 when revoked. */
static const char is_revoked_lua[] = "if redis.call('EXISTS', KEYS[1]) == 1 then return 1 end\n"
                                     "local b = redis.call('GET', KEYS[2])\n"
                                     "if b and tonumber(ARGV[1]) <= tonumber(b) then return 1 end\n"
                                     "return 0\n";

/* KEYS counter; ARGV window_ms. {count, ms left}: the window opens at the first hit. */
static const char counter_hit_lua[] = "local n = redis.call('INCR', KEYS[1])\n"
                                      "local t = redis.call('PTTL', KEYS[1])\n"
                                      "if t < 0 then\n"
                                      "  redis.call('PEXPIRE', KEYS[1], ARGV[1])\n"
                                      "  t = tonumber(ARGV[1])\n"
                                      "end\n"
                                      "return {n, t}\n";

/* KEYS counter. Takes one hit back, never below 0, keeping the window. */
static const char counter_undo_lua[] = "local n = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
                                       "if n > 0 then return redis.call('DECR', KEYS[1]) end\n"
                                       "return 0\n";

/* The scripts, by the SHA1 Redis knows them by (EVALSHA). */
typedef struct script {
    const char *lua;
    char sha[41];
} script_t;

enum { S_USER_MARK, S_IS_REVOKED, S_COUNTER_HIT, S_COUNTER_UNDO, NSCRIPTS };

static script_t scripts[NSCRIPTS] = {
    [S_USER_MARK] = {kv__redis_user_mark_lua, ""},
    [S_IS_REVOKED] = {is_revoked_lua, ""},
    [S_COUNTER_HIT] = {counter_hit_lua, ""},
    [S_COUNTER_UNDO] = {counter_undo_lua, ""},
};

static pthread_once_t scripts_once = PTHREAD_ONCE_INIT;

static void scripts_hash(void)
{
    for (int i = 0; i < NSCRIPTS; i++) {
        unsigned char md[EVP_MAX_MD_SIZE];
        unsigned len = 0;
        EVP_Digest(scripts[i].lua, strlen(scripts[i].lua), md, &len, EVP_sha1(), NULL);
        for (unsigned k = 0; k < len && k < 20; k++)
            snprintf(scripts[i].sha + 2 * k, 3, "%02x", md[k]);
    }
}

/* The clock; the unit test, which includes this file, may replace it. */
int64_t (*kv__redis_wall_now_ms)(void) = core_clock_now_ms;

static bool key_ok(const char *key, size_t *len)
{
    if (key == NULL)
        return false;
    *len = strnlen(key, KV_KEY_MAX + 1);
    return *len > 0 && *len <= KV_KEY_MAX;
}

/* prefix + key into k; false for a bad key (a caller bug). */
bool kv__redis_key_make(kv__redis_key_t *k, const char *prefix, const char *key)
{
    size_t plen = strlen(prefix), len;

    if (!key_ok(key, &len))
        return false;
    memcpy(k->buf, prefix, plen);
    memcpy(k->buf + plen, key, len);
    k->len = plen + len;
    k->buf[k->len] = '\0';
    return true;
}

/* An error reply means Redis answered: the connection stays, the call fails. */
bool kv__redis_reply_usable(redisReply *reply)
{
    if (reply != NULL && reply->type == REDIS_REPLY_ERROR) {
        log_warn("kv: redis refused a command", LOG_STR("error", reply->str));
        return false;
    }
    return reply != NULL;
}

/* Load the scripts on a new blocking connection (errors show at EVALSHA). */
void kv__redis_scripts_load(redisContext *c)
{
    for (int i = 0; i < NSCRIPTS; i++) {
        const char *argv[] = {"SCRIPT", "LOAD", scripts[i].lua};
        freeReplyObject(kv__redis_command(c, 3, argv, NULL));
    }
}

static void on_marker(void *ctx, redisReply *reply)
{
    kv_redis_t *r = ctx;
    if (reply != NULL && reply->type == REDIS_REPLY_INTEGER && reply->integer == 0) {
        atomic_fetch_add(&r->sync_wanted, 1); /* Redis lost its data: copy the database's revocations */
        kv__redis_sync_wake(r);
    }
}

/* A new connection of an event loop: scripts, then a look for the marker,
 * sent ahead of any command of the loop (Redis answers in order, so a
 * token check sent after them sees sync_wanted already raised). */
static void on_loop_connected(void *ctx)
{
    kv_redis_t *r = ctx;
    const char *exists[] = {"EXISTS", SYNC_MARKER};

    for (int i = 0; i < NSCRIPTS; i++) {
        const char *argv[] = {"SCRIPT", "LOAD", scripts[i].lua};
        kv__redis_async_send(&r->pool, 3, argv, NULL, NULL, NULL);
    }
    kv__redis_async_send(&r->pool, 2, exists, NULL, on_marker, r);
}

/* One command on the event loop's connection, waiting on the fiber. The
 * marker is looked for at most once a second (process-wide), ahead of the
 * command. A resync or flush found due goes to the backend's thread. */
static redisReply *call_loop(kv_redis_t *r, int argc, const char **argv, const size_t *lens)
{
    int64_t now = core_clock_mono_ms(), last = atomic_load(&r->marker_checked_at);
    redisReply *reply;

    if (now - last >= MARKER_CHECK_MS && atomic_compare_exchange_strong(&r->marker_checked_at, &last, now)) {
        const char *exists[] = {"EXISTS", SYNC_MARKER};
        kv__redis_async_send(&r->pool, 2, exists, NULL, on_marker, r);
    }
    reply = kv__redis_async_command(&r->pool, argc, argv, lens);
    if (kv__redis_sync_due(r))
        kv__redis_sync_wake(r);
    return reply;
}

/* The span of one command begun at c, when recorded: "redis GET", named
 * by the command alone (argv[0], a literal of ours); keys and values, which
 * hold token ids and user ids, stay out. No reply, or an error one, fails it. */
static void span_end(const trace_child_t *c, const char *command, const redisReply *reply)
{
    char name[32];

    if (c->scope == NULL)
        return;
    snprintf(name, sizeof(name), "redis %s", command);
    trace_span_t *s = trace_child_end(c, name, TRACE_KIND_CLIENT);
    trace_span_attr_str(s, "db.system.name", core_str_c("redis"));
    trace_span_attr_str(s, "db.operation.name", core_str_c(command));
    if (reply == NULL || reply->type == REDIS_REPLY_ERROR)
        trace_span_fail(s, reply == NULL ? "no answer" : "error reply", NULL, s->end_unix_ns);
    trace_export_submit(s);
}

/* One command on a pooled connection in step with the database, or on the
 * event loop's connection on a fiber. The reply (caller frees; an error
 * reply too), or NULL when Redis could not answer. A pooled connection that
 * finds Redis restarted is replaced at once, so a restart costs no request
 * its Redis answer. */
static redisReply *call_raw(kv_redis_t *r, int argc, const char **argv, const size_t *lens)
{
    redisReply *reply = NULL;
    trace_child_t span = trace_child_begin();

    if (kv__redis_async_active(&r->pool)) {
        reply = call_loop(r, argc, argv, lens);
        goto out;
    }
    for (int attempt = 0; attempt < 2; attempt++) {
        bool fresh;
        redisContext *c = kv__redis_pool_get(&r->pool, &fresh);
        if (c == NULL)
            break;
        if (fresh)
            kv__redis_scripts_load(c);
        if (kv__redis_sync_catch_up(r, c, fresh) == CORE_OK)
            reply = kv__redis_command(c, argc, argv, lens);
        if (reply == NULL && !fresh && kv__redis_gone(c)) {
            kv__redis_pool_discard(&r->pool, c);
            continue;
        }
        kv__redis_pool_put(&r->pool, c, reply != NULL);
        break;
    }
out:
    span_end(&span, argv[0], reply);
    return reply;
}

/* call_raw, with Redis' refusals logged and turned into NULL. */
static redisReply *call(kv_redis_t *r, int argc, const char **argv, const size_t *lens)
{
    redisReply *reply = call_raw(r, argc, argv, lens);

    if (!kv__redis_reply_usable(reply)) {
        freeReplyObject(reply);
        reply = NULL;
    }
    return reply;
}

/* Script s with nkeys keys and the arguments args (n of them, keys
 * first), by EVALSHA; after a SCRIPT FLUSH (NOSCRIPT), by EVAL. As call(). */
static redisReply *eval(kv_redis_t *r, int s_id, int nkeys, int n, const char **args)
{
    const char *argv[3 + 8];
    char nk[8];
    redisReply *reply;

    snprintf(nk, sizeof(nk), "%d", nkeys);
    argv[0] = "EVALSHA";
    argv[1] = scripts[s_id].sha;
    argv[2] = nk;
    for (int i = 0; i < n && i < 8; i++)
        argv[3 + i] = args[i];
    reply = call_raw(r, 3 + n, argv, NULL);
    if (reply != NULL && reply->type == REDIS_REPLY_ERROR && strncmp(reply->str, "NOSCRIPT", 8) == 0) {
        freeReplyObject(reply);
        argv[0] = "EVAL";
        argv[1] = scripts[s_id].lua;
        reply = call_raw(r, 3 + n, argv, NULL);
    }
    if (!kv__redis_reply_usable(reply)) {
        freeReplyObject(reply);
        reply = NULL;
    }
    return reply;
}

/* ---- revocations ---- */

/* The database has the revocation; Redis must get it too, now or at the next
 * resync. reply is what the write answered (freed here). */
static void revocation_to_redis(kv_redis_t *r, redisReply *reply)
{
    if (reply == NULL) {
        atomic_fetch_add(&r->sync_wanted, 1);
        if (kv__redis_async_active(&r->pool))
            kv__redis_sync_wake(r);
    }
    freeReplyObject(reply);
}

static int redis_token_revoke(kv_t *kv, const char *jti, int64_t expires_at)
{
    kv_redis_t *r = (kv_redis_t *)kv;
    kv__redis_key_t k;
    char at[24];
    int rc = CORE_E_INTERNAL;

    if (!kv__redis_key_make(&k, P_TOKEN, jti))
        goto out;
    rc = CORE_OK;
    if (expires_at <= kv__redis_wall_now_ms())
        goto out;
    snprintf(at, sizeof(at), "%lld", (long long)expires_at);
    const char *argv[] = {"SET", k.buf, "1", "PXAT", at};
    revocation_to_redis(r, call(r, 5, argv, NULL));
out:
    return rc;
}

static int redis_user_sessions_revoke(kv_t *kv, const char *user_id, int64_t before_ms)
{
    kv_redis_t *r = (kv_redis_t *)kv;
    kv__redis_key_t k;
    char before[24], at[24];
    int rc = CORE_E_INTERNAL;

    if (!kv__redis_key_make(&k, P_USER, user_id))
        goto out;
    rc = CORE_OK;
    if (before_ms + USER_MARK_TTL_MS <= kv__redis_wall_now_ms())
        goto out;
    snprintf(before, sizeof(before), "%lld", (long long)before_ms);
    snprintf(at, sizeof(at), "%lld", (long long)(before_ms + USER_MARK_TTL_MS));
    const char *args[] = {k.buf, before, at};
    revocation_to_redis(r, eval(r, S_USER_MARK, 1, 3, args));
out:
    return rc;
}

static int redis_token_is_revoked(kv_t *kv, const char *jti, const char *user_id, int64_t issued_at_ms,
                                  bool *revoked)
{
    kv_redis_t *r = (kv_redis_t *)kv;
    kv__redis_key_t tk, uk;
    char issued[24];
    int rc = CORE_E_INTERNAL;

    *revoked = true;
    if (!kv__redis_key_make(&tk, P_TOKEN, jti) || !kv__redis_key_make(&uk, P_USER, user_id))
        goto out;
    snprintf(issued, sizeof(issued), "%lld", (long long)issued_at_ms);
    const char *args[] = {tk.buf, uk.buf, issued};
    kv__redis_in_step_t step = kv__redis_sync_in_step_before(&r->sync_wanted, &r->synced);
    redisReply *reply = eval(r, S_IS_REVOKED, 2, 3, args);
    /* a Redis that lost its revocations answers only once they are back */
    if (reply != NULL && reply->type == REDIS_REPLY_INTEGER &&
        kv__redis_sync_in_step_held(r, step, &r->sync_wanted, &r->synced)) {
        *revoked = reply->integer != 0;
        rc = CORE_OK;
    } else {
        rc = CORE_E_UNAVAILABLE; /* the caller asks the database */
    }
    freeReplyObject(reply);
out:
    return rc;
}

/* ---- rate-limit counters ---- */

/* Redis keeps every counter until its window ends (the PEXPIRE of the
 * script), so max is only needed by the local counters of an outage. */
static int redis_counter_hit(kv_t *kv, const char *key, int64_t window_ms, long max, int64_t now, long *count,
                             int64_t *reset_at)
{
    kv_redis_t *r = (kv_redis_t *)kv;
    kv__redis_key_t k;
    char window[24];
    int rc = CORE_E_INTERNAL;

    if (!kv__redis_key_make(&k, P_COUNTER, key) || window_ms <= 0 || max < 1)
        goto out;
    snprintf(window, sizeof(window), "%lld", (long long)window_ms);
    const char *args[] = {k.buf, window};
    redisReply *reply = eval(r, S_COUNTER_HIT, 1, 2, args);
    if (reply != NULL && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
        reply->element[0]->type == REDIS_REPLY_INTEGER && reply->element[1]->type == REDIS_REPLY_INTEGER) {
        *count = (long)reply->element[0]->integer;
        *reset_at = now + reply->element[1]->integer;
        rc = CORE_OK;
        if (atomic_load(&r->limits_off) && atomic_exchange(&r->limits_off, false))
            log_info("kv: rate limits are counted in redis again");
    } else if (r->down_policy == 0) {
        rc = kv__counters_hit(&r->local, key, strlen(key), window_ms, max, now, count, reset_at);
    } else {
        if (!atomic_exchange(&r->limits_off, true))
            log_warn("kv: redis cannot count: rate limits are OFF until it can (REDIS_DOWN_RATE_LIMIT=open)");
        rc = CORE_E_NOT_FOUND;
    }
    freeReplyObject(reply);
out:
    return rc;
}

static int redis_counter_undo(kv_t *kv, const char *key, int64_t now)
{
    kv_redis_t *r = (kv_redis_t *)kv;
    kv__redis_key_t k;
    int rc = CORE_E_INTERNAL;

    if (!kv__redis_key_make(&k, P_COUNTER, key))
        goto out;
    const char *args[] = {k.buf};
    redisReply *reply = eval(r, S_COUNTER_UNDO, 1, 1, args);
    if (reply != NULL)
        rc = CORE_OK;
    else if (r->down_policy == 0)
        rc = kv__counters_undo(&r->local, key, strlen(key), now);
    else
        rc = CORE_E_UNAVAILABLE;
    freeReplyObject(reply);
out:
    return rc;
}

/* ---- caches ---- */

static int redis_cache_get(kv_t *kv, core_pool_t *pool, const char *key, char **value, size_t *len)
{
    kv_redis_t *r = (kv_redis_t *)kv;
    kv__redis_key_t k;
    int rc = CORE_E_INTERNAL;

    if (!kv__redis_key_make(&k, P_CACHE, key))
        goto out;
    const char *argv[] = {"GET", k.buf};
    kv__redis_in_step_t step = kv__redis_sync_in_step_before(&r->flush_wanted, &r->flushed);
    redisReply *reply = call(r, 2, argv, NULL);
    if (reply == NULL || !kv__redis_sync_in_step_held(r, step, &r->flush_wanted, &r->flushed)) {
        rc = CORE_E_UNAVAILABLE; /* down, or a missed invalidation not yet flushed */
    } else if (reply->type == REDIS_REPLY_STRING) {
        *value = core_pool_strndup(pool, reply->str, reply->len);
        *len = reply->len;
        rc = CORE_OK;
    } else {
        rc = CORE_E_NOT_FOUND;
    }
    freeReplyObject(reply);
out:
    return rc;
}

/* A cache write Redis did not take may have been an invalidation. */
static int cache_write(kv_redis_t *r, int argc, const char **argv, const size_t *lens)
{
    redisReply *reply = call(r, argc, argv, lens);
    int rc = CORE_OK;

    if (reply == NULL) {
        atomic_fetch_add(&r->flush_wanted, 1);
        if (kv__redis_async_active(&r->pool))
            kv__redis_sync_wake(r);
        rc = CORE_E_UNAVAILABLE;
    }
    freeReplyObject(reply);
    return rc;
}

/* ttl_ms <= 0 deletes; values over CACHE_MAX_VALUE are not cached. */
static int redis_cache_set(kv_t *kv, const char *key, const char *value, size_t len, int64_t ttl_ms)
{
    kv_redis_t *r = (kv_redis_t *)kv;
    kv__redis_key_t k;
    char ttl[24];
    int rc = CORE_E_INTERNAL;

    if (!kv__redis_key_make(&k, P_CACHE, key) || (value == NULL && len > 0))
        goto out;
    if (ttl_ms <= 0) {
        const char *argv[] = {"DEL", k.buf};
        rc = cache_write(r, 2, argv, NULL);
        goto out;
    }
    rc = CORE_E_UNAVAILABLE;
    if (len > CACHE_MAX_VALUE)
        goto out;
    snprintf(ttl, sizeof(ttl), "%lld", (long long)ttl_ms);
    const char *argv[] = {"SET", k.buf, value != NULL ? value : "", "PX", ttl};
    const size_t lens[] = {3, k.len, len, 2, strlen(ttl)};
    rc = cache_write(r, 5, argv, lens);
out:
    return rc;
}

static int redis_cache_del(kv_t *kv, const char *key)
{
    kv_redis_t *r = (kv_redis_t *)kv;
    kv__redis_key_t k;
    int rc = CORE_E_INTERNAL;

    if (kv__redis_key_make(&k, P_CACHE, key)) {
        const char *argv[] = {"DEL", k.buf};
        rc = cache_write(r, 2, argv, NULL);
    }
    return rc;
}

/* ---- read-your-writes marks ---- */

static int redis_ryw_mark(kv_t *kv, const char *user_id, int64_t ttl_ms)
{
    kv_redis_t *r = (kv_redis_t *)kv;
    kv__redis_key_t k;
    char ttl[24];
    int rc = CORE_E_INTERNAL;

    if (!kv__redis_key_make(&k, P_RYW, user_id) || ttl_ms <= 0)
        goto out;
    snprintf(ttl, sizeof(ttl), "%lld", (long long)ttl_ms);
    const char *argv[] = {"SET", k.buf, "1", "PX", ttl};
    redisReply *reply = call(r, 5, argv, NULL);
    rc = reply != NULL ? CORE_OK : CORE_E_UNAVAILABLE;
    freeReplyObject(reply);
out:
    return rc;
}

static int redis_ryw_check(kv_t *kv, const char *user_id, bool *marked)
{
    kv_redis_t *r = (kv_redis_t *)kv;
    kv__redis_key_t k;
    int rc = CORE_E_INTERNAL;

    *marked = true;
    if (!kv__redis_key_make(&k, P_RYW, user_id))
        goto out;
    const char *argv[] = {"EXISTS", k.buf};
    redisReply *reply = call(r, 2, argv, NULL);
    if (reply != NULL && reply->type == REDIS_REPLY_INTEGER) {
        *marked = reply->integer != 0;
        rc = CORE_OK;
    } else {
        rc = CORE_E_UNAVAILABLE;
    }
    freeReplyObject(reply);
out:
    return rc;
}

/* ---- life cycle ---- */

static void redis_loop_attach(kv_t *kv, struct st_h2o_evloop_t *loop)
{
    kv_redis_t *r = (kv_redis_t *)kv;
    kv__redis_async_attach(&r->pool, loop, on_loop_connected, r);
}

static void redis_loop_detach(kv_t *kv)
{
    kv__redis_async_detach(&((kv_redis_t *)kv)->pool);
}

static void redis_destroy(kv_t *kv)
{
    kv_redis_t *r = (kv_redis_t *)kv;

    if (r->thread_started) {
        pthread_mutex_lock(&r->wake_lock);
        r->stopping = true;
        pthread_cond_signal(&r->wake);
        pthread_mutex_unlock(&r->wake_lock);
        pthread_join(r->sync_thread, NULL);
    }
    kv__redis_pool_cleanup(&r->pool);
    kv__counters_cleanup(&r->local);
    pthread_mutex_destroy(&r->sync_lock);
    pthread_mutex_destroy(&r->wake_lock);
    pthread_cond_destroy(&r->wake);
    free(r);
}

static const kv_ops_t redis_ops = {
    .name = "redis",
    .destroy = redis_destroy,
    .token_revoke = redis_token_revoke,
    .user_sessions_revoke = redis_user_sessions_revoke,
    .token_is_revoked = redis_token_is_revoked,
    .counter_hit = redis_counter_hit,
    .counter_undo = redis_counter_undo,
    .cache_get = redis_cache_get,
    .cache_set = redis_cache_set,
    .cache_del = redis_cache_del,
    .ryw_mark = redis_ryw_mark,
    .ryw_check = redis_ryw_check,
    .loop_attach = redis_loop_attach,
    .loop_detach = redis_loop_detach,
};

int kv_redis_create(const core_config_t *cfg, const kv_source_t *source, kv_t **out)
{
    kv_redis_t *r = core_calloc(1, sizeof(*r));
    int rc;

    *out = NULL;
    r->base.ops = &redis_ops;
    r->source = source;
    r->down_policy = cfg->redis_down_rate_limit;
    pthread_once(&scripts_once, scripts_hash);
    pthread_mutex_init(&r->sync_lock, NULL);
    pthread_mutex_init(&r->wake_lock, NULL);
    pthread_cond_init(&r->wake, NULL);
    atomic_init(&r->sync_wanted, 1); /* copy the database's revocations at the first connection */
    atomic_init(&r->synced, 0);
    atomic_init(&r->flush_wanted, 0);
    atomic_init(&r->flushed, 0);
    atomic_init(&r->marker_checked_at, 0);
    kv__counters_init(&r->local, LOCAL_COUNTER_MAX_KEYS);
    atomic_init(&r->limits_off, false);
    if ((rc = kv__redis_pool_init(&r->pool, cfg->redis_url)) != CORE_OK) {
        redis_destroy(&r->base);
        goto out;
    }
    /* connect now, so the start-up log says whether Redis is there */
    const char *ping[] = {"PING"};
    redisReply *reply = call(r, 1, ping, NULL);
    log_info("kv backend ready", LOG_STR("backend", "redis"), LOG_STR("host", r->pool.host),
             LOG_INT("port", r->pool.port), LOG_BOOL("connected", reply != NULL));
    freeReplyObject(reply);
    if (pthread_create(&r->sync_thread, NULL, kv__redis_sync_main, r) != 0) {
        log_error("kv: cannot start the redis sync thread");
        redis_destroy(&r->base);
        rc = CORE_E_INTERNAL;
        goto out;
    }
    r->thread_started = true;
    *out = &r->base;
out:
    return rc;
}
