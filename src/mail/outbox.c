/*
 * This file implements the outbox sender of outbox.h: one thread that, at
 * start, on every wake and every MAIL_OUTBOX_POLL_MS, leases due rows in
 * batches, hands each to smtp.c (SMTP_URL set) or eml.c, and records sent or
 * a retry with exponential backoff. Recording sent (or giving up) blanks the
 * body; after each pass, at most once per min(OUTBOX_RETENTION_MS, 1 h), it
 * deletes the rows and .eml files older than the retention. The thread owns
 * its store session, so request threads only ever touch a flag and a
 * condition variable here. All signals are blocked in the thread: the main
 * thread sigwait()s for them.
 */
#include "mail/outbox.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sodium.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/metrics.h"
#include "mail/eml.h"
#include "mail/smtp.h"
#include "trace/export.h"
#include "trace/sampler.h"
#include "trace/scope.h"

#define BATCH 16
#define BACKOFF_FIRST_MS 30000LL
#define BACKOFF_MAX_MS (60LL * 60 * 1000)
#define PURGE_INTERVAL_MAX_MS (60LL * 60 * 1000)
#define PURGE_BATCH 500 /* rows per transaction, so request threads never wait long for the write lock */

typedef int (*deliver_cb)(const core_config_t *cfg, core_pool_t *pool, const mail_msg_t *msg,
                          const char **error);

static struct {
    pthread_mutex_t lock; /* guards started, woken and the condition variable */
    pthread_cond_t cond;  /* on CLOCK_MONOTONIC; exists while started */
    bool started;
    bool woken;
    atomic_bool stopping;
    pthread_t thread;
    const core_config_t *cfg;
    store_t *store;
    deliver_cb deliver;
    bool smtp;
    int64_t last_purge; /* sender thread only; 0: never */
} sender = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* Delay before the next try after attempts failed ones (>= 1). */
static int64_t backoff_ms(int attempts)
{
    int64_t delay = BACKOFF_FIRST_MS;

    for (int i = 1; i < attempts && delay < BACKOFF_MAX_MS; i++)
        delay *= 2;
    return delay < BACKOFF_MAX_MS ? delay : BACKOFF_MAX_MS;
}

/* The trace of one delivery: a new trace id and span id in t->scope,
 * linked to the traceparent msg kept (*link) when it has a valid one. A
 * delivery whose request was recorded is recorded too, so the link leads
 * somewhere; one without is up to the sampler, as a new trace. False when
 * nothing is recorded (always, without an exporter). */
typedef struct delivery_trace {
    trace_scope_t scope;
    trace_parent_t link;
    bool linked;
    char trace_hex[TRACE_ID_HEX], span_hex[TRACE_SPAN_ID_HEX];
    core_log_context_t log;
} delivery_trace_t;

static bool delivery_trace_begin(delivery_trace_t *t, const mail_msg_t *msg)
{
    if (!trace_export_enabled())
        return false;
    t->linked = msg->traceparent != NULL && trace_parent_parse(core_str_c(msg->traceparent), &t->link);
    randombytes_buf(t->scope.trace_id, TRACE_ID_BYTES);
    randombytes_buf(t->scope.span_id, TRACE_SPAN_ID_BYTES);
    t->scope.trace_id[0] |= trace_id_is_zero(t->scope.trace_id, TRACE_ID_BYTES);
    t->scope.span_id[0] |= trace_id_is_zero(t->scope.span_id, TRACE_SPAN_ID_BYTES);
    if (!t->linked && !trace_sampler_decide((enum trace_sampler)sender.cfg->otel_sampler,
                                            sender.cfg->otel_sampler_ratio, t->scope.trace_id, NULL))
        return false;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    t->scope.unix_ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
    t->scope.mono_ns = core_clock_mono_ns();
    trace_hex(t->scope.trace_id, TRACE_ID_BYTES, t->trace_hex);
    trace_hex(t->scope.span_id, TRACE_SPAN_ID_BYTES, t->span_hex);
    t->log = (core_log_context_t){.trace_id = t->trace_hex, .span_id = t->span_hex, .trace = &t->scope};
    core_log_context_set(&t->log); /* the delivery's log lines and statements join its trace */
    return true;
}

