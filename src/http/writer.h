/*
 * Group commit of task writes on SQLite. Event loops hand the exchanges of
 * batched routes (api_route_t.batched: creating, updating, deleting and
 * restoring tasks) to one writer thread, which takes every exchange waiting,
 * at most TASK_WRITE_BATCH, runs their handlers in one transaction, each in a
 * savepoint of its own (store_batch_begin: a write that fails is undone
 * alone), commits once, and posts them back to their own loops to be
 * answered. An answer leaves only after its write committed, and a commit
 * returns only once its WAL frames are fsynced (synchronous=FULL): one fsync
 * serves the whole batch. With TASK_WRITE_BATCH=0, or a backend that offers
 * no batches (PostgreSQL groups concurrent commits itself), task writes stay
 * on the event loops.
 *
 * Ownership: from http_writer_submit() until the exchange is posted back,
 * only the writer touches it, and it touches nothing of h2o's: the exchange
 * was detached first (http_exchange_detach), so the handler reads the
 * exchange's own copies, never the request's memory.
 */
#ifndef HTTP_WRITER_H
#define HTTP_WRITER_H

#include "core/config.h"
#include "http/exchange.h"

/* Start the thread with a store session of its own, when configured and the
 * backend offers batches; CORE_OK also when not started. Main thread. */
int http_writer_start(const core_config_t *cfg);

/* Queue x (loop thread, x detached): CORE_OK, or CORE_E_UNAVAILABLE when
 * there is no writer, it is stopping or its queue is full; x then stays with
 * the caller, who runs the handler itself. */
int http_writer_submit(http_exchange_t *x);

/* Commit what is queued, join the thread, close its session. Main thread,
 * once the event loops have ended. */
void http_writer_stop(void);

#endif
