/*
 * This file implements the server of http.h: one listening socket shared by
 * HTTP_THREADS event loops (h2o evloop, one h2o_context_t and one store
 * session each), the worker pool, the task writer (writer.h), and signal handling on the main thread:
 * SIGHUP reopens the access log; SIGTERM/SIGINT drain: every loop stops
 * accepting, closes idle keep-alive connections, finishes in-flight requests
 * (slow ones on workers included), then the threads are joined. The metrics
 * listener (metrics_server.c) runs beside them and stops last, so readiness
 * can be asked (and answers false) during the drain.
 */
#include "http/http.h"
#include "http/h2o_errors.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/fiber.h"
#include "core/log.h"
#include "core/mem.h"
#include "http/exchange.h"
#include "http/metrics_server.h"
#include "http/request.h"
#include "http/static.h"
#include "http/workers.h"
#include "http/writer.h"

#define DRAIN_SETTLE_MS 200 /* from closing the listener to closing idle connections */

static struct {
    h2o_globalconf_t globalconf;
    const core_config_t *cfg;
    http_thread_t *threads;
    int nthreads;
    int listen_fd;
    atomic_bool closing;  /* SIGTERM seen: answers say Connection: close, readiness is false */
    atomic_bool draining; /* the grace is over: listeners closed, in-flight requests finishing */
    atomic_int running;
    atomic_int started; /* threads[0..started) exist: http_server_live reads their heartbeats */
} server;

int http__listen(const char *host, int portnum)
{
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res;
    char port[8];
    int fd = -1, on = 1;

    snprintf(port, sizeof(port), "%d", portnum);
    int gai = getaddrinfo(host, port, &hints, &res);
    if (gai != 0) {
        log_error("cannot resolve host", LOG_STR("host", host), LOG_STR("error", gai_strerror(gai)));
        return -1;
    }
    fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) != 0 ||
        bind(fd, res->ai_addr, res->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
        log_error("cannot listen", LOG_STR("host", host), LOG_INT("port", portnum),
                  LOG_STR("error", strerror(errno)));
        if (fd >= 0)
            close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    http_thread_t *t = listener->data;

    if (err != NULL)
        return;
    /* take a few per wake-up: the other loops share this socket */
    for (int i = 0; i < 8; i++) {
        h2o_socket_t *sock = h2o_evloop_socket_accept(listener);
        if (sock == NULL)
            break;
        h2o_accept(&t->accept_ctx, sock);
    }
}

/* Loop thread: stop accepting, then make idle keep-alive connections end.
 * Connections already in the listen backlog are accepted and served first:
 * closing the socket would reset them after a proxy has sent its request.
 * h2o closes idle connections a moment later, so those just accepted have
 * their request read before they could be taken for idle ones. */
static void begin_drain(http_thread_t *t)
{
    if (t->listener != NULL) {
        h2o_socket_t *sock;
        while ((sock = h2o_evloop_socket_accept(t->listener)) != NULL)
            h2o_accept(&t->accept_ctx, sock);
        h2o_socket_read_stop(t->listener);
        h2o_socket_close(t->listener);
        t->listener = NULL;
        t->drain_started_ms = core_clock_mono_ms();
    }
    if (!t->shutdown_requested && core_clock_mono_ms() - t->drain_started_ms >= DRAIN_SETTLE_MS) {
        h2o_context_request_shutdown(&t->ctx);
        t->ctx.http1.req_timeout.timeout = 0;
        t->shutdown_requested = true;
    }
}

static void on_tick(h2o_timeout_entry_t *entry)
{
    http_thread_t *t = H2O_STRUCT_FROM_MEMBER(http_thread_t, tick, entry);

    atomic_store(&t->heartbeat_ms, core_clock_mono_ms()); /* this loop runs: see http_server_live */
    http_access_log_flush(&t->access_log);
    if (atomic_load(&server.draining))
        begin_drain(t);
    h2o_timeout_link(t->ctx.loop, &t->ctx.one_sec_timeout, &t->tick);
}

static bool drained(http_thread_t *t)
{
    return t->shutdown_requested && t->inflight == 0 && h2o_linklist_is_empty(&t->ctx.http1._conns);
}

/* Loop thread: h2o keeps per-thread state (the recycled socket buffers of
 * h2o_socket_buffer_prototype are thread-local, and a socket remembers the
 * thread whose pool its buffer came from), so the context, its message queue
 * and the listener are created, run and disposed of on the one thread that
 * runs the loop. Created on the main thread, every loop's queue socket took
 * its buffers from the main thread's pool, and two loops woken at once by
 * workers raced on that free list (ThreadSanitizer, `make tsan-test`). */
