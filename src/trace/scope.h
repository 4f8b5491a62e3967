/*
 * Child spans of the request a thread (or fiber) is working on: each SQL
 * statement, Redis command, worker-queue wait and password hash. The
 * request's server span lends its ids through the log context
 * (core_log_context_t.trace, set by src/http/request.c only while the
 * request is recorded), so code far from the HTTP layer finds its parent
 * without being passed anything. When nothing is recorded (no exporter, or
 * the trace sampled out) trace_child_begin() reads one thread-local pointer
 * and nothing else: no clock, no allocation.
 */
#ifndef TRACE_SCOPE_H
#define TRACE_SCOPE_H

#include <stdbool.h>
#include <stdint.h>

#include "core/pool.h"
#include "trace/context.h"
#include "trace/span.h"

/* The recorded span children hang under, and the clock pair that turns a
 * monotonic reading into wall-clock time consistent with its own times. */
typedef struct trace_scope {
    uint8_t trace_id[TRACE_ID_BYTES];
    uint8_t span_id[TRACE_SPAN_ID_BYTES];
    int64_t unix_ns; /* wall clock ... */
    int64_t mono_ns; /* ... at this monotonic instant */
} trace_scope_t;

/* A child span in progress; scope NULL: not recording. */
typedef struct trace_child {
    const trace_scope_t *scope;
    int64_t start_mono_ns;
} trace_child_t;

/* The scope of the request this thread or fiber runs, or NULL when none is
 * recorded. Any thread. */
const trace_scope_t *trace_scope_current(void);

/* Start a child span of the current scope, now. The scope must outlive the
 * child (it does: a request ends after the work it waits for). */
trace_child_t trace_child_begin(void);

/* The finished child span of c, ending now, named name (copied: a literal or
 * a statement's name, never values), with a new span id; the caller adds
 * attributes and hands it to trace_export_submit(). NULL when c records
 * nothing. Any thread (the one of the request, or a worker it moved to). */
trace_span_t *trace_child_end(const trace_child_t *c, const char *name, enum trace_span_kind kind);

/* End c as a database client span and hand it to the exporter: named op
 * (our name for the statement, "task get"), with db.system.name (system, a
 * literal: "sqlite", "postgresql") and db.operation.name (sql's first
 * keyword: SELECT, INSERT, WITH...), never the statement's values; status
 * ERROR when failed. Nothing when c records nothing. */
void trace_child_end_db(const trace_child_t *c, const char *system, const char *op, const char *sql,
                        bool failed);

/* The traceparent ("00-<trace>-<span>-01") of the current scope, copied into
 * pool, or NULL when none is recorded: what an email's outbox row keeps so
 * its delivery can link back to the request that queued it. */
const char *trace_scope_traceparent(core_pool_t *pool);

#endif
