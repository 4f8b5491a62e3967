/*
 * The worker pool for slow handlers (password hashing takes tens of
 * milliseconds on purpose): WORKER_THREADS threads, each with its own store
 * session, behind a queue of at most WORKER_QUEUE exchanges. Event loops hand
 * an exchange over and go on serving; the worker runs the handler and posts
 * the exchange back to its loop, which sends the response. A full queue is
 * answered 503 at once instead of letting latency grow without bound.
 */
#ifndef HTTP_WORKERS_H
#define HTTP_WORKERS_H

#include "core/config.h"
#include "http/exchange.h"

/* Start the threads; CORE_OK or an error (a store session could not open). Main thread. */
int http_workers_start(const core_config_t *cfg);

/* Queue x (loop thread); CORE_OK, or CORE_E_UNAVAILABLE when the queue is full
 * or the pool is stopping (x stays with the caller). */
int http_workers_submit(http_exchange_t *x);

/* Finish queued work, join the threads, close their store sessions. Main thread. */
void http_workers_stop(void);

#endif
