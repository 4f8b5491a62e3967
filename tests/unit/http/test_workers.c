/*
 * Tests of the job queue of src/http/workers.c: a posted job runs on a
 * worker with that worker's store session and is freed there; a full queue
 * drops the job (worker_jobs_dropped_total goes up, the caller is not
 * blocked); stopping runs what is queued; after stop a post is dropped.
 * One worker and a queue of one make "full" exact: the first job holds the
 * worker until the test releases it.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "http/workers.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool started, released;
static int ran;
static store_t *seen_store;
static char seen_arg[16];

static void blocking_job(const api_job_t *job, store_t *store)
{
    pthread_mutex_lock(&mu);
    started = true;
    seen_store = store;
    pthread_cond_broadcast(&cv);
    while (!released)
        pthread_cond_wait(&cv, &mu);
    ran++;
    snprintf(seen_arg, sizeof(seen_arg), "%s", job->arg);
    pthread_mutex_unlock(&mu);
}

static void counting_job(const api_job_t *job, store_t *store)
{
    (void)store;
    pthread_mutex_lock(&mu);
    ran++;
    snprintf(seen_arg, sizeof(seen_arg), "%s", job->arg);
    pthread_mutex_unlock(&mu);
}

static api_job_t *job_new(api_job_cb run, const char *arg)
{
    api_job_t *job = core_calloc(1, sizeof(*job));
    job->run = run;
    job->name = "test";
    snprintf(job->arg, sizeof(job->arg), "%s", arg);
    return job;
}

/* The value of a metric line "name value" in the exposition. */
static long long dropped_total(void)
{
    size_t len;
    char *text = core_metrics_render(&len, false);
    const char *line = strstr(text, "\nworker_jobs_dropped_total ");
    long long n = line != NULL ? atoll(line + strlen("\nworker_jobs_dropped_total ")) : -1;
    free(text);
    return n;
}

static void test_jobs_run_and_full_queue_drops(void **state)
{
    char dir[] = "/tmp/lsf-workers-XXXXXX", url[64], path[64];
    core_config_t cfg;

    (void)state;
    core_log_level = CORE_LOG_ERROR; /* the drop is a warning */
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/w.db", dir);
    snprintf(url, sizeof(url), "sqlite:%s", path);
    memset(&cfg, 0, sizeof(cfg));
    cfg.worker_threads = 1;
    cfg.worker_queue = 1;
    cfg.database_url = url;
    assert_int_equal(http_workers_start(&cfg), CORE_OK);

    long long before = dropped_total();
    assert_int_equal(http_workers_post(job_new(blocking_job, "first")), CORE_OK);
    pthread_mutex_lock(&mu);
    while (!started)
        pthread_cond_wait(&cv, &mu);
    pthread_mutex_unlock(&mu);
    assert_non_null(seen_store); /* the worker's own session */

    /* the worker is busy: one job waits, the next is dropped at once */
    assert_int_equal(http_workers_post(job_new(counting_job, "queued")), CORE_OK);
    assert_int_equal(http_workers_post(job_new(counting_job, "dropped")), CORE_E_UNAVAILABLE);
    assert_int_equal(dropped_total(), before + 1);

    pthread_mutex_lock(&mu);
    released = true;
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    http_workers_stop(); /* runs the queued job before it returns */
    assert_int_equal(ran, 2);
    assert_string_equal(seen_arg, "queued");

    /* no pool: dropped, counted, freed (ASan's leak check would say otherwise) */
    assert_int_equal(http_workers_post(job_new(counting_job, "late")), CORE_E_UNAVAILABLE);
    assert_int_equal(dropped_total(), before + 2);
    assert_int_equal(ran, 2);

    static const char *const suffixes[] = {"", "-wal", "-shm"};
    for (size_t i = 0; i < 3; i++) {
        char p[80];
        snprintf(p, sizeof(p), "%s%s", path, suffixes[i]);
        unlink(p);
    }
    char peers[80];
    snprintf(peers, sizeof(peers), "%s.instances", path);
    unlink(peers);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jobs_run_and_full_queue_drops),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
