/*
 * This file implements the PostgreSQL connections of an event loop: libpq
 * in non-blocking pipeline mode, driven by the loop's sockets and timers,
 * for store operations that run on a fiber of that loop (core/fiber.h). A
 * store operation there looks like the blocking one: it borrows a
 * connection, runs statements and gives it back; each statement is sent,
 * the fiber suspends, and the loop goes on serving until the socket
 * callback has read the statement's results and wakes it.
 *
 * Per loop and per pool (the primary, each replica) there is:
 * - one shared connection for the single statements of every request of
 *   the loop: each is sent with its Sync (so one failing statement never
 *   aborts another), the sends of one loop iteration leave in one write
 *   (flushed by a zero timer at the end of the iteration), and results are
 *   matched to their fibers in order, so any number of requests have
 *   statements in flight on one connection and one server process;
 * - up to max(2, DB_POOL_MAX / HTTP_THREADS) exclusive connections for
 *   transactions (store_pg_begin) and searches (planned for their values,
 *   which switches the session's plan_cache_mode), borrowed by one fiber at
 *   a time; a fiber waits at most DB_POOL_ACQUIRE_TIMEOUT_MS for one (or for
 *   a connection being made), then gets CORE_E_UNAVAILABLE.
 *
 * Connections are made with PQconnectStartParams (the settings of
 * pool.c: jit off, statement_timeout, and plan_cache_mode =
 * force_generic_plan, which conn.c explains) and PQconnectPoll, within
 * DB_CONNECT_TIMEOUT_MS. libpq may move to another socket while it tries
 * the hosts of a multi-host URL (target_session_attrs=read-write), so the
 * loop watches a dup of whichever socket libpq has now: closing the dup
 * never closes libpq's. A statement whose answer has not come
 * DB_STATEMENT_TIMEOUT_MS + QUERY_MARGIN_MS after it was sent (the server
 * is frozen or the network lost; PostgreSQL's own statement_timeout
 * answers sooner in every other case) fails its connection: every fiber
 * waiting on it gets CORE_E_UNAVAILABLE, and the next statement makes a
 * new connection. A connection object lives until its last borrower gives
 * it back, so a fiber woken by a failure may still look at it.
 */
#include <errno.h>
#include <fcntl.h>
#include <h2o.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/fiber.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/postgres/postgres.h"

#define QUERY_MARGIN_MS 1000
#define NO_STATEMENT_TIMEOUT_MS (24 * 3600 * 1000) /* statement_timeout 0: only a dead TCP connection ends a wait */
#define MAX_POOLS 17                               /* the primary and MAX_REPLICAS of pool.c */

typedef struct aconn aconn_t;
typedef struct apool apool_t;

/* A fiber waiting for an event, at most until its timer fires. */
typedef struct waiter {
    core_fiber_t *fiber;
    h2o_timeout_entry_t timer;
    struct waiter *next;
    bool woken;   /* by the event, not the timer */
    aconn_t *got; /* the connection handed over, if any */
} waiter_t;

/* One statement sent on a connection, waiting for its results. */
typedef struct areq {
    waiter_t w;
    PGresult *result; /* the last good result, or the first error */
    bool error;       /* result is an error */
    bool lost;        /* the connection failed before the Sync came */
    const char *prepared; /* the statement name it prepared, or NULL */
    struct areq *next;
} areq_t;

enum aconn_state { A_CONNECTING, A_READY, A_DEAD };

struct aconn {
    apool_t *ap;
    PGconn *pg;
    h2o_socket_t *sock; /* watches a dup of libpq's socket */
    int libpq_fd;       /* the socket that dup mirrors */
    enum aconn_state state;
    bool shared, want_write;
    int refs;               /* borrowers, and the pool while it keeps it */
    areq_t *head, *tail;    /* sent, in order */
    waiter_t *ready_waiters; /* fibers waiting for the connection to be made */
    h2o_timeout_entry_t connect_timer, flush_entry;
    aconn_t *next_idle;
    char error[160]; /* why it failed, for the log and the caller */
};

