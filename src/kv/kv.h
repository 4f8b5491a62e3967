/*
 * The key-value interface for state that must be shared by every instance of
 * the server: token revocations, rate-limit counters, caches and
 * read-your-writes marks. In embedded mode (memory.c) it lives in this
 * process; with REDIS_URL (redis.c) it lives in Redis. Backends fill a
 * kv_ops_t table. kv knows nothing of the database: revocations are written
 * there first by the store, whose write hook (api/effects.c) then revokes
 * them here, and the database answers a token check that kv cannot.
 *
 * A kv_t is shared by all threads; every backend is thread-safe. Functions
 * return CORE_OK or a CORE_E_* code; CORE_E_NOT_FOUND means a cache miss,
 * CORE_E_UNAVAILABLE that the backend cannot be reached right now (callers
 * then follow the documented fallback: bypass the cache, and so on).
 * Keys are at most KV_KEY_MAX bytes; a NULL, empty or longer key is a caller
 * bug and returns CORE_E_INTERNAL.
 */
#ifndef KV_KV_H
#define KV_KV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/pool.h"

#define KV_KEY_MAX 512

typedef struct kv kv_t;
struct st_h2o_evloop_t;

typedef struct kv_ops {
    const char *name; /* "memory", "redis" */
    void (*destroy)(kv_t *kv);
    int (*token_revoke)(kv_t *kv, const char *jti, int64_t expires_at);
    int (*user_sessions_revoke)(kv_t *kv, const char *user_id, int64_t before_ms);
    int (*token_is_revoked)(kv_t *kv, const char *jti, const char *user_id, int64_t issued_at_ms,
                            bool *revoked);
    int (*counter_hit)(kv_t *kv, const char *key, int64_t window_ms, long max, int64_t now, long *count,
                       int64_t *reset_at);
    int (*counter_undo)(kv_t *kv, const char *key, int64_t now);
    int (*cache_get)(kv_t *kv, core_pool_t *pool, const char *key, char **value, size_t *len);
    int (*cache_set)(kv_t *kv, const char *key, const char *value, size_t len, int64_t ttl_ms);
    int (*cache_del)(kv_t *kv, const char *key);
    /* Optional: NULL when the backend is not shared between processes. */
    int (*ryw_mark)(kv_t *kv, const char *user_id, int64_t ttl_ms);
    int (*ryw_check)(kv_t *kv, const char *user_id, bool *marked);
    /* Optional: NULL when nothing waits on the network. */
    void (*loop_attach)(kv_t *kv, struct st_h2o_evloop_t *loop);
    void (*loop_detach)(kv_t *kv);
} kv_ops_t;

struct kv {
    const kv_ops_t *ops;
};

static inline void kv_destroy(kv_t *kv)
{
    if (kv != NULL)
        kv->ops->destroy(kv);
}

/* Revoke one token (by jti) until it expires at expires_at (ms), in kv only:
 * the database has it already (see the top). A backend that could not take
 * it (Redis down) copies it from the database later; CORE_OK either way,
 * CORE_E_INTERNAL for a bad key. */
static inline int kv_token_revoke(kv_t *kv, const char *jti, int64_t expires_at)
{
    return kv->ops->token_revoke(kv, jti, expires_at);
}

/* Revoke every token of user_id issued at or before before_ms (as above). */
static inline int kv_user_sessions_revoke(kv_t *kv, const char *user_id, int64_t before_ms)
{
    return kv->ops->user_sessions_revoke(kv, user_id, before_ms);
}

/* *revoked = the token was revoked by jti, or issued (issued_at_ms) at or
 * before its user's sessions were revoked. CORE_E_UNAVAILABLE (and *revoked
 * true) when kv cannot tell: Redis unreachable or not yet in step with the
 * database, or another process shares the SQLite file without Redis. The
 * caller then asks the database (store_revocation_check), so an outage never
 * lets a revoked token in. */
static inline int kv_token_is_revoked(kv_t *kv, const char *jti, const char *user_id, int64_t issued_at_ms,
                                      bool *revoked)
{
    return kv->ops->token_is_revoked(kv, jti, user_id, issued_at_ms, revoked);
}

