/*
 * This file implements the Redis connection pool of redis_pool.h for the
 * Redis kv backend: connecting to REDIS_URL (parsed by core/redis_url.c)
 * with timeouts (AUTH and SELECT included), and the down/up bookkeeping that
 * keeps an outage to one log line and one connect attempt per second.
 */
#include "kv/redis_pool.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/redis_url.h"

#define CONNECT_TIMEOUT_US (KV__REDIS_CONNECT_TIMEOUT_MS * 1000)
#define COMMAND_TIMEOUT_US (KV__REDIS_COMMAND_TIMEOUT_MS * 1000)
#define RETRY_MS 1000

int kv__redis_pool_init(kv__redis_pool_t *p, const char *url)
{
    core_redis_url_t parsed;
    char err[256];

    memset(p, 0, sizeof(*p));
    pthread_mutex_init(&p->lock, NULL);
    if (core_redis_url_parse(url, &parsed, err, sizeof(err)) != 0) {
        log_error("kv: REDIS_URL cannot be used", LOG_STR("error", err));
        return CORE_E_INTERNAL;
    }
    /* the strings are ours now, freed by kv__redis_pool_cleanup */
    p->host = parsed.host;
    p->port = parsed.port;
    p->user = parsed.user;
    p->password = parsed.password;
    p->db = parsed.db;
    return CORE_OK;
}

void kv__redis_pool_cleanup(kv__redis_pool_t *p)
{
    for (size_t i = 0; i < p->idle_len; i++)
        redisFree(p->idle[i]);
    p->idle_len = 0;
    pthread_mutex_destroy(&p->lock);
    free(p->host);
    free(p->user);
    free(p->password);
    p->host = p->user = p->password = NULL;
}

redisReply *kv__redis_command(redisContext *c, int argc, const char **argv, const size_t *lens)
{
    return redisCommandArgv(c, argc, argv, lens);
}

/* One command that must answer +OK; false with err filled otherwise. */
static bool command_ok(redisContext *c, int argc, const char **argv, char *err, size_t err_size)
{
    redisReply *r = kv__redis_command(c, argc, argv, NULL);
    bool ok = r != NULL && r->type == REDIS_REPLY_STATUS;

    if (!ok)
        snprintf(err, err_size, "%s", r != NULL && r->type == REDIS_REPLY_ERROR ? r->str : c->errstr);
    freeReplyObject(r);
    return ok;
}

/* Authenticate and select the database on a new connection. */
static bool handshake(const kv__redis_pool_t *p, redisContext *c, char *err, size_t err_size)
{
    char db[16];
    /* AUTH password, or AUTH user password (Redis 6 ACLs) */
    const char *auth[] = {"AUTH", p->user != NULL ? p->user : p->password, p->password};
    const char *select[] = {"SELECT", db};

    snprintf(db, sizeof(db), "%d", p->db);
    if (p->password != NULL && !command_ok(c, p->user != NULL ? 3 : 2, auth, err, err_size))
        return false;
    return p->db == 0 || command_ok(c, 2, select, err, err_size);
}

static redisContext *connect_one(const kv__redis_pool_t *p, char *err, size_t err_size)
{
    struct timeval connect_tv = {.tv_sec = CONNECT_TIMEOUT_US / 1000000, .tv_usec = CONNECT_TIMEOUT_US % 1000000};
    struct timeval command_tv = {.tv_sec = COMMAND_TIMEOUT_US / 1000000, .tv_usec = COMMAND_TIMEOUT_US % 1000000};
    redisContext *c = redisConnectWithTimeout(p->host, p->port, connect_tv);

    if (c == NULL) {
        snprintf(err, err_size, "out of memory");
        goto out;
    }
    if (c->err != 0) {
        snprintf(err, err_size, "%s", c->errstr);
        goto fail;
    }
    if (redisSetTimeout(c, command_tv) != REDIS_OK || redisEnableKeepAlive(c) != REDIS_OK) {
        snprintf(err, err_size, "%s", c->errstr[0] != '\0' ? c->errstr : "cannot set socket options");
        goto fail;
    }
    if (!handshake(p, c, err, err_size))
        goto fail;
    goto out;
fail:
    redisFree(c);
    c = NULL;
out:
    return c;
}