struct apool {
    store_pg_pool_t *pool;
    aconn_t *shared;
    aconn_t *idle; /* exclusive ones, given back */
    int open;      /* exclusive ones existing or being made */
    int max;
    waiter_t *waiters, *waiters_tail; /* fibers waiting for an exclusive one */
};

/* A borrowed connection as the store's operations see it. */
typedef struct ahandle {
    store_pg_conn_t base;
    aconn_t *c;
} ahandle_t;

static _Thread_local struct {
    h2o_loop_t *loop;
    bool timers;
    h2o_timeout_t query, connect, acquire, zero;
    apool_t *pools[MAX_POOLS];
    size_t npools;
} tl;

static void conn_fail(aconn_t *c, const char *why);
static void on_readable(h2o_socket_t *sock, const char *err);

/* ---- waiting ---- */

static void waiter_expired(h2o_timeout_entry_t *entry)
{
    waiter_t *w = H2O_STRUCT_FROM_MEMBER(waiter_t, timer, entry);
    core_fiber_wake(w->fiber);
}

/* Suspend the running fiber until waiter_wake(w) or timeout; true when
 * woken by the event. The caller has put w on the list it waits on and
 * takes it off when the timer won. */
static bool waiter_wait(waiter_t *w, h2o_timeout_t *timeout)
{
    w->fiber = core_fiber_self();
    w->woken = false;
    w->timer = (h2o_timeout_entry_t){.cb = waiter_expired};
    h2o_timeout_link(tl.loop, timeout, &w->timer);
    core_fiber_suspend();
    if (h2o_timeout_is_linked(&w->timer))
        h2o_timeout_unlink(&w->timer);
    return w->woken;
}

static void waiter_wake(waiter_t *w)
{
    w->woken = true;
    if (h2o_timeout_is_linked(&w->timer))
        h2o_timeout_unlink(&w->timer);
    core_fiber_wake(w->fiber);
}

static void list_remove(waiter_t **head, waiter_t *w)
{
    for (waiter_t **p = head; *p != NULL; p = &(*p)->next)
        if (*p == w) {
            *p = w->next;
            return;
        }
}

/* ---- the thread ---- */

static void timers_init(const store_pg_pool_t *p)
{
    int64_t st = store_pg_pool_setting(p, STORE_PG_SET_STATEMENT_TIMEOUT);

    if (tl.timers)
        return;
    h2o_timeout_init(tl.loop, &tl.query, (uint64_t)(st > 0 ? st + QUERY_MARGIN_MS : NO_STATEMENT_TIMEOUT_MS));
    h2o_timeout_init(tl.loop, &tl.connect, (uint64_t)store_pg_pool_setting(p, STORE_PG_SET_CONNECT_TIMEOUT));
    h2o_timeout_init(tl.loop, &tl.acquire, (uint64_t)store_pg_pool_setting(p, STORE_PG_SET_ACQUIRE_TIMEOUT));
    h2o_timeout_init(tl.loop, &tl.zero, 0);
    tl.timers = true;
}

void store_pg_loop_attach(struct st_h2o_evloop_t *loop)
{
    tl.loop = loop;
}

bool store_pg_async_active(void)
{
    return tl.loop != NULL && core_fiber_self() != NULL;
}

static apool_t *apool_of(store_pg_pool_t *p)
{
    for (size_t i = 0; i < tl.npools; i++)
        if (tl.pools[i]->pool == p)
            return tl.pools[i];
    if (tl.npools == MAX_POOLS)
        return NULL;
    timers_init(p);
    apool_t *ap = core_calloc(1, sizeof(*ap));
    ap->pool = p;
    ap->max = (int)store_pg_pool_setting(p, STORE_PG_SET_LOOP_MAX);
    tl.pools[tl.npools++] = ap;
    return ap;
}

/* ---- connections ---- */

static void conn_unref(aconn_t *c)
{
    if (--c->refs > 0)
        return;
    if (h2o_timeout_is_linked(&c->connect_timer))
        h2o_timeout_unlink(&c->connect_timer);
    if (h2o_timeout_is_linked(&c->flush_entry))
        h2o_timeout_unlink(&c->flush_entry);
    if (c->sock != NULL)
        h2o_socket_close(c->sock);
    PQfinish(c->pg);
    free(c);
}

