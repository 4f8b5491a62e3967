/*
 * This file implements the bounded worker pool of workers.h with a mutex, a
 * condition variable and two rings: exchanges of slow handlers, and
 * fire-and-forget jobs that handlers leave for after their answer. Results of
 * exchanges travel back through h2o's multithread queue of the exchange's own
 * event loop, the only thread allowed to touch its connection; a job has no
 * result and is freed by the worker that ran it.
 */
#include "http/workers.h"

#include <pthread.h>
#include <stdlib.h>

#include "core/error.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "trace/export.h"
#include "trace/scope.h"

typedef struct ring {
    void **items;
    size_t cap, head, len;
} ring_t;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t nonempty;
    ring_t exchanges, jobs;
    bool stopping;
    pthread_t *threads;
    store_t **stores;
    int nthreads;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .nonempty = PTHREAD_COND_INITIALIZER};

static bool ring_push(ring_t *r, void *item)
{
    if (r->len == r->cap)
        return false;
    r->items[(r->head + r->len) % r->cap] = item;
    r->len++;
    return true;
}

static void *ring_pop(ring_t *r)
{
    void *item = r->items[r->head];
    r->head = (r->head + 1) % r->cap;
    r->len--;
    return item;
}

static void run_exchange(http_exchange_t *x, store_t *store)
{
    core_log_context_set(&x->log);
    trace_span_t *wait = trace_child_end(&x->queue_wait, "worker queue wait", TRACE_KIND_INTERNAL);
    if (wait != NULL)
        trace_export_submit(wait);
    http_exchange_run_handler(x, store);
    core_log_context_set(NULL); /* before the loop owns x again */
    h2o_multithread_send_message(&x->thread->done, &x->msg);
}

static void run_job(api_job_t *job, store_t *store)
{
    core_log_context_t ctx = {.request_id = job->request_id,
                              .trace_id = job->trace_id[0] != '\0' ? job->trace_id : NULL,
                              .span_id = job->span_id[0] != '\0' ? job->span_id : NULL,
                              .trace = job->traced ? &job->trace : NULL}; /* its spans: children of the request's */

    core_log_context_set(&ctx);
    job->run(job, store);
    core_log_context_set(NULL);
    free(job);
}

static void *worker_main(void *arg)
{
    store_t *store = arg;
    bool took_job = false;

    for (;;) {
        pthread_mutex_lock(&pool.lock);
        while (pool.exchanges.len == 0 && pool.jobs.len == 0 && !pool.stopping)
            pthread_cond_wait(&pool.nonempty, &pool.lock);
        if (pool.exchanges.len == 0 && pool.jobs.len == 0) {
            pthread_mutex_unlock(&pool.lock);
            break;
        }
        /* a client waits for an exchange, nobody for a job: exchanges first,
         * but a thread never takes two exchanges in a row while jobs wait */
        took_job = pool.jobs.len > 0 && (pool.exchanges.len == 0 || !took_job);
        void *item = ring_pop(took_job ? &pool.jobs : &pool.exchanges);
        pthread_mutex_unlock(&pool.lock);

        if (took_job)
            run_job(item, store);
        else
            run_exchange(item, store);
    }
    return NULL;
}

int http_workers_start(const core_config_t *cfg)
{
    int rc = CORE_OK;

    pool.exchanges.cap = pool.jobs.cap = (size_t)cfg->worker_queue;
    pool.exchanges.items = core_calloc(pool.exchanges.cap, sizeof(void *));
    pool.jobs.items = core_calloc(pool.jobs.cap, sizeof(void *));
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
    size_t cap;

    x->queue_wait = trace_child_begin(); /* before the push: from then on x is the worker's */
    pthread_mutex_lock(&pool.lock);
    cap = pool.exchanges.cap;
    if (pool.stopping || !ring_push(&pool.exchanges, x))
        rc = CORE_E_UNAVAILABLE;
    else
        pthread_cond_signal(&pool.nonempty);
    pthread_mutex_unlock(&pool.lock);
    if (rc != CORE_OK)
        log_warn("worker queue full; answering 503", LOG_INT("queue", (long long)cap));
    return rc;
}

int http_workers_post(api_job_t *job)
{
    int rc = CORE_OK;
    size_t cap;

    pthread_mutex_lock(&pool.lock);
    cap = pool.jobs.cap;
    if (pool.stopping || pool.nthreads == 0 || !ring_push(&pool.jobs, job))
        rc = CORE_E_UNAVAILABLE;
    else
        pthread_cond_signal(&pool.nonempty);
    pthread_mutex_unlock(&pool.lock);
    if (rc != CORE_OK) {
        core_metrics_count(CORE_METRICS_JOBS_DROPPED);
        log_warn("worker job queue full; job dropped", LOG_STR("job", job->name), LOG_INT("queue", (long long)cap));
        free(job);
    }
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
    free(pool.exchanges.items);
    free(pool.jobs.items);
    pool.nthreads = 0;
    pool.stopping = false; /* a later start (tests) begins afresh */
    pool.exchanges = pool.jobs = (ring_t){0};
    pool.threads = NULL;
    pool.stores = NULL;
}
