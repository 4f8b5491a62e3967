/*
 * The trace context of one answered request (W3C Trace Context, read by
 * src/trace/context.c) and its server span. Every request gets ids: the
 * caller's trace when its traceparent is valid, else a new one, and always
 * a span id of its own, which go into each log line, the access log and the
 * `traceparent` answer header. A span is recorded only when the exporter is
 * on (OTEL_EXPORTER_OTLP_ENDPOINT) and the sampler keeps the trace.
 * Internal to src/http/; the thread handling the request.
 */
#ifndef HTTP_TRACE_H
#define HTTP_TRACE_H

#include <h2o.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "trace/context.h"
#include "trace/scope.h"

typedef struct http_trace {
    trace_parent_t parent; /* the caller's, when has_parent */
    bool has_parent;
    bool recording; /* a span is made at the answer (exporter on, sampler said yes) */
    uint8_t trace_id[TRACE_ID_BYTES];
    uint8_t span_id[TRACE_SPAN_ID_BYTES];
    uint8_t flags;           /* sent on: sampled when recording, else the caller's */
    h2o_iovec_t state;       /* the caller's tracestate when valid (points into the request), else empty */
    int64_t start_unix_ns;   /* wall clock when the request arrived */
    char trace_hex[TRACE_ID_HEX];
    char span_hex[TRACE_SPAN_ID_HEX];
    trace_scope_t scope; /* when recording: the parent of the request's child spans (trace/scope.h) */
} http_trace_t;

/* Read traceparent and tracestate of req (a malformed or repeated
 * traceparent starts a new trace, and its tracestate is ignored), make this
 * request's span id and decide whether to record. */
void http_trace_begin(http_trace_t *t, h2o_req_t *req, const core_config_t *cfg);

/* Add the `traceparent` answer header: this trace, this request's span. */
void http_trace_add_header(const http_trace_t *t, h2o_req_t *req);

#endif