/* Watch libpq's socket now (it may have moved to another host's). */
static bool conn_watch(aconn_t *c)
{
    int fd = PQsocket(c->pg);

    if (c->sock != NULL && fd == c->libpq_fd)
        return true;
    if (c->sock != NULL) {
        h2o_socket_close(c->sock);
        c->sock = NULL;
        c->want_write = false;
    }
    int dup_fd = fd >= 0 ? fcntl(fd, F_DUPFD_CLOEXEC, 0) : -1;
    if (dup_fd < 0)
        return false;
    c->sock = h2o_evloop_socket_create((h2o_evloop_t *)tl.loop, dup_fd, H2O_SOCKET_FLAG_DONT_READ);
    c->sock->data = c;
    c->libpq_fd = fd;
    return true;
}

static void conn_ready_wake_all(aconn_t *c)
{
    waiter_t *w;
    while ((w = c->ready_waiters) != NULL) {
        c->ready_waiters = w->next;
        waiter_wake(w);
    }
}

static void on_connect_event(h2o_socket_t *sock, const char *err);

/* Drive PQconnectPoll one step and wait for what it asks. */
static void connect_step(aconn_t *c)
{
    PostgresPollingStatusType st = PQconnectPoll(c->pg);

    if (st == PGRES_POLLING_FAILED) {
        char msg[160];
        snprintf(msg, sizeof(msg), "%s", PQerrorMessage(c->pg));
        msg[strcspn(msg, "\n")] = '\0';
        conn_fail(c, msg);
        return;
    }
    if (st == PGRES_POLLING_OK) {
        if (PQsetnonblocking(c->pg, 1) != 0 || PQenterPipelineMode(c->pg) != 1) {
            conn_fail(c, "cannot enter pipeline mode");
            return;
        }
        h2o_timeout_unlink(&c->connect_timer);
        store_pg_conn_prepare_session(c->pg, true);
        c->state = A_READY;
        h2o_socket_read_start(c->sock, on_readable);
        conn_ready_wake_all(c);
        return;
    }
    if (!conn_watch(c)) {
        conn_fail(c, "no socket");
        return;
    }
    if (st == PGRES_POLLING_WRITING) {
        if (h2o_socket_is_reading(c->sock))
            h2o_socket_read_stop(c->sock);
        if (!c->want_write) {
            c->want_write = true;
            h2o_socket_notify_write(c->sock, on_connect_event);
        }
    } else {
        h2o_socket_read_start(c->sock, on_connect_event);
    }
}

static void on_connect_event(h2o_socket_t *sock, const char *err)
{
    aconn_t *c = sock->data;

    (void)err; /* PQconnectPoll finds out what went wrong */
    c->want_write = false;
    if (c->state == A_CONNECTING)
        connect_step(c);
}

static void on_connect_timeout(h2o_timeout_entry_t *entry)
{
    aconn_t *c = H2O_STRUCT_FROM_MEMBER(aconn_t, connect_timer, entry);
    conn_fail(c, "connect timeout");
}

static aconn_t *conn_start(apool_t *ap, bool shared)
{
    aconn_t *c = core_calloc(1, sizeof(*c));

    c->ap = ap;
    c->shared = shared;
    c->refs = 1;
    c->libpq_fd = -1;
    c->state = A_CONNECTING;
    c->connect_timer.cb = on_connect_timeout;
    c->pg = store_pg_connect_start(store_pg_pool_url(ap->pool), ap->pool);
    if (c->pg == NULL || PQstatus(c->pg) == CONNECTION_BAD) {
        conn_fail(c, c->pg != NULL ? "cannot start a connection" : "out of memory");
        return c;
    }
    h2o_timeout_link(tl.loop, &tl.connect, &c->connect_timer);
    connect_step(c);
    return c;
}

/* Wait until c is made (bounded by the acquire timeout); CORE_OK or
 * CORE_E_UNAVAILABLE. */
static int conn_wait_ready(aconn_t *c)
{
    waiter_t w = {0};

    if (c->state == A_CONNECTING) {
        w.next = c->ready_waiters;
        c->ready_waiters = &w;
        if (!waiter_wait(&w, &tl.acquire))
            list_remove(&c->ready_waiters, &w);
    }
    return c->state == A_READY ? CORE_OK : CORE_E_UNAVAILABLE;
}

