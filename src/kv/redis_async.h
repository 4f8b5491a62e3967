/*
 * Internal to src/kv: the Redis connection of an event loop, for the Redis
 * backend (redis.c) when it is called on a fiber of that loop
 * (core/fiber.h). hiredis' async API runs on the loop's sockets and timers
 * through a small adapter; commands of every request of the loop share the
 * one connection (Redis answers in order), each waits on its fiber for its
 * reply at most the pool's command timeout (500 ms), and a timeout or a
 * lost connection drops the connection: every command waiting on it fails,
 * Redis is marked down in the pool (redis_pool.c's bookkeeping, one log
 * line per outage), and no new connection is tried before the pool's retry
 * time. Outside a fiber of a loop, redis.c uses the blocking pool.
 */
#ifndef KV_REDIS_ASYNC_H
#define KV_REDIS_ASYNC_H

#include <hiredis/hiredis.h>
#include <stdbool.h>
#include <stddef.h>

#include "kv/redis_pool.h"

struct st_h2o_evloop_t;

/* What the backend does on each new connection of a loop, before any of
 * its commands: load the scripts, look for the resync marker. It may call
 * kv__redis_async_send. */
typedef void (*kv__redis_connected_cb)(void *ctx);

/* A reply (or NULL: no answer) for a command sent with kv__redis_async_send.
 * The reply is hiredis', valid during the call only. */
typedef void (*kv__redis_reply_cb)(void *ctx, redisReply *reply);

/* This thread runs loop: the backend of pool p uses the loop's connection
 * on its fibers from now on. connected(ctx) runs for every new connection. */
void kv__redis_async_attach(kv__redis_pool_t *p, struct st_h2o_evloop_t *loop, kv__redis_connected_cb connected,
                            void *ctx);

/* Close this thread's connection (its fibers have all ended). */
void kv__redis_async_detach(kv__redis_pool_t *p);

/* True on a fiber of a thread attached for p. */
bool kv__redis_async_active(const kv__redis_pool_t *p);

/* Run one command on the loop's connection and wait for it on the fiber:
 * a copy of the reply (free with freeReplyObject; a Redis error is a reply
 * of type REDIS_REPLY_ERROR), or NULL when Redis could not answer now. */
redisReply *kv__redis_async_command(kv__redis_pool_t *p, int argc, const char **argv, const size_t *lens);

/* Send one command without waiting; cb(ctx, reply) runs when its reply
 * comes (before the replies of commands sent after it), or with NULL when
 * the connection is lost. Only from connected() or a fiber. */
void kv__redis_async_send(kv__redis_pool_t *p, int argc, const char **argv, const size_t *lens,
                          kv__redis_reply_cb cb, void *ctx);

#endif