/* The delivery's span, now ended; the sender's log context cleared. */
static void delivery_trace_end(delivery_trace_t *t, const mail_msg_t *msg, int rc)
{
    trace_span_t *s = trace_span_create("mail deliver", sender.smtp ? TRACE_KIND_CLIENT : TRACE_KIND_INTERNAL);

    core_log_context_set(NULL);
    memcpy(s->trace_id, t->scope.trace_id, TRACE_ID_BYTES);
    memcpy(s->span_id, t->scope.span_id, TRACE_SPAN_ID_BYTES);
    if (t->linked) {
        s->has_link = true;
        memcpy(s->link_trace_id, t->link.trace_id, TRACE_ID_BYTES);
        memcpy(s->link_span_id, t->link.span_id, TRACE_SPAN_ID_BYTES);
    }
    s->start_unix_ns = t->scope.unix_ns;
    s->end_unix_ns = t->scope.unix_ns + (core_clock_mono_ns() - t->scope.mono_ns);
    /* neither recipient nor subject: the address is personal, a subject may name the account */
    trace_span_attr_str(s, "mail.transport", core_str_c(sender.smtp ? "smtp" : "eml"));
    trace_span_attr_int(s, "mail.outbox_id", msg->id);
    trace_span_attr_int(s, "mail.attempt", msg->attempts + 1);
    if (rc != CORE_OK)
        trace_span_fail(s, core_error_name(rc), NULL, s->end_unix_ns);
    trace_export_submit(s);
}

/* Deliver msg and record the outcome (*rc_out the delivery's); false when delivery failed. */
static bool deliver_and_record(core_pool_t *pool, const mail_msg_t *msg, int *rc_out)
{
    const char *error = "unknown error";
    int rc = *rc_out = sender.deliver(sender.cfg, pool, msg, &error);
    int64_t now = core_clock_now_ms();

    core_metrics_count(rc == CORE_OK ? CORE_METRICS_MAIL_SENT : CORE_METRICS_MAIL_FAILED);
    if (rc == CORE_OK) {
        if (sender.smtp)
            log_info("mail sent", LOG_INT("outbox_id", msg->id));
        /* on failure the row is sent again when its lease ends: a duplicate, never a loss */
        store_outbox_sent(sender.store, msg->id, now);
        return true;
    }
    int attempts = msg->attempts + 1;
    bool give_up = rc == CORE_E_VALIDATION || attempts >= MAIL_OUTBOX_MAX_ATTEMPTS;
    int64_t delay = backoff_ms(attempts);
    store_outbox_retry(sender.store, msg->id, now + delay, error, give_up);
    if (give_up)
        log_warn("mail given up", LOG_INT("outbox_id", msg->id), LOG_INT("attempts", attempts),
                 LOG_STR("error", error));
    else
        log_warn("mail delivery failed", LOG_INT("outbox_id", msg->id), LOG_INT("attempts", attempts),
                 LOG_STR("error", error), LOG_INT("retry_in_ms", delay));
    return false;
}

/* Deliver msg, recording the outcome and, when traced, its span; false when
 * delivery failed. */
static bool deliver_one(core_pool_t *pool, const mail_msg_t *msg)
{
    delivery_trace_t trace;
    bool traced = delivery_trace_begin(&trace, msg);
    int rc;
    bool ok = deliver_and_record(pool, msg, &rc);

    if (traced)
        delivery_trace_end(&trace, msg, rc);
    return ok;
}

/* Deliver everything due, batch after batch. Once stop is requested, the
 * first failure ends the pass: the rest of the batch stays leased and is
 * tried again when the lease ends, so shutdown waits for one failure at most. */
static void deliver_due(void)
{
    mail_msg_t batch[BATCH];
    core_pool_t pool;
    size_t count = BATCH;

    core_pool_init(&pool);
    while (count == BATCH) {
        int rc = store_outbox_claim(sender.store, &pool, core_clock_now_ms(), MAIL_OUTBOX_LEASE_MS, BATCH,
                                    batch, &count);
        if (rc != CORE_OK) {
            log_warn("mail outbox cannot be read", LOG_STR("error", core_error_name(rc)));
            count = 0;
        }
        for (size_t i = 0; i < count; i++) {
            if (!deliver_one(&pool, &batch[i]) && atomic_load(&sender.stopping)) {
                count = 0;
                break;
            }
        }
        core_pool_cleanup(&pool);
    }
}

/* Delete the mail done with more than OUTBOX_RETENTION_MS ago: outbox rows
 * in batches (blanking on the way any body an earlier release kept), then
 * .eml files. The first pass runs when the sender starts. */