/* The connection is lost: every fiber waiting on it learns it now. */
static void conn_fail(aconn_t *c, const char *why)
{
    char host[128];

    if (c->state == A_DEAD)
        return;
    bool was_ready = c->state == A_READY;
    c->state = A_DEAD;
    snprintf(c->error, sizeof(c->error), "%s", why);
    store_pg_url_host(store_pg_pool_url(c->ap->pool), host, sizeof(host));
    log_warn(was_ready ? "postgres: connection lost" : "postgres: cannot connect", LOG_STR("host", host),
             LOG_STR("error", why));
    store_pg_pool_mark_down(c->ap->pool);
    if (h2o_timeout_is_linked(&c->connect_timer))
        h2o_timeout_unlink(&c->connect_timer);
    if (c->sock != NULL) {
        h2o_socket_close(c->sock);
        c->sock = NULL;
    }
    c->refs++; /* the wake-ups below may give it back */
    if (c->ap->shared == c) {
        c->ap->shared = NULL;
        conn_unref(c);
    }
    areq_t *r = c->head;
    c->head = c->tail = NULL;
    while (r != NULL) {
        areq_t *next = r->next;
        r->lost = true;
        waiter_wake(&r->w);
        r = next;
    }
    conn_ready_wake_all(c);
    conn_unref(c);
}

/* ---- statements ---- */

static void on_writable(h2o_socket_t *sock, const char *err);

static void conn_flush(aconn_t *c)
{
    int rc;

    if (c->state != A_READY || c->want_write)
        return;
    rc = PQflush(c->pg);
    if (rc < 0) {
        conn_fail(c, "write failed");
    } else if (rc > 0) {
        c->want_write = true;
        h2o_socket_notify_write(c->sock, on_writable);
    }
}

static void on_writable(h2o_socket_t *sock, const char *err)
{
    aconn_t *c = sock->data;

    c->want_write = false;
    if (err != NULL)
        conn_fail(c, err);
    else
        conn_flush(c);
}

static void on_flush_due(h2o_timeout_entry_t *entry)
{
    conn_flush(H2O_STRUCT_FROM_MEMBER(aconn_t, flush_entry, entry));
}

/* The results of the statement at the head, up to its Sync. */
static void take_result(aconn_t *c, PGresult *res)
{
    areq_t *r = c->head;
    ExecStatusType st = PQresultStatus(res);

    if (st == PGRES_PIPELINE_SYNC) {
        PQclear(res);
        c->head = r->next;
        if (c->head == NULL)
            c->tail = NULL;
        if (h2o_timeout_is_linked(&r->w.timer))
            h2o_timeout_unlink(&r->w.timer);
        waiter_wake(&r->w);
        return;
    }
    if (st == PGRES_PIPELINE_ABORTED || r->error) {
        PQclear(res); /* the first error is the one that counts */
        return;
    }
    PQclear(r->result);
    r->result = res;
    r->error = st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK;
}

static void on_readable(h2o_socket_t *sock, const char *err)
{
    aconn_t *c = sock->data;
    int nulls = 0;

    if (err != NULL || PQconsumeInput(c->pg) == 0) {
        char msg[160];
        snprintf(msg, sizeof(msg), "%s", err != NULL ? err : PQerrorMessage(c->pg));
        msg[strcspn(msg, "\n")] = '\0';
        conn_fail(c, msg);
        return;
    }
    c->refs++;
    while (c->state == A_READY && c->head != NULL && !PQisBusy(c->pg)) {
        PGresult *res = PQgetResult(c->pg);
        if (res == NULL) {
            if (++nulls > 1)
                break; /* nothing more to read now */
            continue;
        }
        nulls = 0;
        take_result(c, res);
    }
    if (c->state == A_READY && c->head == NULL && PQstatus(c->pg) != CONNECTION_OK)
        conn_fail(c, "connection closed");
    conn_unref(c);
}