void kv__redis_pool_mark_down(kv__redis_pool_t *p, const char *reason)
{
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->idle_len; i++)
        redisFree(p->idle[i]);
    p->idle_len = 0;
    p->next_connect_at = core_clock_mono_ms() + RETRY_MS;
    if (!p->down) {
        p->down = true;
        log_warn("redis unavailable: revocations checked in the database, caches bypassed, rate limits by "
                 "REDIS_DOWN_RATE_LIMIT",
                 LOG_STR("error", reason));
    }
    pthread_mutex_unlock(&p->lock);
}

redisContext *kv__redis_pool_get(kv__redis_pool_t *p, bool *fresh)
{
    redisContext *c = NULL;
    char err[128];

    *fresh = false;
    pthread_mutex_lock(&p->lock);
    if (p->idle_len > 0) {
        c = p->idle[--p->idle_len];
        pthread_mutex_unlock(&p->lock);
        goto out;
    }
    int64_t now = core_clock_mono_ms();
    if (p->down && now < p->next_connect_at) {
        pthread_mutex_unlock(&p->lock);
        goto out;
    }
    if (p->down)
        p->next_connect_at = now + RETRY_MS; /* this thread makes the attempt */
    pthread_mutex_unlock(&p->lock);
    if ((c = connect_one(p, err, sizeof(err))) == NULL)
        kv__redis_pool_mark_down(p, err);
    *fresh = c != NULL;
out:
    return c;
}

void kv__redis_pool_discard(kv__redis_pool_t *p, redisContext *c)
{
    pthread_mutex_lock(&p->lock);
    for (size_t i = 0; i < p->idle_len; i++)
        redisFree(p->idle[i]);
    p->idle_len = 0;
    pthread_mutex_unlock(&p->lock);
    redisFree(c);
}

bool kv__redis_gone(const redisContext *c)
{
    int e = errno;
    return c->err == REDIS_ERR_EOF || (c->err == REDIS_ERR_IO && (e == ECONNRESET || e == EPIPE));
}

void kv__redis_pool_put(kv__redis_pool_t *p, redisContext *c, bool works)
{
    if (c == NULL)
        return;
    if (!works || c->err != 0) {
        char reason[128];
        snprintf(reason, sizeof(reason), "%s", c->err != 0 ? c->errstr : "unexpected reply");
        redisFree(c);
        kv__redis_pool_mark_down(p, reason);
        return;
    }
    pthread_mutex_lock(&p->lock);
    if (p->down) {
        p->down = false;
        log_info("redis available again", LOG_STR("host", p->host), LOG_INT("port", p->port));
    }
    if (p->idle_len < KV__REDIS_POOL_IDLE_MAX) {
        p->idle[p->idle_len++] = c;
        c = NULL;
    }
    pthread_mutex_unlock(&p->lock);
    if (c != NULL)
        redisFree(c);
}

void kv__redis_pool_mark_up(kv__redis_pool_t *p)
{
    pthread_mutex_lock(&p->lock);
    if (p->down) {
        p->down = false;
        log_info("redis available again", LOG_STR("host", p->host), LOG_INT("port", p->port));
    }
    pthread_mutex_unlock(&p->lock);
}

bool kv__redis_pool_may_connect(kv__redis_pool_t *p)
{
    bool may = true;

    pthread_mutex_lock(&p->lock);
    if (p->down) {
        int64_t now = core_clock_mono_ms();
        may = now >= p->next_connect_at;
        if (may)
            p->next_connect_at = now + RETRY_MS;
    }
    pthread_mutex_unlock(&p->lock);
    return may;
}