static void purge_if_due(void)
{
    int64_t now = core_clock_now_ms(), retention = sender.cfg->outbox_retention_ms;
    int64_t interval = retention < PURGE_INTERVAL_MAX_MS ? retention : PURGE_INTERVAL_MAX_MS;
    int64_t rows = 0, files = 0;
    int n = 0, rc;

    if (sender.last_purge != 0 && now - sender.last_purge < interval)
        return;
    sender.last_purge = now;
    do {
        rc = store_outbox_purge(sender.store, now - retention, PURGE_BATCH, &n);
        rows += n;
    } while (rc == CORE_OK && n >= PURGE_BATCH && !atomic_load(&sender.stopping));
    if (rc != CORE_OK)
        log_warn("mail outbox purge failed; retried at the next pass", LOG_STR("error", core_error_name(rc)));
    mail_eml_purge(sender.cfg, now - retention, &files);
    if (rows > 0 || files > 0)
        log_info("old mail deleted or blanked", LOG_INT("rows", rows), LOG_INT("eml_files", files),
                 LOG_INT("retention_ms", retention));
}

/* Sleep until woken, stopped or MAIL_OUTBOX_POLL_MS passed; true when stopping. */
static bool wait_for_work(void)
{
    struct timespec deadline = core_clock_deadline(CLOCK_MONOTONIC, MAIL_OUTBOX_POLL_MS);
    bool stop;

    pthread_mutex_lock(&sender.lock);
    while (!sender.woken && !atomic_load(&sender.stopping))
        if (pthread_cond_timedwait(&sender.cond, &sender.lock, &deadline) == ETIMEDOUT)
            break;
    sender.woken = false;
    stop = atomic_load(&sender.stopping);
    pthread_mutex_unlock(&sender.lock);
    return stop;
}

static void *run(void *arg)
{
    (void)arg;
    do {
        deliver_due();
        purge_if_due();
    } while (!wait_for_work());
    deliver_due(); /* what was queued while stop was being requested */
    return NULL;
}

int mail_outbox_start(const core_config_t *cfg, store_t *store)
{
    pthread_condattr_t attr;
    sigset_t all, old;
    int rc = CORE_E_INTERNAL;

    pthread_mutex_lock(&sender.lock);
    if (sender.started) {
        log_error("mail sender already started");
        goto out;
    }
    sender.cfg = cfg;
    sender.store = store;
    sender.smtp = cfg->smtp_url != NULL && *cfg->smtp_url != '\0';
    sender.deliver = sender.smtp ? mail_smtp_deliver : mail_eml_deliver;
    sender.woken = false;
    sender.last_purge = 0;
    mail_eml_secure(cfg); /* .eml files of an older version (or of a time before SMTP_URL): 0600 */
    atomic_store(&sender.stopping, false);
    pthread_condattr_init(&attr);
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_cond_init(&sender.cond, &attr);
    pthread_condattr_destroy(&attr);
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int err = pthread_create(&sender.thread, NULL, run, NULL);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (err != 0) {
        pthread_cond_destroy(&sender.cond);
        log_error("mail sender thread not started", LOG_INT("errno", err));
        goto out;
    }
    pthread_setname_np(sender.thread, "lsf-mail");
    sender.started = true;
    /* never log SMTP_URL: it may carry the password */
    log_info("mail sender started", LOG_STR("delivery", sender.smtp ? "smtp" : "eml"));
    rc = CORE_OK;
out:
    pthread_mutex_unlock(&sender.lock);
    return rc;
}

void mail_outbox_wake(void)
{
    pthread_mutex_lock(&sender.lock);
    if (sender.started) {
        sender.woken = true;
        pthread_cond_signal(&sender.cond);
    }
    pthread_mutex_unlock(&sender.lock);
}

void mail_outbox_stop(void)
{
    int64_t pending = -1;
    bool started;

    pthread_mutex_lock(&sender.lock);
    started = sender.started;
    atomic_store(&sender.stopping, true);
    if (started)
        pthread_cond_signal(&sender.cond);
    pthread_mutex_unlock(&sender.lock);
    if (!started)
        goto out;

    pthread_join(sender.thread, NULL);
    pthread_mutex_lock(&sender.lock);
    sender.started = false;
    pthread_cond_destroy(&sender.cond);
    pthread_mutex_unlock(&sender.lock);
    store_outbox_pending(sender.store, &pending);
    store_close(sender.store);
    sender.store = NULL;
    log_info("mail sender stopped", LOG_INT("pending", pending));
out:
    return;
}