PGresult *store_pg_async_exec(store_pg_conn_t *base, const char *sql, int n, const char *const *params,
                              const unsigned *types, bool prepare, char *error, size_t error_size)
{
    ahandle_t *h = (ahandle_t *)base;
    aconn_t *c = h->c;
    areq_t r = {0};
    char name[24] = "";
    bool is_new = false;
    int sent;

    error[0] = '\0';
    if (conn_wait_ready(c) != CORE_OK)
        goto lost;
    if (prepare && store_pg_stmt_name(c->pg, sql, n, types, name, &is_new) != CORE_OK)
        name[0] = '\0';
    if (name[0] != '\0' && is_new && PQsendPrepare(c->pg, name, sql, n, types) != 1)
        goto send_failed;
    if (name[0] != '\0')
        sent = PQsendQueryPrepared(c->pg, name, n, params, NULL, NULL, 0);
    else
        sent = PQsendQueryParams(c->pg, sql, n, types, params, NULL, NULL, 0);
    if (sent != 1 || PQpipelineSync(c->pg) != 1)
        goto send_failed;
    r.prepared = is_new ? name : NULL;
    r.next = NULL;
    if (c->tail != NULL)
        c->tail->next = &r;
    else
        c->head = &r;
    c->tail = &r;
    if (!h2o_timeout_is_linked(&c->flush_entry)) {
        c->flush_entry.cb = on_flush_due;
        h2o_timeout_link(tl.loop, &tl.zero, &c->flush_entry);
    }
    c->refs++;
    if (!waiter_wait(&r.w, &tl.query)) {
        /* no answer in time: the server is frozen or gone; r leaves the
         * list first, so the failure below wakes only the others */
        areq_t **pp = &c->head, *prev = NULL;
        while (*pp != &r) {
            prev = *pp;
            pp = &(*pp)->next;
        }
        *pp = r.next;
        if (c->tail == &r)
            c->tail = prev;
        conn_fail(c, "no answer from the server within the statement timeout");
        r.lost = true;
    }
    if (r.error && r.prepared != NULL)
        store_pg_stmt_forget(c->pg, r.prepared);
    conn_unref(c);
    if (r.lost) {
        PQclear(r.result);
        goto lost;
    }
    return r.result;
send_failed:
    snprintf(error, error_size, "%s", PQerrorMessage(c->pg));
    error[strcspn(error, "\n")] = '\0';
    conn_fail(c, error);
lost:
    h->base.broken = true;
    if (error[0] == '\0')
        snprintf(error, error_size, "%s", c->error[0] != '\0' ? c->error : "no connection");
    return NULL;
}

/* ---- borrowing ---- */

/* An exclusive connection of ap, waiting at most the acquire timeout. */
static int take_exclusive(apool_t *ap, aconn_t **out)
{
    waiter_t w;
    aconn_t *c;

    *out = NULL;
    for (;;) {
        while ((c = ap->idle) != NULL) {
            ap->idle = c->next_idle;
            if (c->state == A_READY && PQtransactionStatus(c->pg) == PQTRANS_IDLE) {
                *out = c;
                return CORE_OK;
            }
            ap->open--;
            conn_unref(c);
        }
        if (ap->open < ap->max) {
            ap->open++;
            c = conn_start(ap, false);
            if (conn_wait_ready(c) == CORE_OK) {
                *out = c;
                return CORE_OK;
            }
            ap->open--;
            conn_unref(c);
            return CORE_E_UNAVAILABLE;
        }
        w = (waiter_t){0};
        if (ap->waiters_tail != NULL)
            ap->waiters_tail->next = &w;
        else
            ap->waiters = &w;
        ap->waiters_tail = &w;
        if (!waiter_wait(&w, &tl.acquire)) {
            waiter_t *prev = NULL;
            for (waiter_t *p = ap->waiters; p != NULL && p != &w; p = p->next)
                prev = p;
            if (prev != NULL)
                prev->next = w.next;
            else
                ap->waiters = w.next;
            if (ap->waiters_tail == &w)
                ap->waiters_tail = prev;
            log_warn("postgres: no free connection in time", LOG_BOOL("replica", store_pg_pool_is_replica(ap->pool)),
                     LOG_INT("loop_max", ap->max),
                     LOG_INT("timeout_ms", store_pg_pool_setting(ap->pool, STORE_PG_SET_ACQUIRE_TIMEOUT)));
            return CORE_E_UNAVAILABLE;
        }
        if (w.got != NULL) {
            *out = w.got;
            return CORE_OK;
        }
        /* a slot was freed: try again */
    }
}

