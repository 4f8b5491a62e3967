/*
 * One request/response exchange as the HTTP layer tracks it from the moment
 * h2o hands over a request until the response is sent and logged. Internal to
 * src/http/. An exchange is owned by the event-loop thread that received it,
 * except while a worker or the task writer runs its handler: then only that
 * thread touches it, and never its h2o request (see http_exchange_detach).
 *
 * The h2o_req_t belongs to h2o and to the loop: its pool (and, for a request
 * without a body, the connection's input buffer that its path and headers
 * point into) lives until h2o disposes of the request, on the loop, when the
 * response has been sent or the connection closes. h2o 2.2.5 stops reading an
 * HTTP/1 connection while its request is handled, so it does not notice a
 * client that hangs up before the answer is written; the exchange still
 * registers on the request's pool (x->alive) and http_exchange_respond
 * checks it, so an answer for a request h2o has let go is dropped instead of
 * written into freed memory.
 */
#ifndef HTTP_EXCHANGE_H
#define HTTP_EXCHANGE_H

#include <h2o.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"
#include "http/access_log.h"
#include "http/idempotency.h"
#include "http/trace.h"
#include "core/log.h"
#include "core/pool.h"

typedef struct http_thread http_thread_t;

/* What the rate-limit phase (ratelimit.c) leaves for the response. */
typedef struct http_rate {
    bool applied;     /* RateLimit-* headers must be sent (of the bucket that refused, else the tightest) */
    long limit;
    long remaining;
    int64_t reset_ms;       /* from now */
    int64_t retry_after_ms; /* > 0: the limiter refused the request; send Retry-After */
    const char *refused_by; /* the limit that answered 429 ("api", "user", "auth"), named in the body; or NULL */
    char undo_key[96];      /* failed-attempts counter to take back if the request succeeds */
} http_rate_t;

#define HTTP_REQUEST_ID_SIZE 129 /* 128 characters and the NUL */

typedef struct http_exchange {
    h2o_multithread_message_t msg; /* first: workers post the exchange back by this */
    h2o_req_t *req;     /* NULL once h2o disposed of it (loop thread only) */
    struct http_exchange **alive; /* in req's pool: points back at x until either goes */
    http_thread_t *thread;
    core_pool_t pool;
    api_req_t api;
    int code;             /* handler or pipeline result: CORE_OK or CORE_E_* */
    unsigned allowed;     /* methods for Allow on 405 / OPTIONS */
    int64_t started_ns;
    http_rate_t rate;
    http_idempotency_t idem; /* the Idempotency-Key this exchange holds or replays */
    const char *origin;   /* allowed CORS origin to echo, or NULL */
    core_log_context_t log; /* request id, trace ids, route, user: on every log line of the request */
    http_trace_t trace;     /* W3C trace context and, when recording, the span's start (trace.c) */
    trace_child_t queue_wait; /* the worker-queue wait's span, from submit to a worker taking x (workers.c) */
    char request_id[HTTP_REQUEST_ID_SIZE]; /* see http_request_id_assign() */
} http_exchange_t;

/* Event-loop thread state; one per HTTP_THREADS. */
struct http_thread {
    h2o_context_t ctx;
    h2o_multithread_receiver_t done; /* exchanges coming back from workers */
    store_t *store;
    kv_t *kv;
    const core_config_t *cfg;
    unsigned services;
    long inflight;
    bool fibers; /* requests run on fibers: the store or kv waits on the network (request.c) */
    _Atomic int64_t heartbeat_ms; /* monotonic ms of the loop's last tick; INT64_MAX once it ended */
    int index;
    int listen_fd; /* dup of the listening socket until the loop thread wraps it */
    h2o_socket_t *listener;
    int64_t drain_started_ms; /* monotonic; when this loop closed its listener */
    bool shutdown_requested;  /* h2o told to close idle connections */
    h2o_accept_ctx_t accept_ctx;
    h2o_timeout_entry_t tick; /* once a second: flush the access log, check draining */
    http_access_log_buf_t access_log;
    pthread_t tid;
};

/* Put into out the client's X-Request-Id of req when it is 1-128 of
 * [A-Za-z0-9._:-], else a new UUIDv7 for now_ms (request.c; also used by
 * static.c, so every answer carries one). */
void http_request_id_assign(h2o_req_t *req, int64_t now_ms, char out[HTTP_REQUEST_ID_SIZE]);

/* Run the handler and everything after it; called on the loop thread, or on a
 * worker thread for slow routes (request.c). The caller has set x->log as the
 * thread's log context. */
void http_exchange_run_handler(http_exchange_t *x, store_t *store);

/* Copy what the handler reads of the request (path parameters, query) into
 * x's own pool, so that a handler on another thread reads nothing of h2o's.
 * Loop thread, before handing x to a worker or the writer (request.c). */
void http_exchange_detach(http_exchange_t *x);

/* Build and send the response, write the access log line and the metrics,
 * free x. Loop thread only; clears the thread's log context (response.c). */
void http_exchange_respond(http_exchange_t *x);

/* The log phase's span: when x->trace is recording, one server span named
 * by the route template, with the HTTP attributes and, for a 5xx, error
 * status and an exception event, handed to the exporter (trace.c). Loop
 * thread, before x is freed. */
void http_trace_finish(http_exchange_t *x, int status);

/* A listening socket (non-blocking, close-on-exec) on host:port, or -1 after
 * logging why. Main thread (server.c). */
int http__listen(const char *host, int port);

#endif
