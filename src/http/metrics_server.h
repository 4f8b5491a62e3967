/*
 * The metrics listener: METRICS_HOST:METRICS_PORT (loopback by default)
 * answers GET /metrics, /health/live and /health/ready and nothing else, so
 * Prometheus and an orchestrator's probes never go through the public port,
 * its rate limits or its access log. It runs on a thread of its own with its
 * own event loop and store session, outside the drain of the API loops: it
 * keeps answering (ready: false) while they finish in-flight requests.
 */
#ifndef CORE_METRICS_SERVER_H
#define CORE_METRICS_SERVER_H

#include "core/config.h"
#include "kv/kv.h"

/* Start the listener thread unless METRICS_PORT is 0. When the port cannot
 * be bound or the thread cannot start, the error is logged and the server
 * runs without it (metrics must not take the API down). Main thread. */
void core_metrics_server_start(const core_config_t *cfg, kv_t *kv);

/* Stop the thread (if started) and free what it holds. Main thread. */
void core_metrics_server_stop(void);

#endif
