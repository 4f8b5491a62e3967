/*
 * The access log in Apache "combined" format (morgan's 'combined') followed by
 * the request id (X-Request-Id), the trace id and the span id (W3C Trace
 * Context), which also tag the request's stderr lines:
 *   1.2.3.4 - - [24/Nov/2026:19:57:03 +0000] "GET /api/user/data HTTP/1.1" 200 85 "-" "curl/7.88" "0193..." "4bf9...36" "00f0...b7"
 * Each event-loop thread buffers its lines and flushes them at 32 KiB, every
 * second, and at shutdown, so logging costs no system call per request. The
 * file is reopened on SIGHUP (logrotate) by swapping the descriptor with
 * dup2(), which the writing threads never notice.
 */
#ifndef HTTP_ACCESS_LOG_H
#define HTTP_ACCESS_LOG_H

#include <h2o.h>
#include <stddef.h>
#include <stdint.h>

#include "http/trace.h"

typedef struct http_access_log_buf {
    char data[32768];
    size_t len;
} http_access_log_buf_t;

/* Open path for appending ("-" = stdout, NULL = disabled). 0 or -1 (logged). Main thread. */
int http_access_log_open(const char *path);

/* Reopen the same path (SIGHUP). 0 or -1 (logged; the old file stays in use). */
int http_access_log_reopen(void);

/* What the log phase records of one answered request. */
typedef struct http_access_log_entry {
    const char *client_ip;
    const char *request_id;
    const char *trace_id; /* W3C trace id and the request's span id (hex), or NULL: "-" */
    const char *span_id;
    const uint8_t *exemplar_trace_id; /* the trace id when the request was recorded (an exemplar), else NULL */
    const char *route; /* a template living as long as the process (api_route_t.name, or
                          "static" for every web app file), or NULL: "unmatched" */
    int status;
    size_t body_len;
    int64_t started_ns; /* core_clock_mono_ns() when the request arrived */
} http_access_log_entry_t;

/* The log phase of every answered request, API exchange (response.c) or web
 * app file (static.c), so both are counted alike: one line appended to buf
 * (flushed when full) and one observation of the time since e->started_ns in
 * http_request_duration_seconds{method, route, status_code}, which also ends
 * the request's core_metrics_request_begin(). Loop thread owning buf. */
void http_access_log_request(http_access_log_buf_t *buf, h2o_req_t *req, const http_access_log_entry_t *e);

/* The same log phase for an answer h2o gives from req without an exchange
 * (a web app file, static.c; an error h2o answers before routing,
 * h2o_errors.c): decides the client IP as the API does (TRUST_PROXY),
 * begins and ends the request's metrics, and appends (with trace's ids) to the buffer of the
 * loop owning req. Call when the response starts; that loop's thread. */
void http_access_log_answer(h2o_req_t *req, const char *request_id, const http_trace_t *trace, const char *route,
                            int64_t started_ns);

/* Write out buf (timer, shutdown). */
void http_access_log_flush(http_access_log_buf_t *buf);

void http_access_log_close(void);

#endif
