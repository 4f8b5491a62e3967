/*
 * This file implements how the Redis kv backend (redis.c) brings Redis in
 * step with the database, and fits in as the half of the backend that
 * repairs what an outage cost. A resync writes every unexpired revocation
 * the kv_source_t gives to Redis again, then the marker key rev:synced; a
 * cache flush deletes every lsf:c:* key, since a cache write Redis missed
 * may have been an invalidation. redis.c raises sync_wanted or flush_wanted
 * when either is due (a revocation or cache write Redis did not take, a
 * marker found missing); kv__redis_sync_catch_up runs what is due on a
 * pooled connection, one at a time under sync_lock. A thread outside an
 * event loop calls it before each command, so it never reads Redis out of
 * step; the event loops never wait for it: they wake the backend's thread
 * (kv__redis_sync_main here), which catches up with the blocking pool and
 * retries once a second while Redis is down. The in-step check tells a
 * read whether its reply may be trusted meanwhile.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/mem.h"
#include "kv/redis_async.h"
#include "kv/redis_internal.h"
#include "kv/redis_pool.h"

#define SYNC_BATCH 256
#define FLUSH_SCAN_COUNT "500"

/* ---- bringing Redis in step with the database ---- */

typedef struct sync_ctx {
    redisContext *c;
    size_t pending;
    bool failed;
    long tokens, users;
} sync_ctx_t;

static void sync_drain(sync_ctx_t *s)
{
    while (s->pending > 0 && !s->failed) {
        void *reply = NULL;
        if (redisGetReply(s->c, &reply) != REDIS_OK || !kv__redis_reply_usable(reply))
            s->failed = true;
        freeReplyObject(reply);
        s->pending--;
    }
}

static void sync_append(sync_ctx_t *s, int argc, const char **argv, const size_t *lens)
{
    if (s->failed)
        return;
    if (redisAppendCommandArgv(s->c, argc, argv, lens) != REDIS_OK) {
        s->failed = true;
        return;
    }
    if (++s->pending >= SYNC_BATCH)
        sync_drain(s);
}

static void sync_token(void *ctx, const char *jti, int64_t expires_at)
{
    kv__redis_key_t k;
    char at[24];

    if (!kv__redis_key_make(&k, P_TOKEN, jti))
        return;
    snprintf(at, sizeof(at), "%lld", (long long)expires_at);
    const char *argv[] = {"SET", k.buf, "1", "PXAT", at};
    sync_append(ctx, 5, argv, NULL);
    ((sync_ctx_t *)ctx)->tokens++;
}

static void sync_user(void *ctx, const char *user_id, int64_t before_ms)
{
    kv__redis_key_t k;
    char before[24], at[24];

    if (!kv__redis_key_make(&k, P_USER, user_id))
        return;
    snprintf(before, sizeof(before), "%lld", (long long)before_ms);
    snprintf(at, sizeof(at), "%lld", (long long)(before_ms + USER_MARK_TTL_MS));
    const char *argv[] = {"EVAL", kv__redis_user_mark_lua, "1", k.buf, before, at};
    sync_append(ctx, 6, argv, NULL);
    ((sync_ctx_t *)ctx)->users++;
}

/* Write every unexpired revocation of the database to Redis, then the marker.
 * A process without a source (the operator's commands) has nothing to copy
 * and leaves the marker missing: setting it would make every server trust
 * a Redis that lost its revocations. A server brings it back in step. */
static int resync(kv_redis_t *r, redisContext *c)
{
    sync_ctx_t s = {.c = c};
    int rc = CORE_OK;

    if (r->source == NULL)
        return CORE_OK;
    rc = r->source->revocations_load(r->source->ctx, kv__redis_wall_now_ms(), sync_token, sync_user, &s);
    sync_drain(&s);
    if (rc == CORE_OK && !s.failed) {
        const char *argv[] = {"SET", SYNC_MARKER, "1"};
        redisReply *reply = kv__redis_command(c, 3, argv, NULL);
        s.failed = !kv__redis_reply_usable(reply);
        freeReplyObject(reply);
    }
    if (rc == CORE_OK && s.failed)
        rc = CORE_E_UNAVAILABLE;
    if (rc == CORE_OK)
        log_info("kv: revocations copied to redis", LOG_INT("tokens", s.tokens), LOG_INT("users", s.users));
    else
        log_warn("kv: copying revocations to redis failed", LOG_STR("error", core_error_name(rc)));
    return rc;
}

