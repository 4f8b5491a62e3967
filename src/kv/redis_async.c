/*
 * This file implements the event loop's Redis connection of redis_async.h:
 * an adapter that lets hiredis' async API (0.14) run on an h2o evloop, and
 * commands that wait on fibers. The adapter watches a dup of hiredis'
 * socket (closing the dup never closes hiredis'); hiredis asks for read
 * and write readiness through it. A reply callback only copies the reply
 * (hiredis frees its own when the callback returns) and queues the waiting
 * fiber, which is woken once hiredis has returned, so a fiber never runs
 * inside hiredis. Every command has a timer; when one fires, or the
 * connection fails, the whole context is freed at once (hiredis then calls
 * every pending callback with no reply), which wakes every fiber waiting on
 * it with a failure.
 */
#include "kv/redis_async.h"

#include <fcntl.h>
#include <h2o.h>
#include <hiredis/async.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/fiber.h"
#include "core/log.h"
#include "core/mem.h"

#define MAX_POOLS 4

typedef struct aredis aredis_t;

/* One command sent: waited for by a fiber, or handled by a callback. */
typedef struct acmd {
    aredis_t *a;
    core_fiber_t *fiber; /* NULL: cb handles the reply */
    kv__redis_reply_cb cb;
    void *ctx;
    redisReply *copy;
    bool done; /* the reply (or its absence) came */
    h2o_timeout_entry_t timer;
    struct acmd *next_wake;
} acmd_t;

struct aredis {
    kv__redis_pool_t *p;
    h2o_loop_t *loop;
    redisAsyncContext *ac;
    h2o_socket_t *sock;
    bool want_write, connected;
    kv__redis_connected_cb on_connected;
    void *ctx;
    h2o_timeout_t command_timeout, connect_timeout;
    h2o_timeout_entry_t connect_timer;
    acmd_t *wake_head, *wake_tail; /* fibers to wake once hiredis has returned */
    int depth;                     /* inside hiredis (its calls into us) */
};

static _Thread_local struct {
    aredis_t *conns[MAX_POOLS];
    size_t n;
} tl;

static aredis_t *of_pool(const kv__redis_pool_t *p)
{
    for (size_t i = 0; i < tl.n; i++)
        if (tl.conns[i]->p == p)
            return tl.conns[i];
    return NULL;
}

/* ---- waking fibers outside hiredis ---- */

static void queue_wake(aredis_t *a, acmd_t *c)
{
    c->next_wake = NULL;
    if (a->wake_tail != NULL)
        a->wake_tail->next_wake = c;
    else
        a->wake_head = c;
    a->wake_tail = c;
}

static void drain(aredis_t *a)
{
    acmd_t *c;

    if (a->depth > 0)
        return;
    while ((c = a->wake_head) != NULL) {
        a->wake_head = c->next_wake;
        if (a->wake_head == NULL)
            a->wake_tail = NULL;
        core_fiber_wake(c->fiber);
    }
}

/* ---- copying a reply hiredis will free ---- */

static redisReply *reply_copy(const redisReply *r)
{
    redisReply *c = core_calloc(1, sizeof(*c));

    c->type = r->type;
    c->integer = r->integer;
    if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR) {
        c->str = core_calloc(r->len + 1, 1);
        memcpy(c->str, r->str, r->len);
        c->len = r->len;
    } else if (r->type == REDIS_REPLY_ARRAY && r->elements > 0) {
        c->element = core_calloc(r->elements, sizeof(*c->element));
        c->elements = r->elements;
        for (size_t i = 0; i < r->elements; i++)
            c->element[i] = reply_copy(r->element[i]);
    }
    return c;
}

/* ---- the context ---- */

static void drop(aredis_t *a, const char *why)
{
    redisAsyncContext *ac = a->ac;

    if (ac == NULL)
        return;
    a->ac = NULL;
    a->connected = false;
    if (h2o_timeout_is_linked(&a->connect_timer))
        h2o_timeout_unlink(&a->connect_timer);
    kv__redis_pool_mark_down(a->p, why);
    a->depth++;
    redisAsyncFree(ac); /* every pending callback runs now, with no reply */
    a->depth--;
    drain(a);
}