/* Count one hit on a fixed-window counter (express-rate-limit semantics: the
 * window starts at the first hit and lasts window_ms) whose limit is max
 * (>= 1): a backend that must make room for new keys forgets only keys with
 * hits left (count < max), never one whose client is at or over its limit.
 * Returns:
 * - CORE_OK: *count is the count including this hit, *reset_at (ms) when
 *   the window ends;
 * - CORE_E_UNAVAILABLE: the hit could not be counted (no room for a new key:
 *   every key held is at its limit); *reset_at is when room is expected, or 0.
 *   Callers must refuse the request: an uncounted hit is not a limit off;
 * - CORE_E_NOT_FOUND: deliberately not counted, by the operator's choice
 *   (Redis unreachable under REDIS_DOWN_RATE_LIMIT=open): no limit applies;
 * - CORE_E_INTERNAL: a bad key, window or max (a caller bug). */
static inline int kv_counter_hit(kv_t *kv, const char *key, int64_t window_ms, long max, int64_t now, long *count,
                                 int64_t *reset_at)
{
    return kv->ops->counter_hit(kv, key, window_ms, max, now, count, reset_at);
}

/* Take back one hit (a request that turned out not to count). Never below 0. */
static inline int kv_counter_undo(kv_t *kv, const char *key, int64_t now)
{
    return kv->ops->counter_undo(kv, key, now);
}

/* Cached value for key, copied into pool; CORE_E_NOT_FOUND on a miss. */
static inline int kv_cache_get(kv_t *kv, core_pool_t *pool, const char *key, char **value, size_t *len)
{
    return kv->ops->cache_get(kv, pool, key, value, len);
}

/* Cache value for ttl_ms; ttl_ms <= 0 deletes. CORE_E_UNAVAILABLE means
 * "not cached" (too large, or the backend is down): callers carry on. */
static inline int kv_cache_set(kv_t *kv, const char *key, const char *value, size_t len, int64_t ttl_ms)
{
    return kv->ops->cache_set(kv, key, value, len, ttl_ms);
}

static inline int kv_cache_del(kv_t *kv, const char *key)
{
    return kv->ops->cache_del(kv, key);
}

/* This thread runs the event loop `loop`: from now on, calls made on a
 * fiber of this thread (core/fiber.h) wait for the network on the fiber,
 * never blocking the loop (a no-op for the in-process backend). Detach on
 * the same thread once the loop's fibers have all ended. */
static inline void kv_loop_attach(kv_t *kv, struct st_h2o_evloop_t *loop)
{
    if (kv->ops->loop_attach != NULL)
        kv->ops->loop_attach(kv, loop);
}

static inline void kv_loop_detach(kv_t *kv)
{
    if (kv->ops->loop_detach != NULL)
        kv->ops->loop_detach(kv);
}

/* Mark that user_id wrote, for ttl_ms, where every instance sees it (the
 * read-your-writes window of a database with replicas). A no-op (CORE_OK)
 * for a backend that is not shared; CORE_E_UNAVAILABLE when the mark could
 * not be written. */
static inline int kv_ryw_mark(kv_t *kv, const char *user_id, int64_t ttl_ms)
{
    return kv->ops->ryw_mark != NULL ? kv->ops->ryw_mark(kv, user_id, ttl_ms) : CORE_OK;
}

/* *marked = some instance marked user_id within its window (false for a
 * backend that is not shared: the store's own mark is then all there is).
 * CORE_E_UNAVAILABLE when it cannot tell. */
static inline int kv_ryw_check(kv_t *kv, const char *user_id, bool *marked)
{
    *marked = false;
    return kv->ops->ryw_check != NULL ? kv->ops->ryw_check(kv, user_id, marked) : CORE_OK;
}

/* The revocations of the database, for a backend that must copy them (the
 * Redis backend, after Redis lost its data): load calls token_cb for each
 * unexpired revoked token and user_cb for each user's sessions-revoked mark,
 * as store_revocations_load does. Called from whichever thread finds the
 * copy due, one at a time. */
typedef void (*kv_token_revocation_cb)(void *ctx, const char *jti, int64_t expires_at);
typedef void (*kv_user_revocation_cb)(void *ctx, const char *user_id, int64_t before_ms);

typedef struct kv_source {
    void *ctx;
    int (*revocations_load)(void *ctx, int64_t now, kv_token_revocation_cb token_cb, kv_user_revocation_cb user_cb,
                            void *cb_ctx);
} kv_source_t;

/* The in-process backend: empty at creation (the caller loads the
 * database's revocations into it). sqlite_path, the database file when it
 * is SQLite (else NULL), is where other processes sharing it are noticed
 * (memory.c). Returns CORE_OK or CORE_E_INTERNAL (logged). */
int kv_memory_create(const char *sqlite_path, kv_t **out);

#endif
