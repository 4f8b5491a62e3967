/*
 * Internal to src/kv: the Redis connections of the Redis backend (redis.c).
 * A small pool of blocking hiredis connections under one mutex, shared by
 * every thread: a caller takes a connection, runs its commands, and gives it
 * back saying whether it still works. Connects time out after 1 s and
 * commands after 500 ms. A broken connection marks Redis down: the idle
 * connections (likely broken too) are dropped, one line is logged, and from
 * then on at most one connect attempt is made per second; the first
 * connection that works again logs that Redis is back. Nothing here blocks a
 * caller for longer than one connect timeout plus one command timeout.
 */
#ifndef KV_REDIS_POOL_H
#define KV_REDIS_POOL_H

#include <hiredis/hiredis.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KV__REDIS_POOL_IDLE_MAX 32
#define KV__REDIS_CONNECT_TIMEOUT_MS 1000
#define KV__REDIS_COMMAND_TIMEOUT_MS 500

typedef struct kv__redis_pool {
    char *host, *user, *password; /* user and password NULL when absent */
    int port, db;
    pthread_mutex_t lock; /* guards the rest */
    redisContext *idle[KV__REDIS_POOL_IDLE_MAX];
    size_t idle_len;
    bool down;               /* the last attempt failed; logged once */
    int64_t next_connect_at; /* monotonic ms; while down, no attempt before */
} kv__redis_pool_t;

/* Set p up for url (redis://[[user]:password@]host[:port][/db], parsed by
 * core_redis_url_parse). CORE_OK, or CORE_E_INTERNAL (logged) for a URL
 * this backend cannot use (the config loader refuses those first). */
int kv__redis_pool_init(kv__redis_pool_t *p, const char *url);

/* Close every idle connection and free p's strings. No connection may be out. */
void kv__redis_pool_cleanup(kv__redis_pool_t *p);

/* A connection ready for commands, or NULL when Redis cannot be reached now
 * (down and not yet due for another attempt, or the attempt failed).
 * *fresh tells whether it was just opened. Give it back with _put. */
redisContext *kv__redis_pool_get(kv__redis_pool_t *p, bool *fresh);

/* Give c back. works = false (or c->err set) closes it and marks Redis down;
 * works = true after a successful command marks Redis up again. */
void kv__redis_pool_put(kv__redis_pool_t *p, redisContext *c, bool works);

/* Close c, a pooled connection that found the server gone (Redis restarted:
 * see kv__redis_gone), and the idle ones, which are gone too; Redis is not
 * marked down, so the caller may connect again at once. */
void kv__redis_pool_discard(kv__redis_pool_t *p, redisContext *c);

/* Redis failed (why: for the log): drop the idle connections, log once per
 * outage, and let no connection be tried for a second. Any thread. */
void kv__redis_pool_mark_down(kv__redis_pool_t *p, const char *why);

/* A command was answered: Redis is up (logged when it was down). */
void kv__redis_pool_mark_up(kv__redis_pool_t *p);

/* Whether a connection may be tried now: Redis is not down, or the retry is
 * due (this caller then makes the attempt: the next is a second later). */
bool kv__redis_pool_may_connect(kv__redis_pool_t *p);

/* True when c's last command failed because the server closed the
 * connection or reset it, so the command never ran and may be retried on a
 * new connection; false for a timeout. Call right after the failure. */
bool kv__redis_gone(const redisContext *c);

/* Run one command on c; the reply (free with freeReplyObject) or NULL when
 * the connection failed (c->err says why). A Redis error reply is returned
 * as a reply of type REDIS_REPLY_ERROR. */
redisReply *kv__redis_command(redisContext *c, int argc, const char **argv, const size_t *lens);

#endif
