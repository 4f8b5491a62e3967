/*
 * This file implements the writer thread of writer.h: a ring of exchange
 * pointers under a mutex, drained a batch at a time. Answers go back the way
 * the worker pool's do (workers.c): through h2o's multithread queue of the
 * exchange's own event loop, the only thread that may touch its request.
 * Writes reach the write hook (caches, read-your-writes marks) only once the
 * batch has committed (store_batch_end), so no reader caches a state that is
 * not yet durable. If the commit fails, none of the batch happened and every
 * exchange in it is answered with that error; if the transaction cannot
 * start for another reason than a busy database, each exchange runs in a
 * transaction of its own.
 */
#include "http/writer.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/error.h"
#include "core/log.h"
#include "core/mem.h"

#define WRITER_QUEUE 4096 /* beyond it, a loop runs the write itself */

static struct {
    pthread_mutex_t lock;
    pthread_cond_t nonempty;
    http_exchange_t **ring;
    size_t head, len, batch_max;
    bool running, stopping;
    pthread_t thread;
    store_t *store;
} writer = {.lock = PTHREAD_MUTEX_INITIALIZER, .nonempty = PTHREAD_COND_INITIALIZER};

/* Run xs[0..n) in one transaction, then hand each back to its loop. */
static void run_batch(http_exchange_t **xs, size_t n)
{
    int rc = store_batch_begin(writer.store);
    bool batched = rc == CORE_OK;

    for (size_t i = 0; i < n; i++) {
        core_log_context_set(&xs[i]->log);
        if (batched || rc != CORE_E_UNAVAILABLE)
            http_exchange_run_handler(xs[i], writer.store); /* without a batch: a transaction each */
        else
            xs[i]->code = rc; /* busy for the whole timeout already: do not wait again */
    }
    core_log_context_set(NULL);
    if (batched && (rc = store_batch_end(writer.store)) != CORE_OK) {
        for (size_t i = 0; i < n; i++) {
            core_log_context_set(&xs[i]->log);
            if (xs[i]->code == CORE_OK)
                log_error("task write undone: its batch did not commit", LOG_STR("error", core_error_name(rc)));
            xs[i]->code = rc;
            xs[i]->api.message = NULL;
        }
        core_log_context_set(NULL);
    }
    /* the last touch of each: from here on its loop owns it */
    for (size_t i = 0; i < n; i++)
        h2o_multithread_send_message(&xs[i]->thread->done, &xs[i]->msg);
}

static void *writer_main(void *arg)
{
    http_exchange_t **batch = core_calloc(writer.batch_max, sizeof(*batch));
    size_t n;

    (void)arg;
    for (;;) {
        pthread_mutex_lock(&writer.lock);
        while (writer.len == 0 && !writer.stopping)
            pthread_cond_wait(&writer.nonempty, &writer.lock);
        for (n = 0; n < writer.batch_max && writer.len > 0; n++, writer.len--) {
            batch[n] = writer.ring[writer.head];
            writer.head = (writer.head + 1) % WRITER_QUEUE;
        }
        pthread_mutex_unlock(&writer.lock);
        if (n == 0)
            break; /* stopping, and nothing left */
        run_batch(batch, n);
    }
    free(batch);
    return NULL;
}

int http_writer_start(const core_config_t *cfg)
{
    int rc = CORE_OK;

    if (cfg->task_write_batch == 0)
        goto out;
    if ((rc = store_open(cfg->database_url, &writer.store)) != CORE_OK)
        goto out;
    if (!store_batch_offered(writer.store)) {
        store_close(writer.store);
        writer.store = NULL;
        goto out;
    }
    writer.batch_max = (size_t)cfg->task_write_batch;
    writer.ring = core_calloc(WRITER_QUEUE, sizeof(*writer.ring));
    writer.head = writer.len = 0;
    writer.stopping = false;
    if (pthread_create(&writer.thread, NULL, writer_main, NULL) != 0) {
        log_error("cannot start the task writer thread");
        rc = CORE_E_INTERNAL;
        goto out;
    }
    writer.running = true;
out:
    return rc;
}

int http_writer_submit(http_exchange_t *x)
{
    int rc = CORE_E_UNAVAILABLE;

    pthread_mutex_lock(&writer.lock);
    if (writer.running && !writer.stopping && writer.len < WRITER_QUEUE) {
        writer.ring[(writer.head + writer.len) % WRITER_QUEUE] = x;
        writer.len++;
        pthread_cond_signal(&writer.nonempty);
        rc = CORE_OK;
    }
    pthread_mutex_unlock(&writer.lock);
    return rc;
}

void http_writer_stop(void)
{
    pthread_mutex_lock(&writer.lock);
    writer.stopping = true;
    pthread_cond_broadcast(&writer.nonempty);
    pthread_mutex_unlock(&writer.lock);
    if (writer.running)
        pthread_join(writer.thread, NULL);
    writer.running = false;
    store_close(writer.store);
    writer.store = NULL;
    free(writer.ring);
    writer.ring = NULL;
}
