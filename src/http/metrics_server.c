/*
 * This file implements the metrics listener of metrics_server.h: one thread
 * running an h2o event loop with a host configuration of its own, whose only
 * handler maps three paths onto the API handlers (api_metrics,
 * api_health_live, api_health_ready) with a minimal api_req_t. Requests here
 * are not counted in http_request_duration_seconds: scrapes would otherwise
 * measure themselves. With PostgreSQL or Redis they run on fibers, like the
 * API's (request.c), so a readiness probe that waits for the database never
 * holds up a liveness probe.
 */
#include "http/metrics_server.h"

#include <h2o.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/fiber.h"
#include "core/log.h"
#include "http/exchange.h"
#include "http/framing.h"

#define STOP_WAIT_MS 2000

static struct {
    h2o_globalconf_t conf;
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx;
    h2o_socket_t *listener;
    const core_config_t *cfg;
    kv_t *kv;
    store_t *store;
    pthread_t tid;
    atomic_bool stopping;
    bool started;
    bool fibers; /* requests run on fibers (the store or kv waits on the network) */
    long inflight;
} ms;

static api_handler_cb find_handler(h2o_req_t *req)
{
    static const struct {
        const char *path;
        api_handler_cb handler;
    } paths[] = {{"/metrics", api_metrics}, {"/health/live", api_health_live}, {"/health/ready", api_health_ready}};
    core_str_t path = core_str(req->path_normalized.base, req->path_normalized.len);
    core_str_t method = core_str(req->method.base, req->method.len);

    if (!core_str_eq(method, CORE_STR_LIT("GET")) && !core_str_eq(method, CORE_STR_LIT("HEAD")))
        return NULL;
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        if (core_str_eq(path, core_str_c(paths[i].path)))
            return paths[i].handler;
    return NULL;
}

static void run(void *arg)
{
    h2o_req_t *req = arg;
    api_handler_cb handler = find_handler(req);
    core_pool_t pool;
    api_req_t a = {.cfg = ms.cfg, .store = ms.store, .kv = ms.kv, .request_id = "-"};
    char *json = NULL;
    const char *body, *type = "application/json; charset=utf-8";

    core_pool_init(&pool);
    a.pool = &pool;
    ssize_t accept = h2o_find_header(&req->headers, H2O_TOKEN_ACCEPT, -1);
    if (accept >= 0)
        a.accept = core_str(req->headers.entries[accept].value.base, req->headers.entries[accept].value.len);
    a.now_ms = core_clock_now_ms();
    const char *why = NULL;
    int rc = http_framing_check(req, &why); /* a body framed two ways: 400, and the connection closes */
    if (rc == CORE_OK)
        rc = handler != NULL ? handler(&a) : CORE_E_NOT_FOUND;
    if (rc != CORE_OK) {
        api_reply(&a, json_pack("{s:b, s:s}", "success", 0, "message", why != NULL ? why : core_error_message(rc)));
        json = json_dumps(a.reply, JSON_COMPACT);
        req->res.status = core_error_status(rc);
    } else if (a.reply_text != NULL) {
        req->res.status = 200;
        type = a.reply_type != NULL ? a.reply_type : "text/plain; charset=utf-8";
    } else {
        json = json_dumps(a.reply, JSON_COMPACT);
        req->res.status = a.status != 0 ? a.status : 200;
    }
    body = json != NULL ? json : a.reply_text;
    req->res.reason = req->res.status == 200   ? "OK"
                      : req->res.status == 400 ? "Bad Request"
                      : req->res.status == 404 ? "Not Found"
                                               : "Service Unavailable";
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, type, strlen(type));
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, H2O_STRLIT("no-store"));
    req->res.content_length = body != NULL ? strlen(body) : 0;
    h2o_send_inline(req, body != NULL ? body : "", req->res.content_length); /* copies */
    free(json);
    json_decref(a.reply);
    core_pool_cleanup(&pool);
    ms.inflight--;
}

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    ms.inflight++;
    if (ms.fibers)
        core_fiber_start(run, req);
    else
        run(req);
    return 0;
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    h2o_socket_t *sock;

    if (err == NULL && (sock = h2o_evloop_socket_accept(listener)) != NULL)
        h2o_accept(&ms.accept_ctx, sock);
}