static void loop_open(http_thread_t *t)
{
    h2o_context_init(&t->ctx, (h2o_loop_t *)h2o_evloop_create(), &server.globalconf);
    if (t->fibers) {
        store_loop_attach(t->ctx.loop);
        kv_loop_attach(t->kv, t->ctx.loop);
    }
    h2o_multithread_register_receiver(t->ctx.queue, &t->done, http_request_on_done);
    t->accept_ctx.ctx = &t->ctx;
    t->accept_ctx.hosts = server.globalconf.hosts;
    t->listener = h2o_evloop_socket_create(t->ctx.loop, t->listen_fd, H2O_SOCKET_FLAG_DONT_READ);
    t->listen_fd = -1; /* the listener owns it now */
    t->listener->data = t;
    h2o_socket_read_start(t->listener, on_accept);
    t->tick.cb = on_tick;
    h2o_timeout_link(t->ctx.loop, &t->ctx.one_sec_timeout, &t->tick);
}

static void loop_close(http_thread_t *t)
{
    if (h2o_timeout_is_linked(&t->tick))
        h2o_timeout_unlink(&t->tick);
    /* h2o_context_request_shutdown() arms HTTP/2's GOAWAY resend timer for a
     * second later; we have drained sooner, and disposing a linked entry aborts */
    if (h2o_timeout_is_linked(&t->ctx.http2._graceful_shutdown_timeout))
        h2o_timeout_unlink(&t->ctx.http2._graceful_shutdown_timeout);
    if (t->listener != NULL)
        h2o_socket_close(t->listener);
    t->listener = NULL;
    h2o_multithread_unregister_receiver(t->ctx.queue, &t->done);
    if (t->fibers) {
        store_loop_detach(); /* every request has ended: no fiber is left */
        kv_loop_detach(t->kv);
        core_fiber_thread_cleanup();
    }
    h2o_loop_t *loop = t->ctx.loop;
    h2o_context_dispose(&t->ctx);
    h2o_evloop_destroy(loop);
}

static void *thread_main(void *arg)
{
    http_thread_t *t = arg;

    loop_open(t);
    while (!drained(t)) {
        h2o_evloop_run(t->ctx.loop, 100);
        if (atomic_load(&server.draining))
            begin_drain(t);
    }
    http_access_log_flush(&t->access_log);
    loop_close(t);
    atomic_store(&t->heartbeat_ms, INT64_MAX); /* ended: not late */
    atomic_fetch_sub(&server.running, 1);
    return NULL;
}

/* Main thread, before the loop starts: what can fail (the store, the dup of
 * the listening socket). */
static int thread_init(http_thread_t *t, int index, const core_config_t *cfg, kv_t *kv, unsigned services)
{
    int rc;

    t->index = index;
    t->cfg = cfg;
    t->kv = kv;
    t->services = services | (cfg->metrics_token != NULL ? API_SERVICE_METRICS : 0);
    t->listen_fd = -1;
    atomic_store(&t->heartbeat_ms, core_clock_mono_ms());
    if ((rc = store_open(cfg->database_url, &t->store)) != CORE_OK)
        return rc;
    /* PostgreSQL or Redis: requests run on fibers, and wait for answers
     * without blocking the loop; SQLite with in-process kv never waits */
    t->fibers = strcmp(t->store->ops->name, "sqlite") != 0 || strcmp(kv->ops->name, "memory") != 0;
    if ((t->listen_fd = dup(server.listen_fd)) < 0)
        return CORE_E_INTERNAL;
    return CORE_OK;
}

/* Main thread, once the loop thread has ended (or never started). */
static void thread_dispose(http_thread_t *t)
{
    if (t->cfg != NULL && t->listen_fd >= 0) /* thread_init ran, the loop did not take the socket */
        close(t->listen_fd);
    store_close(t->store);
}

