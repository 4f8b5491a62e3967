/*
 * The span exporter: a background thread that sends finished spans in
 * batches to OTEL_EXPORTER_OTLP_ENDPOINT + "/v1/traces" (OTLP/HTTP, JSON,
 * libcurl). Threads that finish spans hand them over through a bounded
 * queue whose lock is held only to link a pointer, never across I/O: a full
 * queue drops the span and counts it in
 * trace_spans_dropped_total{reason="queue_full"}, so a slow or dead
 * collector never slows a request. Without an endpoint nothing starts and
 * nothing is recorded.
 */
#ifndef TRACE_EXPORT_H
#define TRACE_EXPORT_H

#include <stdbool.h>

#include "core/config.h"
#include "trace/span.h"

/* Start the exporter thread when cfg->otel_endpoint is set (else do
 * nothing). Returns CORE_OK, or CORE_E_INTERNAL after logging why. Main
 * thread, once, before the event loops start; cfg must outlive the exporter. */
int trace_export_start(const core_config_t *cfg);

/* True between a successful trace_export_start() with an endpoint and
 * trace_export_stop(). Any thread. */
bool trace_export_enabled(void);

/* Hand a finished span over; the exporter owns it from now on (it is freed
 * at once when the exporter is off or its queue is full). Never waits for
 * the network. Any thread. */
void trace_export_submit(trace_span_t *span);

/* Send what is queued (one attempt, within OTEL_EXPORTER_OTLP_TIMEOUT),
 * stop the thread and free everything. Main thread, after the threads that
 * submit spans have stopped. Safe when never started. */
void trace_export_stop(void);

#endif
