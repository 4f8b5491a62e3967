/*
 * Internal to src/kv: what the two files of the Redis backend share.
 * redis.c is the backend itself (kv_ops_t, commands, scripts, the event
 * loop's connection); redis_sync.c brings Redis in step with the database
 * (resync of revocations, cache flush) and runs the backend's thread that
 * does so for the event loops. Both see the backend's state (kv_redis_t),
 * the key layout under "lsf:", and the few functions each lends the other.
 * The unit test includes redis.c, so it sees this too. Nothing outside
 * src/kv includes this.
 */
#ifndef KV_REDIS_INTERNAL_H
#define KV_REDIS_INTERNAL_H

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/jwt.h"
#include "kv/counters.h"
#include "kv/kv.h"
#include "kv/redis_pool.h"

#define KEY_PREFIX_MAX 16
#define MARKER_CHECK_MS 1000 /* how soon a flushed Redis is noticed on old connections */
/* A user's sessions-revoked mark outlives every token it can match. */
#define USER_MARK_TTL_MS (AUTH_JWT_TTL_MS + 60 * 1000)

#define P_TOKEN "lsf:rev:t:"
#define P_USER "lsf:rev:u:"
#define P_COUNTER "lsf:rl:"
#define P_CACHE "lsf:c:"
#define P_RYW "lsf:ryw:"
#define SYNC_MARKER "lsf:rev:synced"

typedef struct kv_redis {
    kv_t base;
    kv__redis_pool_t pool;
    int down_policy;            /* cfg->redis_down_rate_limit: 0 local, 1 open */
    const kv_source_t *source;  /* the database's revocations; NULL: none (tests) */
    pthread_mutex_t sync_lock;       /* one resync or cache flush at a time */
    atomic_ulong sync_wanted, synced; /* resync due while they differ */
    atomic_ulong flush_wanted, flushed;
    _Atomic int64_t marker_checked_at; /* monotonic ms of the last look for the marker */
    kv__counters_t local; /* counters while Redis is down (policy local) */
    atomic_bool limits_off; /* policy open and Redis down: said once per outage */
    pthread_t sync_thread;  /* runs the resyncs and flushes the loops ask for */
    pthread_mutex_t wake_lock;
    pthread_cond_t wake;
    bool stopping, thread_started;
} kv_redis_t;

typedef struct kv__redis_key {
    char buf[KEY_PREFIX_MAX + KV_KEY_MAX + 1];
    size_t len;
} kv__redis_key_t;

/* ---- from redis.c ---- */

/* The wall clock (unix ms); the unit test, which includes redis.c, may
 * replace it. Set before the backend is created, read by any thread. */
extern int64_t (*kv__redis_wall_now_ms)(void);

/* The Lua script that raises a user's sessions-revoked mark (KEYS[1] the
 * mark; ARGV before_ms, expiry in unix ms). Static text. */
extern const char kv__redis_user_mark_lua[];

/* prefix + key into k; false for a bad key (a caller bug). Any thread. */
bool kv__redis_key_make(kv__redis_key_t *k, const char *prefix, const char *key);

/* True when Redis answered with anything but an error; an error reply is
 * logged (the connection stays, the call fails). reply is not freed. */
bool kv__redis_reply_usable(redisReply *reply);

/* Load the scripts on a new blocking connection c (errors show at
 * EVALSHA). The caller holds c, taken from the pool. */
void kv__redis_scripts_load(redisContext *c);

/* ---- from redis_sync.c ---- */

/* Run the resync and flush that are due, on c (a pooled connection the
 * caller holds); look for the marker first when fresh (a new connection),
 * and at most once a second otherwise. Threads that find a resync due wait
 * for it (sync_lock). CORE_OK when Redis is in step, else
 * CORE_E_UNAVAILABLE or the source's error. Never on an event loop. */
int kv__redis_sync_catch_up(kv_redis_t *r, redisContext *c, bool fresh);

/* True while a resync or a cache flush is due. Any thread. */
bool kv__redis_sync_due(kv_redis_t *r);

/* Ask the backend's thread to run the resync or flush that is due. Any
 * thread; takes wake_lock only for the signal. */
void kv__redis_sync_wake(kv_redis_t *r);

/* The backend's thread (pthread_create's start routine, arg the
 * kv_redis_t): runs the resyncs and flushes the loops ask for until
 * r->stopping is set under wake_lock. Returns NULL. */
void *kv__redis_sync_main(void *arg);

/* A read of revocations or caches trusts its reply only when Redis is in
 * step now and, on an event loop's connection, was in step before it was
 * sent with no loss found while it was out: there a loss is found by a
 * marker check answered just ahead of the read (a new connection), and the
 * backend's thread may finish the resync before the reader looks, which
 * would pass a reply computed before the resync. A pooled connection brings
 * Redis in step itself before it sends the read (catch_up). */
typedef struct kv__redis_in_step {
    unsigned long wanted;
    bool was;
} kv__redis_in_step_t;

/* Before the read is sent: the state of the pair wanted/done (sync_wanted
 * and synced, or flush_wanted and flushed). Any thread. */
kv__redis_in_step_t kv__redis_sync_in_step_before(atomic_ulong *wanted, atomic_ulong *done);

/* After the reply came: true when the reply may be trusted (see above). */
bool kv__redis_sync_in_step_held(kv_redis_t *r, kv__redis_in_step_t before, atomic_ulong *wanted,
                                 atomic_ulong *done);

#endif