/* The first fiber waiting for an exclusive connection of ap, taken off. */
static waiter_t *first_waiter(apool_t *ap)
{
    waiter_t *w = ap->waiters;
    if (w != NULL) {
        ap->waiters = w->next;
        if (ap->waiters == NULL)
            ap->waiters_tail = NULL;
    }
    return w;
}

static void give_back_exclusive(ahandle_t *h)
{
    aconn_t *c = h->c;
    apool_t *ap = c->ap;
    waiter_t *w;

    if (c->state == A_READY && !h->base.broken && PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
        char error[160];
        PGresult *r = store_pg_async_exec(&h->base, "ROLLBACK", 0, NULL, NULL, false, error, sizeof(error));
        if (r == NULL || PQresultStatus(r) != PGRES_COMMAND_OK)
            conn_fail(c, "rollback failed");
        PQclear(r);
    }
    if (c->state != A_READY || h->base.broken) {
        conn_fail(c, c->error[0] != '\0' ? c->error : "connection broken");
        ap->open--;
        conn_unref(c);
        if ((w = first_waiter(ap)) != NULL)
            waiter_wake(w); /* a slot is free: it makes a connection */
        return;
    }
    if ((w = first_waiter(ap)) != NULL) {
        w->got = c;
        waiter_wake(w);
        return;
    }
    c->next_idle = ap->idle;
    ap->idle = c;
}

int store_pg_async_acquire(store_pg_pool_t *p, bool exclusive, store_pg_conn_t **out)
{
    apool_t *ap = apool_of(p);
    aconn_t *c = NULL;
    int rc = CORE_E_UNAVAILABLE;

    *out = NULL;
    if (ap == NULL)
        return rc;
    if (exclusive) {
        if ((rc = take_exclusive(ap, &c)) != CORE_OK)
            return rc;
    } else {
        if (ap->shared == NULL) {
            c = conn_start(ap, true);
            if (c->state == A_DEAD) {
                conn_unref(c);
                return rc;
            }
            ap->shared = c;
        }
        c = ap->shared;
        c->refs++;
        if ((rc = conn_wait_ready(c)) != CORE_OK) {
            conn_unref(c);
            return rc;
        }
    }
    ahandle_t *h = core_calloc(1, sizeof(*h));
    h->c = c;
    h->base.pg = c->pg;
    h->base.pool = p;
    h->base.async = true;
    *out = &h->base;
    return CORE_OK;
}

int store_pg_async_exclusive(store_pg_conn_t *base)
{
    ahandle_t *h = (ahandle_t *)base;
    aconn_t *x;
    int rc;

    if (!h->c->shared)
        return CORE_OK;
    if ((rc = take_exclusive(h->c->ap, &x)) != CORE_OK)
        return rc;
    conn_unref(h->c);
    h->c = x;
    h->base.pg = x->pg;
    h->base.broken = false;
    return CORE_OK;
}

void store_pg_async_release(store_pg_conn_t *base)
{
    ahandle_t *h = (ahandle_t *)base;

    if (h->c->shared)
        conn_unref(h->c);
    else
        give_back_exclusive(h);
    free(h);
}

void store_pg_loop_detach(void)
{
    for (size_t i = 0; i < tl.npools; i++) {
        apool_t *ap = tl.pools[i];
        aconn_t *c;
        if (ap->shared != NULL)
            conn_unref(ap->shared);
        while ((c = ap->idle) != NULL) {
            ap->idle = c->next_idle;
            conn_unref(c);
        }
        free(ap);
    }
    tl.npools = 0;
    if (tl.timers) {
        h2o_timeout_dispose(tl.loop, &tl.query);
        h2o_timeout_dispose(tl.loop, &tl.connect);
        h2o_timeout_dispose(tl.loop, &tl.acquire);
        h2o_timeout_dispose(tl.loop, &tl.zero);
        tl.timers = false;
    }
    tl.loop = NULL;
}
