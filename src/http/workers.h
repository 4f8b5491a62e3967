/*
 * The worker pool for slow work: WORKER_THREADS threads, each with its own
 * store session, behind two queues of at most WORKER_QUEUE entries each.
 *
 * - Slow handlers (password hashing takes tens of milliseconds on purpose):
 *   an event loop hands the exchange over and goes on serving; the worker
 *   runs the handler and posts the exchange back to its loop, which sends
 *   the response. A full queue is answered 503 at once instead of letting
 *   latency grow without bound.
 * - Jobs (api_job_t, api/api.h): fire-and-forget work a handler leaves for
 *   after its answer, so the answer neither waits for it nor shows what it
 *   found (send-reset-otp). A full queue drops the job (logged, counted in
 *   worker_jobs_dropped_total); nobody waits for it.
 *
 * A worker takes exchanges first, but never two in a row while jobs wait.
 * Stopping finishes everything queued, jobs included.
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

/* Queue job (heap, from core_calloc), taking ownership: a worker runs it and
 * frees it. CORE_OK, or CORE_E_UNAVAILABLE when the job queue is full or the
 * pool is not running: the job is then freed, logged and counted as dropped.
 * Any thread; never blocks on more than the queue's mutex. */
int http_workers_post(api_job_t *job);

/* Finish queued work (exchanges and jobs), join the threads, close their
 * store sessions. Main thread. */
void http_workers_stop(void);

#endif
