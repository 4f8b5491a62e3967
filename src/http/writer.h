/*
 * Group commit for task writes on SQLite. Event loops hand the exchanges of
 * batched routes (api_route_t.batched: creating, updating and deleting
 * tasks) to one writer thread, which runs every exchange waiting, at most
 * TASK_WRITE_BATCH, in one transaction, each in a savepoint of its own
 * (store_batch_begin), commits once, and posts them back to their loops to
 * be answered. An answer still leaves only after its write has committed, so
 * durability is unchanged; a batch of n writes one commit's pages instead of
 * n, and the loops serve reads meanwhile. With TASK_WRITE_BATCH=0, or a
 * backend that offers no batches (PostgreSQL groups concurrent commits
 * itself), task writes stay on the event loops.
 */
#ifndef HTTP_WRITER_H
#define HTTP_WRITER_H

#include "core/config.h"
#include "http/exchange.h"

/* Start the thread with a store session of its own, when configured and
 * offered; CORE_OK also when not started. Main thread. */
int http_writer_start(const core_config_t *cfg);

/* Queue x (loop thread): CORE_OK, or CORE_E_UNAVAILABLE when there is no
 * writer or its queue is full; x then stays with the caller, who runs it. */
int http_writer_submit(http_exchange_t *x);

/* Commit what is queued, join the thread, close its session. Main thread. */
void http_writer_stop(void);

#endif
