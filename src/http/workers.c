/*
 * This file implements the bounded worker pool of workers.h with a mutex, a
 * condition variable and a ring of exchange pointers. Results travel back
 * through h2o's multithread queue of the exchange's own event loop, the only
 * thread allowed to touch its connection.
 */
#include "http/workers.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/error.h"
#include "core/log.h"
#include "core/mem.h"

static struct {
    pthread_mutex_t lock;
    pthread_cond_t nonempty;
    http_exchange_t **ring;
    size_t cap, head, len;
    bool stopping;
    pthread_t *threads;
    store_t **stores;
    int nthreads;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .nonempty = PTHREAD_COND_INITIALIZER};

static void *worker_main(void *arg)
{
    store_t *store = arg;

    for (;;) {
        pthread_mutex_lock(&pool.lock);
        while (pool.len == 0 && !pool.stopping)
            pthread_cond_wait(&pool.nonempty, &pool.lock);
        if (pool.len == 0) {
            pthread_mutex_unlock(&pool.lock);
            break;
        }
        http_exchange_t *x = pool.ring[pool.head];
        pool.head = (pool.head + 1) % pool.cap;
        pool.len--;
        pthread_mutex_unlock(&pool.lock);

        core_log_context_set(&x->log);
        http_exchange_run_handler(x, store);
        core_log_context_set(NULL); /* before the loop owns x again */
        h2o_multithread_send_message(&x->thread->done, &x->msg);
    }
    return NULL;
}

int http_workers_start(const core_config_t *cfg)
{
    int rc = CORE_OK;

    pool.cap = (size_t)cfg->worker_queue;
    pool.ring = core_calloc(pool.cap, sizeof(*pool.ring));
    pool.threads = core_calloc((size_t)cfg->worker_threads, sizeof(*pool.threads));
    pool.stores = core_calloc((size_t)cfg->worker_threads, sizeof(*pool.stores));
    for (int i = 0; i < cfg->worker_threads; i++) {
        if ((rc = store_open(cfg->database_url, &pool.stores[i])) != CORE_OK)
            break;
        if (pthread_create(&pool.threads[i], NULL, worker_main, pool.stores[i]) != 0) {
            log_error("cannot start worker thread");
            store_close(pool.stores[i]);
            rc = CORE_E_INTERNAL;
            break;
        }
        pool.nthreads++;
    }
    return rc;
}

int http_workers_submit(http_exchange_t *x)
{
    int rc = CORE_OK;

    pthread_mutex_lock(&pool.lock);
    if (pool.stopping || pool.len == pool.cap) {
        rc = CORE_E_UNAVAILABLE;
    } else {
        pool.ring[(pool.head + pool.len) % pool.cap] = x;
        pool.len++;
        pthread_cond_signal(&pool.nonempty);
    }
    pthread_mutex_unlock(&pool.lock);
    if (rc != CORE_OK)
        log_warn("worker queue full; answering 503", LOG_INT("queue", (long long)pool.cap));
    return rc;
}

void http_workers_stop(void)
{
    pthread_mutex_lock(&pool.lock);
    pool.stopping = true;
    pthread_cond_broadcast(&pool.nonempty);
    pthread_mutex_unlock(&pool.lock);
    for (int i = 0; i < pool.nthreads; i++) {
        pthread_join(pool.threads[i], NULL);
        store_close(pool.stores[i]);
    }
    free(pool.threads);
    free(pool.stores);
    free(pool.ring);
    pool.nthreads = 0;
}
