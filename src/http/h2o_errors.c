/*
 * This file makes the errors h2o answers through h2o_send_error_*() look
 * like every other error. h2o refuses some requests before our pipeline sees
 * them, with a text/plain body: a body over BODY_LIMIT (413), a broken
 * chunked body, an unknown Transfer-Encoding or an unreadable
 * Content-Length (400), an Expect other than 100-continue (417); and its
 * file handler may answer the web app's files with 403, 416 or 503. This
 * output filter replaces such a body with the JSON error of the matching
 * row of the error table, keeping h2o's status. It recognises them by
 * status >= 400 with a text/plain type, which the pipeline never produces
 * (its errors are JSON), so our answers pass through untouched. For the
 * errors answered before routing (on the host's fallback path) it also
 * runs the log phase, which the pipeline never reached: an access log line,
 * a metrics observation and an X-Request-Id.
 *
 * What no filter can reach: a request head h2o's HTTP/1 parser cannot read
 * (over 100 header fields, a control character in a header value, a head
 * over about 400 KB, a header line without a colon, HTTP/0.9, a request line
 * with CR, LF or a space in its target) is answered by lib/http1.c's
 * send_bad_request(), which writes a fixed "400 text/plain Bad Request"
 * straight to the socket and closes; no handler, filter or log runs. Behind
 * nginx (deploy/nginx), such requests to /api/ get JSON too;
 * docs/ARCHITECTURE.md says how. Event loops.
 */
#include "http/h2o_errors.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>

#include "core/clock.h"
#include "core/error.h"
#include "http/access_log.h"
#include "http/exchange.h"

typedef struct json_ostream {
    h2o_ostream_t super;
    h2o_iovec_t body;
} json_ostream_t;

static void on_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs, size_t bufcnt, h2o_send_state_t state)
{
    json_ostream_t *o = (json_ostream_t *)self;

    (void)bufs;
    (void)bufcnt; /* h2o's text is dropped */
    if (h2o_send_state_is_in_progress(state))
        h2o_ostream_send_next(self, req, NULL, 0, state);
    else
        h2o_ostream_send_next(self, req, &o->body, 1, state);
}

static bool is_plain_text(h2o_req_t *req)
{
    ssize_t i = h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_TYPE, -1);
    return i >= 0 && req->res.headers.entries[i].value.len >= 10 &&
           h2o_lcstris(req->res.headers.entries[i].value.base, 10, H2O_STRLIT("text/plain"));
}

/* The row whose message fits h2o's status (its reason phrases vary). */
static int error_code(int status)
{
    switch (status) {
    case 403: return CORE_E_FORBIDDEN;
    case 404: return CORE_E_NOT_FOUND;
    case 405: return CORE_E_METHOD_NOT_ALLOWED;
    case 413: return CORE_E_PAYLOAD_TOO_LARGE;
    case 417: return CORE_E_EXPECTATION_FAILED;
    case 503: return CORE_E_UNAVAILABLE;
    default: return status >= 500 ? CORE_E_INTERNAL : CORE_E_MALFORMED_REQUEST;
    }
}

/* When req began, on the monotonic clock of the metrics: h2o stamped it
 * with the wall clock when its head started to arrive. */
static int64_t started_ns(h2o_req_t *req)
{
    const struct timeval *t0 = &req->timestamps.request_begin_at;
    struct timeval now;
    int64_t age_ns = 0;

    gettimeofday(&now, NULL);
    if (t0->tv_sec != 0)
        age_ns = ((int64_t)now.tv_sec - t0->tv_sec) * 1000000000 + ((int64_t)now.tv_usec - t0->tv_usec) * 1000;
    return core_clock_mono_ns() - (age_ns > 0 ? age_ns : 0);
}

/* The log phase of an error h2o answered before routing. */
static void log_answer(h2o_req_t *req)
{
    http_thread_t *t = H2O_STRUCT_FROM_MEMBER(http_thread_t, ctx, req->conn->ctx);
    char *request_id = h2o_mem_alloc_pool(&req->pool, HTTP_REQUEST_ID_SIZE); /* h2o keeps it until sent */
    http_trace_t trace;

    http_request_id_assign(req, core_clock_now_ms(), request_id);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL, request_id,
                          strlen(request_id));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-content-type-options"), 0, NULL,
                          H2O_STRLIT("nosniff"));
    http_trace_begin(&trace, req, t->cfg); /* ids and the header; no span for these */
    trace.flags = trace.has_parent ? (uint8_t)(trace.parent.flags & TRACE_FLAG_SAMPLED) : 0;
    http_trace_add_header(&trace, req);
    http_access_log_answer(req, request_id, &trace, NULL, started_ns(req));
}

static void on_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    (void)self;
    if (req->res.status >= 400 && is_plain_text(req)) {
        int code = error_code(req->res.status);
        json_ostream_t *o = (json_ostream_t *)h2o_add_ostream(req, sizeof(*o), slot);
        char *text = h2o_mem_alloc_pool(&req->pool, 128);
        int n = snprintf(text, 128, "{\"success\":false,\"message\":\"%s\"}", core_error_message(code));

        o->super.do_send = on_send;
        o->body = h2o_iovec_init(text, n > 0 && n < 128 ? (size_t)n : 0);
        h2o_set_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
                       H2O_STRLIT("application/json; charset=utf-8"), 1);
        req->res.content_length = o->body.len;
        if (req->hostconf != NULL && req->pathconf == &req->hostconf->fallback_path)
            log_answer(req);
        slot = &o->super.next;
    }
    h2o_setup_next_ostream(req, slot);
}

void http_h2o_errors_register(h2o_pathconf_t *path)
{
    h2o_create_filter(path, sizeof(h2o_filter_t))->on_setup_ostream = on_setup_ostream;
}