static void on_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    acmd_t *c = privdata;
    aredis_t *a = c->a;
    redisReply *reply = r;

    (void)ac;
    if (reply != NULL && !a->connected)
        a->connected = true;
    if (c->fiber == NULL) {
        if (c->cb != NULL)
            c->cb(c->ctx, reply);
        free(c);
        return;
    }
    if (h2o_timeout_is_linked(&c->timer))
        h2o_timeout_unlink(&c->timer);
    c->copy = reply != NULL ? reply_copy(reply) : NULL;
    c->done = true;
    queue_wake(a, c);
}

static void ev_read(h2o_socket_t *sock, const char *err)
{
    aredis_t *a = sock->data;

    (void)err; /* hiredis reads the error itself */
    if (a->ac == NULL)
        return;
    a->depth++;
    redisAsyncHandleRead(a->ac);
    a->depth--;
    drain(a);
}

static void ev_write(h2o_socket_t *sock, const char *err)
{
    aredis_t *a = sock->data;

    (void)err;
    a->want_write = false;
    if (a->ac == NULL)
        return;
    a->depth++;
    redisAsyncHandleWrite(a->ac);
    a->depth--;
    drain(a);
}

static void ev_add_read(void *data)
{
    aredis_t *a = data;
    if (a->sock != NULL)
        h2o_socket_read_start(a->sock, ev_read);
}

static void ev_del_read(void *data)
{
    aredis_t *a = data;
    if (a->sock != NULL && h2o_socket_is_reading(a->sock))
        h2o_socket_read_stop(a->sock);
}

static void ev_add_write(void *data)
{
    aredis_t *a = data;
    if (a->sock != NULL && !a->want_write) {
        a->want_write = true;
        h2o_socket_notify_write(a->sock, ev_write);
    }
}

static void ev_del_write(void *data)
{
    (void)data; /* h2o cannot take a notification back: a spare one writes nothing */
}

static void ev_cleanup(void *data)
{
    aredis_t *a = data;
    if (a->sock != NULL)
        h2o_socket_close(a->sock);
    a->sock = NULL;
    a->want_write = false;
    a->ac = NULL;
}

static void on_disconnect(const redisAsyncContext *ac, int status)
{
    aredis_t *a = ac->ev.data;

    (void)status;
    if (a->ac == ac) { /* the server closed it, or it failed: not a drop of ours */
        a->ac = NULL;
        a->connected = false;
        kv__redis_pool_mark_down(a->p, ac->errstr[0] != '\0' ? ac->errstr : "connection closed");
    }
}

static void on_connect(const redisAsyncContext *ac, int status)
{
    aredis_t *a = ac->ev.data;

    if (h2o_timeout_is_linked(&a->connect_timer))
        h2o_timeout_unlink(&a->connect_timer);
    if (status != REDIS_OK && a->ac == ac) {
        a->ac = NULL;
        kv__redis_pool_mark_down(a->p, ac->errstr[0] != '\0' ? ac->errstr : "cannot connect");
    }
}

static void on_connect_timeout(h2o_timeout_entry_t *entry)
{
    aredis_t *a = H2O_STRUCT_FROM_MEMBER(aredis_t, connect_timer, entry);
    drop(a, "connect timeout");
}

/* A failed AUTH or SELECT makes the connection useless. */
static void on_handshake(void *ctx, redisReply *reply)
{
    aredis_t *a = ctx;
    if (reply != NULL && reply->type == REDIS_REPLY_ERROR) {
        char why[160];
        snprintf(why, sizeof(why), "%s", reply->str);
        log_warn("kv: redis refused the handshake", LOG_STR("error", why));
        a->connected = false;
    }
}