static void *thread_main(void *arg)
{
    h2o_evloop_t *loop = ms.ctx.loop;
    int64_t deadline;

    (void)arg;
    if (ms.fibers) {
        store_loop_attach(loop);
        kv_loop_attach(ms.kv, loop);
    }
    while (!atomic_load(&ms.stopping))
        h2o_evloop_run(loop, 100);
    /* stop accepting; idle keep-alive connections time out at once */
    h2o_socket_read_stop(ms.listener);
    h2o_socket_close(ms.listener);
    ms.listener = NULL;
    ms.ctx.http1.req_timeout.timeout = 0;
    deadline = core_clock_mono_ms() + STOP_WAIT_MS;
    while ((ms.inflight > 0 || !h2o_linklist_is_empty(&ms.ctx.http1._conns)) && core_clock_mono_ms() < deadline)
        h2o_evloop_run(loop, 10);
    if (ms.fibers && ms.inflight == 0) { /* else a probe still waits: leave it all to the process exit */
        store_loop_detach();
        kv_loop_detach(ms.kv);
        core_fiber_thread_cleanup();
    }
    return NULL;
}

/* Free the loop, its configuration and the store; the thread is not running. */
static void dispose(void)
{
    h2o_loop_t *loop = ms.ctx.loop;

    if (ms.listener != NULL)
        h2o_socket_close(ms.listener);
    ms.listener = NULL;
    if (!h2o_linklist_is_empty(&ms.ctx.http1._conns) || ms.inflight > 0)
        return; /* a client would not let go: leave it to the process exit */
    h2o_context_dispose(&ms.ctx);
    h2o_evloop_destroy(loop);
    h2o_config_dispose(&ms.conf);
    store_close(ms.store);
    ms.store = NULL;
}

void core_metrics_server_start(const core_config_t *cfg, kv_t *kv)
{
    int fd = -1;

    if (cfg->metrics_port == 0)
        return;
    ms.cfg = cfg;
    ms.kv = kv;
    ms.inflight = 0;
    if ((fd = http__listen(cfg->metrics_host, cfg->metrics_port)) < 0 ||
        store_open(cfg->database_url, &ms.store) != CORE_OK) {
        log_error("metrics listener disabled", LOG_STR("host", cfg->metrics_host), LOG_INT("port", cfg->metrics_port));
        if (fd >= 0)
            close(fd);
        return;
    }
    ms.fibers = strcmp(ms.store->ops->name, "sqlite") != 0 || strcmp(kv->ops->name, "memory") != 0;
    h2o_config_init(&ms.conf);
    ms.conf.server_name = h2o_iovec_init(H2O_STRLIT("lsf-server"));
    ms.conf.http1.req_timeout = (uint64_t)cfg->request_timeout_ms;
    h2o_hostconf_t *host = h2o_config_register_host(&ms.conf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
    h2o_create_handler(path, sizeof(h2o_handler_t))->on_req = on_req;
    h2o_context_init(&ms.ctx, (h2o_loop_t *)h2o_evloop_create(), &ms.conf);
    ms.accept_ctx.ctx = &ms.ctx;
    ms.accept_ctx.hosts = ms.conf.hosts;
    ms.listener = h2o_evloop_socket_create(ms.ctx.loop, fd, H2O_SOCKET_FLAG_DONT_READ);
    h2o_socket_read_start(ms.listener, on_accept);
    if (pthread_create(&ms.tid, NULL, thread_main, NULL) != 0) {
        log_error("cannot start the metrics thread: metrics listener disabled");
        dispose();
        return;
    }
    ms.started = true;
    log_info("metrics listening", LOG_STR("host", cfg->metrics_host), LOG_INT("port", cfg->metrics_port));
}

void core_metrics_server_stop(void)
{
    if (!ms.started)
        return;
    atomic_store(&ms.stopping, true);
    pthread_join(ms.tid, NULL);
    ms.started = false;
    dispose();
}
