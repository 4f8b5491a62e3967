/*
 * The HTTP server: listening socket, event-loop threads (h2o), the worker
 * pool for slow handlers, and graceful shutdown. One call runs it all.
 */
#ifndef HTTP_HTTP_H
#define HTTP_HTTP_H

#include "core/config.h"
#include "kv/kv.h"

#include <stdbool.h>

#define HTTP_SERVER_ABANDONED 1 /* http_server_run: requests were still in flight at the timeout */

/* Serve the routes of the given services (API_SERVICE_* mask) until SIGTERM
 * or SIGINT, then stop accepting, let in-flight requests finish (up to
 * SHUTDOWN_TIMEOUT_MS) and return 0; returns -1 when the server cannot start
 * (port taken, database unreachable), after logging why. Returns
 * HTTP_SERVER_ABANDONED when the timeout passed with requests in flight:
 * their event-loop and worker threads still run and use cfg, kv and the
 * stores, so the caller must free none of them and end the process with
 * _exit(). Call from the main thread; it blocks SIGTERM, SIGINT and SIGHUP
 * in every thread it starts. */
int http_server_run(const core_config_t *cfg, kv_t *kv, unsigned services);

/* True once SIGTERM/SIGINT arrived (readiness turns false). Any thread. */
bool http_server_draining(void);

/* Whether every event loop ran within LIVENESS_STALL_MS: each posts a
 * heartbeat once a second from a timer of its own, so a loop stuck in a
 * call, or busy for that long, stops posting. A loop that has ended (the
 * drain) does not count. When one is late, false with *loop its index and
 * *late_ms how long it has been silent. True while no server runs. Any
 * thread. */
bool http_server_live(int *loop, int64_t *late_ms);

#endif