static bool connect_now(aredis_t *a)
{
    redisAsyncContext *ac;
    int fd;

    if (!kv__redis_pool_may_connect(a->p))
        return false;
    ac = redisAsyncConnect(a->p->host, a->p->port);
    if (ac == NULL)
        return false;
    if (ac->err != 0 || (fd = fcntl(ac->c.fd, F_DUPFD_CLOEXEC, 0)) < 0) {
        kv__redis_pool_mark_down(a->p, ac->err != 0 ? ac->errstr : "no socket");
        redisAsyncFree(ac);
        return false;
    }
    a->ac = ac;
    a->sock = h2o_evloop_socket_create((h2o_evloop_t *)a->loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    a->sock->data = a;
    a->want_write = false;
    ac->ev.data = a;
    ac->ev.addRead = ev_add_read;
    ac->ev.delRead = ev_del_read;
    ac->ev.addWrite = ev_add_write;
    ac->ev.delWrite = ev_del_write;
    ac->ev.cleanup = ev_cleanup;
    redisAsyncSetConnectCallback(ac, on_connect);
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    ev_add_write(a); /* hiredis learns the connect's outcome from writability */
    a->connect_timer.cb = on_connect_timeout;
    h2o_timeout_link(a->loop, &a->connect_timeout, &a->connect_timer);

    char db[16];
    snprintf(db, sizeof(db), "%d", a->p->db);
    if (a->p->password != NULL) {
        const char *auth[] = {"AUTH", a->p->user != NULL ? a->p->user : a->p->password, a->p->password};
        kv__redis_async_send(a->p, a->p->user != NULL ? 3 : 2, auth, NULL, on_handshake, a);
    }
    if (a->p->db != 0) {
        const char *select[] = {"SELECT", db};
        kv__redis_async_send(a->p, 2, select, NULL, on_handshake, a);
    }
    if (a->on_connected != NULL)
        a->on_connected(a->ctx);
    return a->ac != NULL;
}

/* ---- the interface ---- */

void kv__redis_async_attach(kv__redis_pool_t *p, struct st_h2o_evloop_t *loop, kv__redis_connected_cb connected,
                            void *ctx)
{
    aredis_t *a;

    if (tl.n == MAX_POOLS || of_pool(p) != NULL)
        return;
    a = core_calloc(1, sizeof(*a));
    a->p = p;
    a->loop = (h2o_loop_t *)loop;
    a->on_connected = connected;
    a->ctx = ctx;
    h2o_timeout_init(a->loop, &a->command_timeout, KV__REDIS_COMMAND_TIMEOUT_MS);
    h2o_timeout_init(a->loop, &a->connect_timeout, KV__REDIS_CONNECT_TIMEOUT_MS);
    tl.conns[tl.n++] = a;
}

void kv__redis_async_detach(kv__redis_pool_t *p)
{
    for (size_t i = 0; i < tl.n; i++) {
        aredis_t *a = tl.conns[i];
        if (a->p != p)
            continue;
        if (a->ac != NULL) {
            redisAsyncContext *ac = a->ac;
            a->ac = NULL;
            redisAsyncFree(ac);
        }
        if (h2o_timeout_is_linked(&a->connect_timer))
            h2o_timeout_unlink(&a->connect_timer);
        h2o_timeout_dispose(a->loop, &a->command_timeout);
        h2o_timeout_dispose(a->loop, &a->connect_timeout);
        free(a);
        tl.conns[i] = tl.conns[--tl.n];
        return;
    }
}

bool kv__redis_async_active(const kv__redis_pool_t *p)
{
    return core_fiber_self() != NULL && of_pool(p) != NULL;
}

void kv__redis_async_send(kv__redis_pool_t *p, int argc, const char **argv, const size_t *lens,
                          kv__redis_reply_cb cb, void *ctx)
{
    aredis_t *a = of_pool(p);
    acmd_t *c;

    if (a == NULL || a->ac == NULL) {
        if (cb != NULL)
            cb(ctx, NULL);
        return;
    }
    c = core_calloc(1, sizeof(*c));
    c->a = a;
    c->cb = cb;
    c->ctx = ctx;
    if (redisAsyncCommandArgv(a->ac, on_reply, c, argc, argv, lens) != REDIS_OK) {
        free(c);
        if (cb != NULL)
            cb(ctx, NULL);
    }
}

static void on_command_timeout(h2o_timeout_entry_t *entry)
{
    acmd_t *c = H2O_STRUCT_FROM_MEMBER(acmd_t, timer, entry);
    drop(c->a, "command timeout");
}

redisReply *kv__redis_async_command(kv__redis_pool_t *p, int argc, const char **argv, const size_t *lens)
{
    aredis_t *a = of_pool(p);
    acmd_t c = {0};

    if (a == NULL || (a->ac == NULL && !connect_now(a)))
        return NULL;
    c.a = a;
    c.fiber = core_fiber_self();
    if (redisAsyncCommandArgv(a->ac, on_reply, &c, argc, argv, lens) != REDIS_OK)
        return NULL;
    c.timer.cb = on_command_timeout;
    h2o_timeout_link(a->loop, &a->command_timeout, &c.timer);
    /* woken by drain(), only after hiredis has called on_reply for c */
    core_fiber_suspend();
    if (c.copy != NULL && c.copy->type != REDIS_REPLY_ERROR)
        kv__redis_pool_mark_up(p);
    return c.copy;
}