/* Delete every cache entry (SCAN + UNLINK over lsf:c:*). */
static int flush_caches(redisContext *c)
{
    char cursor[32] = "0";
    int rc = CORE_OK;

    do {
        const char *scan[] = {"SCAN", cursor, "MATCH", P_CACHE "*", "COUNT", FLUSH_SCAN_COUNT};
        redisReply *reply = kv__redis_command(c, 6, scan, NULL);
        if (!kv__redis_reply_usable(reply) || reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
            reply->element[0]->type != REDIS_REPLY_STRING || reply->element[1]->type != REDIS_REPLY_ARRAY) {
            freeReplyObject(reply);
            rc = CORE_E_UNAVAILABLE;
            goto out;
        }
        snprintf(cursor, sizeof(cursor), "%s", reply->element[0]->str);
        redisReply *keys = reply->element[1];
        if (keys->elements > 0) {
            const char **argv = core_calloc(keys->elements + 1, sizeof(*argv));
            size_t *lens = core_calloc(keys->elements + 1, sizeof(*lens));
            argv[0] = "UNLINK";
            lens[0] = 6;
            for (size_t i = 0; i < keys->elements; i++) {
                argv[i + 1] = keys->element[i]->str;
                lens[i + 1] = keys->element[i]->len;
            }
            redisReply *del = kv__redis_command(c, (int)keys->elements + 1, argv, lens);
            if (!kv__redis_reply_usable(del))
                rc = CORE_E_UNAVAILABLE;
            freeReplyObject(del);
            free(argv);
            free(lens);
        }
        freeReplyObject(reply);
    } while (rc == CORE_OK && strcmp(cursor, "0") != 0);
    if (rc == CORE_OK)
        log_info("kv: redis caches flushed after missed cache writes");
out:
    return rc;
}

/* Run the resync and flush that are due, on c; look for the marker first on
 * a new connection, and at most once a second on the others. Threads that
 * find a resync due wait for it, so none reads Redis before it is in step. */
int kv__redis_sync_catch_up(kv_redis_t *r, redisContext *c, bool fresh)
{
    int rc = CORE_OK;

    int64_t now = core_clock_mono_ms(), last = atomic_load(&r->marker_checked_at);
    if (fresh || (now - last >= MARKER_CHECK_MS && atomic_compare_exchange_strong(&r->marker_checked_at, &last, now))) {
        const char *argv[] = {"EXISTS", SYNC_MARKER};
        redisReply *reply = kv__redis_command(c, 2, argv, NULL);
        if (!kv__redis_reply_usable(reply) || reply->type != REDIS_REPLY_INTEGER) {
            freeReplyObject(reply);
            rc = CORE_E_UNAVAILABLE;
            goto out;
        }
        if (reply->integer == 0)
            atomic_fetch_add(&r->sync_wanted, 1);
        freeReplyObject(reply);
    }
    if (atomic_load(&r->sync_wanted) == atomic_load(&r->synced) &&
        atomic_load(&r->flush_wanted) == atomic_load(&r->flushed))
        goto out;
    pthread_mutex_lock(&r->sync_lock);
    unsigned long want = atomic_load(&r->sync_wanted);
    if (want != atomic_load(&r->synced) && (rc = resync(r, c)) == CORE_OK)
        atomic_store(&r->synced, want);
    want = atomic_load(&r->flush_wanted);
    if (rc == CORE_OK && want != atomic_load(&r->flushed) && (rc = flush_caches(c)) == CORE_OK)
        atomic_store(&r->flushed, want);
    pthread_mutex_unlock(&r->sync_lock);
out:
    return rc;
}

/* A resync or a cache flush is due. */
bool kv__redis_sync_due(kv_redis_t *r)
{
    return atomic_load(&r->sync_wanted) != atomic_load(&r->synced) ||
           atomic_load(&r->flush_wanted) != atomic_load(&r->flushed);
}

/* The in-step check of a read (see redis_internal.h). */
kv__redis_in_step_t kv__redis_sync_in_step_before(atomic_ulong *wanted, atomic_ulong *done)
{
    unsigned long w = atomic_load(wanted);
    return (kv__redis_in_step_t){.wanted = w, .was = w == atomic_load(done)};
}

bool kv__redis_sync_in_step_held(kv_redis_t *r, kv__redis_in_step_t before, atomic_ulong *wanted,
                                 atomic_ulong *done)
{
    unsigned long w = atomic_load(wanted);

    if (w != atomic_load(done))
        return false;
    return !kv__redis_async_active(&r->pool) || (before.was && w == before.wanted);
}

/* Ask the backend's thread to run the resync or flush that is due. */
void kv__redis_sync_wake(kv_redis_t *r)
{
    pthread_mutex_lock(&r->wake_lock);
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->wake_lock);
}

/* ---- the backend's thread: resyncs and flushes the loops asked for ---- */

void *kv__redis_sync_main(void *arg)
{
    kv_redis_t *r = arg;

    pthread_mutex_lock(&r->wake_lock);
    while (!r->stopping) {
        if (!kv__redis_sync_due(r)) {
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1; /* and once a second, in case a wake-up came between */
            pthread_cond_timedwait(&r->wake, &r->wake_lock, &ts);
            continue;
        }
        pthread_mutex_unlock(&r->wake_lock);
        bool fresh;
        redisContext *c = kv__redis_pool_get(&r->pool, &fresh);
        int rc = CORE_E_UNAVAILABLE;
        if (c != NULL) {
            if (fresh)
                kv__redis_scripts_load(c);
            rc = kv__redis_sync_catch_up(r, c, fresh);
            kv__redis_pool_put(&r->pool, c, rc == CORE_OK);
        }
        pthread_mutex_lock(&r->wake_lock);
        if (rc != CORE_OK && !r->stopping) { /* Redis is down: try again in a second */
            struct timespec ts;
            clock_gettime(CLOCK_REALTIME, &ts);
            ts.tv_sec += 1;
            pthread_cond_timedwait(&r->wake, &r->wake_lock, &ts);
        }
    }
    pthread_mutex_unlock(&r->wake_lock);
    return NULL;
}