static void configure_h2o(const core_config_t *cfg)
{
    h2o_config_init(&server.globalconf);
    server.globalconf.server_name = h2o_iovec_init(H2O_STRLIT("lsf-server"));
    server.globalconf.max_request_entity_size = cfg->body_limit;
    server.globalconf.http1.req_timeout = (uint64_t)cfg->request_timeout_ms;
    server.globalconf.http1.upgrade_to_http2 = 0;
    h2o_hostconf_t *host = h2o_config_register_host(&server.globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    http_static_register(path, cfg); /* before the API handler: h2o tries them in order */
    h2o_handler_t *handler = h2o_create_handler(path, sizeof(*handler));
    handler->on_req = http_request_handle;
    http_h2o_errors_register(path);
    http_h2o_errors_register(&host->fallback_path); /* h2o answers these before routing */
}

/* Wait for signals on the main thread until asked to stop. */
static void wait_for_stop(const core_config_t *cfg)
{
    sigset_t set;
    int sig;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    for (;;) {
        if (sigwait(&set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            http_access_log_reopen();
            continue;
        }
        log_info("shutting down: draining in-flight requests", LOG_STR("signal", sig == SIGTERM ? "SIGTERM" : "SIGINT"),
                 LOG_INT("grace_ms", cfg->shutdown_grace_ms));
        atomic_store(&server.closing, true);
        /* keep accepting while a proxy learns to stop sending here: every answer
         * now closes its connection, so nothing is sent on one we close later */
        for (int64_t end = core_clock_mono_ms() + cfg->shutdown_grace_ms; core_clock_mono_ms() < end;) {
            struct timespec ts = {0, 20 * 1000 * 1000};
            nanosleep(&ts, NULL);
        }
        atomic_store(&server.draining, true);
        return;
    }
}

/* Join the loops, giving up after SHUTDOWN_TIMEOUT_MS; true when all ended. */
static bool join_threads(const core_config_t *cfg)
{
    int64_t deadline = core_clock_mono_ms() + cfg->shutdown_timeout_ms;

    while (atomic_load(&server.running) > 0 && core_clock_mono_ms() < deadline) {
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    if (atomic_load(&server.running) > 0) {
        log_error("shutdown timeout: requests still in flight are abandoned",
                  LOG_INT("timeout_ms", cfg->shutdown_timeout_ms));
        /* the process ends without them: the loops that did stop are
         * released now, the others with the process */
        for (int i = 0; i < server.nthreads; i++)
            pthread_detach(server.threads[i].tid);
        return false;
    }
    for (int i = 0; i < server.nthreads; i++)
        pthread_join(server.threads[i].tid, NULL);
    return true;
}

bool http_server_draining(void)
{
    return atomic_load(&server.closing);
}

bool http_server_live(int *loop, int64_t *late_ms)
{
    int n = atomic_load(&server.started);
    int64_t now = core_clock_mono_ms();

    for (int i = 0; i < n; i++) {
        int64_t beat = atomic_load(&server.threads[i].heartbeat_ms);
        if (beat != INT64_MAX && now - beat > server.cfg->liveness_stall_ms) {
            *loop = i;
            *late_ms = now - beat;
            return false;
        }
    }
    return true;
}

int http_server_run(const core_config_t *cfg, kv_t *kv, unsigned services)
{
    sigset_t set;
    int rc = -1, started = 0;
    bool clean = true;

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    server.cfg = cfg;
    configure_h2o(cfg);
    if ((server.listen_fd = http__listen(cfg->host, cfg->port)) < 0)
        goto out;
    if (http_workers_start(cfg) != CORE_OK || http_writer_start(cfg) != CORE_OK)
        goto out;
    server.nthreads = cfg->http_threads;
    server.threads = core_calloc((size_t)server.nthreads, sizeof(*server.threads));
    for (int i = 0; i < server.nthreads; i++)
        if (thread_init(&server.threads[i], i, cfg, kv, services) != CORE_OK)
            goto out;
    core_metrics_server_start(cfg, kv);
    atomic_store(&server.started, server.nthreads); /* every heartbeat is set: thread_init */
    for (; started < server.nthreads; started++) {
        atomic_fetch_add(&server.running, 1);
        if (pthread_create(&server.threads[started].tid, NULL, thread_main, &server.threads[started]) != 0) {
            atomic_fetch_sub(&server.running, 1);
            log_error("cannot start event-loop thread");
            atomic_store(&server.closing, true);
            atomic_store(&server.draining, true);
            break;
        }
    }
    if (started == server.nthreads) {
        log_info("listening", LOG_STR("host", cfg->host), LOG_INT("port", cfg->port),
                 LOG_INT("http_threads", cfg->http_threads), LOG_INT("worker_threads", cfg->worker_threads));
        wait_for_stop(cfg);
        rc = 0;
    }
    close(server.listen_fd);
    server.listen_fd = -1;
    clean = join_threads(cfg);
    if (!clean)
        return HTTP_SERVER_ABANDONED; /* threads still run: leave their state alone, the process exits */
out:
    core_metrics_server_stop();
    atomic_store(&server.started, 0);
    http_workers_stop();
    http_writer_stop();
    for (int i = 0; i < server.nthreads && server.threads != NULL; i++)
        thread_dispose(&server.threads[i]);
    free(server.threads);
    if (server.listen_fd >= 0)
        close(server.listen_fd);
    h2o_config_dispose(&server.globalconf);
    return rc;
}
