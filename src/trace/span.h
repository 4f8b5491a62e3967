/*
 * One finished span as the exporter sends it: ids, name, kind, times,
 * attributes, status, at most one exception event and at most one link (to
 * a span of another trace, such as the request that queued an email). A span is filled on
 * the thread that ran the work, then handed to the exporter
 * (trace_export_submit), which owns and frees it; texts are copied in, so
 * nothing of the request has to outlive it.
 */
#ifndef TRACE_SPAN_H
#define TRACE_SPAN_H

#include <stdbool.h>
#include <stdint.h>

#include "core/str.h"
#include "trace/context.h"

#define TRACE_SPAN_ATTRS 12       /* attributes per span; more are ignored */
#define TRACE_ATTR_TEXT_MAX 256   /* bytes kept of a text attribute (cut at a character boundary) */

/* OTLP SpanKind and Status.code values. */
enum trace_span_kind { TRACE_KIND_INTERNAL = 1, TRACE_KIND_SERVER = 2, TRACE_KIND_CLIENT = 3 };
enum trace_status { TRACE_STATUS_UNSET = 0, TRACE_STATUS_OK = 1, TRACE_STATUS_ERROR = 2 };

typedef struct trace_attr {
    const char *key; /* a literal: lives as long as the process */
    bool is_int;
    long long i;
    char *s; /* owned copy, valid UTF-8 */
} trace_attr_t;

typedef struct trace_span {
    struct trace_span *next; /* the exporter's queue */
    uint8_t trace_id[TRACE_ID_BYTES];
    uint8_t span_id[TRACE_SPAN_ID_BYTES];
    uint8_t parent_span_id[TRACE_SPAN_ID_BYTES];
    bool has_parent;
    uint8_t link_trace_id[TRACE_ID_BYTES]; /* the linked span, when has_link */
    uint8_t link_span_id[TRACE_SPAN_ID_BYTES];
    bool has_link;
    char *trace_state; /* owned, or NULL */
    char *name;        /* owned */
    enum trace_span_kind kind;
    int64_t start_unix_ns, end_unix_ns;
    trace_attr_t attrs[TRACE_SPAN_ATTRS];
    int nattrs;
    enum trace_status status;
    char *status_message;    /* owned, or NULL */
    char *exception_type;    /* owned; NULL: no exception event */
    char *exception_message; /* owned, or NULL */
    int64_t exception_unix_ns;
} trace_span_t;

/* A new span named name (copied), never NULL (allocation aborts). The
 * caller fills ids and times, then submits or destroys it. */
trace_span_t *trace_span_create(const char *name, enum trace_span_kind kind);

/* Add a text attribute: value copied, cut to TRACE_ATTR_TEXT_MAX bytes; a
 * value that is not valid UTF-8 is left out (OTLP JSON cannot carry it). */
void trace_span_attr_str(trace_span_t *s, const char *key, core_str_t value);

void trace_span_attr_int(trace_span_t *s, const char *key, long long value);

/* Mark the span failed: status ERROR with type as its message, and an
 * "exception" event at at_unix_ns with exception.type and, when not NULL,
 * exception.message (both copied; message cut like an attribute). */
void trace_span_fail(trace_span_t *s, const char *type, const char *message, int64_t at_unix_ns);

/* Free s and what it owns; NULL is fine. */
void trace_span_destroy(trace_span_t *s);

#endif
