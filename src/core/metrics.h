/*
 * The metrics registry and its Prometheus text exposition (format 0.0.4), or
 * OpenMetrics 1.0 with exemplars (trace ids) on the request histogram.
 *
 * Updates never take a lock: each thread that records something gets its own
 * slot (a counter array and a small table of histogram series) on first use,
 * and bumps it with relaxed atomics that no other thread writes; a scrape sums
 * the slots. Gauges that are sampled (outbox depth, kv availability, database
 * pool) are single relaxed atomics set by whoever samples them.
 *
 * Any thread may call every function here. Other layers (kv, store, mail)
 * report through core_metrics_count() and core_metrics_gauge_set() only.
 */
#ifndef CORE_METRICS_H
#define CORE_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

/* Monotonic counters, exported as <name>_total. */
enum core_metrics_counter {
    CORE_METRICS_RATE_LIMITED_API = 0, /* http_rate_limited_total{limit="api"} */
    CORE_METRICS_RATE_LIMITED_AUTH,    /* http_rate_limited_total{limit="auth"} */
    CORE_METRICS_RATE_LIMITED_USER,    /* http_rate_limited_total{limit="user"} */
    CORE_METRICS_MAIL_SENT,            /* mail_sent_total */
    CORE_METRICS_MAIL_FAILED,          /* mail_failed_total (one per failed attempt) */
    CORE_METRICS_CACHE_HIT,            /* kv_cache_requests_total{result="hit"} */
    CORE_METRICS_CACHE_MISS,           /* kv_cache_requests_total{result="miss"} */
    CORE_METRICS_CACHE_ERROR,          /* kv_cache_requests_total{result="error"} */
    CORE_METRICS_DB_ERRORS,            /* db_query_errors_total */
    CORE_METRICS_JOBS_DROPPED,         /* worker_jobs_dropped_total (background jobs refused by a full queue) */
    CORE_METRICS_OTP_THROTTLED,        /* otp_throttled_total (codes not sent: OTP_SEND_MAX per account) */
    CORE_METRICS_SPANS_EXPORTED,       /* trace_spans_exported_total */
    CORE_METRICS_SPANS_DROPPED_QUEUE_FULL,    /* trace_spans_dropped_total{reason="queue_full"} */
    CORE_METRICS_SPANS_DROPPED_EXPORT_FAILED, /* trace_spans_dropped_total{reason="export_failed"} */
    CORE_METRICS_COUNTERS
};

/* Gauges set by sampling; -1 (the initial value) means "never sampled" and
 * the gauge is left out of the exposition. */
enum core_metrics_gauge {
    CORE_METRICS_OUTBOX_PENDING = 0, /* store_outbox_pending */
    CORE_METRICS_KV_UP,              /* kv_up{backend} (1 reachable, 0 not) */
    CORE_METRICS_DB_POOL_IN_USE,     /* db_pool_connections{state="in_use"} */
    CORE_METRICS_DB_POOL_IDLE,       /* db_pool_connections{state="idle"} */
    CORE_METRICS_DB_POOL_MAX,        /* db_pool_max_connections */
    CORE_METRICS_DB_POOL_WAITING,    /* db_pool_waiting */
    CORE_METRICS_GAUGES
};

/* Histogram bucket upper bounds, in seconds, for request durations. */
#define CORE_METRICS_BUCKETS 14

#define CORE_METRICS_TRACE_ID_BYTES 16 /* a W3C trace id (TRACE_ID_BYTES) */

/* Turn recording on (the default) or off (METRICS=off): while off, the
 * counting functions below return at once and /metrics shows no request or
 * event series. Main thread, before other threads record (config load). */
void core_metrics_set_enabled(bool enabled);

/* Count one event. */
void core_metrics_count(enum core_metrics_counter c);

/* Count a kv cache_get outcome: CORE_OK is a hit, CORE_E_NOT_FOUND a miss,
 * anything else an error. Returns rc, so it can wrap the call. */
int core_metrics_cache_result(int rc);

void core_metrics_gauge_set(enum core_metrics_gauge g, int64_t value);

/* The kv backend's name for the kv_up label ("memory", "redis"); a string
 * that lives as long as the process. */
void core_metrics_kv_backend_set(const char *name);

/* A request entered the pipeline (http_requests_in_flight goes up). */
void core_metrics_request_begin(void);

/* A request was answered: in-flight goes down and one observation of
 * duration_ns goes into http_request_duration_seconds{method, route,
 * status_code}. route is a route template that lives as long as the process
 * (api_route_t.name, or "static" for every file of the web app, whatever its
 * path), or NULL for "unmatched"; an unknown method is counted as "other", so
 * clients cannot create series. trace_id, when not NULL, is the request's
 * recorded (sampled) trace: it becomes the series' exemplar, shown in the
 * OpenMetrics exposition (one wall-clock read; none without it). */
void core_metrics_request_end(core_str_t method, const char *route, int status, int64_t duration_ns,
                              const uint8_t *trace_id);

/* The whole exposition, NUL-terminated, malloc'ed (the caller frees), with
 * *len its length; NULL only when out of memory. Reads /proc/self for the
 * process_* metrics. openmetrics: in OpenMetrics 1.0 text, with the
 * histogram's exemplars and a closing "# EOF"; else Prometheus text 0.0.4. */
char *core_metrics_render(size_t *len, bool openmetrics);

/* The Content-Types of what core_metrics_render() returns. */
#define CORE_METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
#define CORE_METRICS_OPENMETRICS_TYPE "application/openmetrics-text; version=1.0.0; charset=utf-8"

/* True when an Accept header value asks for OpenMetrics (names
 * application/openmetrics-text, as Prometheus' scrapes do). */
bool core_metrics_accepts_openmetrics(core_str_t accept);

#endif
