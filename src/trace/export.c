/*
 * This file implements the exporter of export.h, the way redis' bio.c keeps
 * slow work off its event loop: a queue under a mutex that producers hold
 * for a few instructions, and one thread that takes a batch, lets go of the
 * lock, encodes it (otlp.c) and POSTs it with libcurl. The thread sends when
 * OTEL_BSP_MAX_EXPORT_BATCH_SIZE spans wait or OTEL_BSP_SCHEDULE_DELAY has
 * passed, whichever comes first. A failed POST loses its batch (counted in
 * trace_spans_dropped_total{reason="export_failed"}, warned about once per
 * outage): spans are diagnostics, and retrying would hold memory exactly
 * while the collector is down.
 */
#include "trace/export.h"

#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/error.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "trace/otlp.h"

#define RESOURCE_MAX 64 /* attributes from OTEL_RESOURCE_ATTRIBUTES, plus ours */

static struct {
    const core_config_t *cfg;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    trace_span_t *head, *tail; /* FIFO, under lock */
    size_t queued;             /* under lock */
    bool stopping;             /* under lock */
    _Atomic bool enabled;
    char *url;
    struct curl_slist *headers;
    trace_resource_attr_t resource[RESOURCE_MAX + 4];
    size_t nresource;
    bool failing; /* exporter thread only: warned about this outage already */
} ex = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER};

bool trace_export_enabled(void)
{
    return atomic_load_explicit(&ex.enabled, memory_order_relaxed);
}

void trace_export_submit(trace_span_t *span)
{
    bool full, signal;

    if (!trace_export_enabled()) {
        trace_span_destroy(span);
        return;
    }
    pthread_mutex_lock(&ex.lock);
    full = ex.queued >= (size_t)ex.cfg->otel_bsp_max_queue_size;
    if (!full) {
        span->next = NULL;
        if (ex.tail != NULL)
            ex.tail->next = span;
        else
            ex.head = span;
        ex.tail = span;
        ex.queued++;
    }
    signal = ex.queued == (size_t)ex.cfg->otel_bsp_max_export_batch_size;
    pthread_mutex_unlock(&ex.lock);
    if (full) {
        core_metrics_count(CORE_METRICS_SPANS_DROPPED_QUEUE_FULL);
        trace_span_destroy(span);
    } else if (signal) {
        pthread_cond_signal(&ex.wake);
    }
}

static size_t discard_cb(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    (void)ptr;
    (void)userdata;
    return size * nmemb;
}

/* POST one batch (n spans from first); true when the collector took it. */
static bool post(CURL *curl, const trace_span_t *first, size_t n)
{
    size_t len;
    char *text = trace_otlp_encode(first, n, ex.resource, ex.nresource, &len);
    long status = 0;
    CURLcode rc = CURLE_OUT_OF_MEMORY;

    if (text != NULL) {
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, text);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
        rc = curl_easy_perform(curl);
        if (rc == CURLE_OK)
            curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
        free(text);
    }
    bool ok = rc == CURLE_OK && status >= 200 && status < 300;
    if (!ok && !ex.failing)
        log_warn("trace export failed: spans are dropped until the collector answers", LOG_STR("url", ex.url),
                 LOG_STR("error", rc != CURLE_OK ? curl_easy_strerror(rc) : "HTTP status"), LOG_INT("status", status));
    else if (ok && ex.failing)
        log_info("trace export works again", LOG_STR("url", ex.url));
    ex.failing = !ok;
    return ok;
}

static void send_batch(CURL *curl, trace_span_t *first, size_t n)
{
    if (n == 0)
        return;
    bool ok = curl != NULL && post(curl, first, n);
    for (size_t i = 0; i < n; i++) {
        trace_span_t *next = first->next;
        core_metrics_count(ok ? CORE_METRICS_SPANS_EXPORTED : CORE_METRICS_SPANS_DROPPED_EXPORT_FAILED);
        trace_span_destroy(first);
        first = next;
    }
}

/* Unlink up to the batch size from the queue's head. Under lock. */
static trace_span_t *take(size_t *n)
{
    trace_span_t *first = ex.head, *last = NULL;
    size_t max = (size_t)ex.cfg->otel_bsp_max_export_batch_size;

    *n = 0;
    for (trace_span_t *s = ex.head; s != NULL && *n < max; s = s->next) {
        last = s;
        (*n)++;
    }
    if (last == NULL)
        return NULL;
    ex.head = last->next;
    if (ex.head == NULL)
        ex.tail = NULL;
    last->next = NULL;
    ex.queued -= *n;
    return first;
}

static CURL *curl_create(void)
{
    CURL *curl = curl_easy_init();
    if (curl == NULL)
        return NULL;
    curl_easy_setopt(curl, CURLOPT_URL, ex.url);
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, ex.headers);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)ex.cfg->otel_exporter_timeout_ms);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_cb);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    return curl;
}

static void *exporter_main(void *arg)
{
    CURL *curl = curl_create();
    size_t n;

    (void)arg;
    pthread_mutex_lock(&ex.lock);
    while (!ex.stopping) {
        if (ex.queued < (size_t)ex.cfg->otel_bsp_max_export_batch_size) {
            struct timespec until;
            clock_gettime(CLOCK_REALTIME, &until);
            int64_t ns = until.tv_nsec + ex.cfg->otel_bsp_schedule_delay_ms * 1000000LL;
            until.tv_sec += (time_t)(ns / 1000000000LL);
            until.tv_nsec = (long)(ns % 1000000000LL);
            while (!ex.stopping && ex.queued < (size_t)ex.cfg->otel_bsp_max_export_batch_size &&
                   pthread_cond_timedwait(&ex.wake, &ex.lock, &until) != ETIMEDOUT) {
            }
        }
        trace_span_t *batch = take(&n);
        pthread_mutex_unlock(&ex.lock);
        send_batch(curl, batch, n);
        pthread_mutex_lock(&ex.lock);
    }
    /* stopping: whatever is left, one attempt each batch while the collector answers */
    trace_span_t *batch;
    while ((batch = take(&n)) != NULL) {
        pthread_mutex_unlock(&ex.lock);
        send_batch(ex.failing ? NULL : curl, batch, n);
        pthread_mutex_lock(&ex.lock);
    }
    pthread_mutex_unlock(&ex.lock);
    curl_easy_cleanup(curl);
    return NULL;
}

/* Set key to value (copied); an existing key is replaced only when override. */
static void resource_set(const char *key, const char *value, bool override)
{
    for (size_t i = 0; i < ex.nresource; i++) {
        if (strcmp(ex.resource[i].key, key) == 0) {
            if (override) {
                free((char *)(uintptr_t)ex.resource[i].value);
                ex.resource[i].value = core_strdup(value);
            }
            return;
        }
    }
    ex.resource[ex.nresource++] = (trace_resource_attr_t){core_strdup(key), core_strdup(value)};
}

/* OTEL_EXPORTER_OTLP_HEADERS: "key=value,..." with percent-encoded values,
 * checked at config load; the values may be credentials and are never logged. */
static int headers_build(void)
{
    trace_resource_attr_t pairs[RESOURCE_MAX];
    int n = trace_otlp_resource_parse(ex.cfg->otel_exporter_headers, pairs, RESOURCE_MAX);

    ex.headers = curl_slist_append(NULL, "Content-Type: application/json");
    for (int i = 0; i < n; i++) {
        size_t len = strlen(pairs[i].key) + strlen(pairs[i].value) + 3;
        char *line = core_malloc(len);
        snprintf(line, len, "%s: %s", pairs[i].key, pairs[i].value);
        ex.headers = curl_slist_append(ex.headers, line);
        memset(line, 0, len);
        free(line);
        free((char *)(uintptr_t)pairs[i].key);
        memset((char *)(uintptr_t)pairs[i].value, 0, strlen(pairs[i].value));
        free((char *)(uintptr_t)pairs[i].value);
    }
    return n < 0 ? -1 : 0;
}

static const char *service_name(void)
{
    for (size_t i = 0; i < ex.nresource; i++)
        if (strcmp(ex.resource[i].key, "service.name") == 0)
            return ex.resource[i].value;
    return "";
}

int trace_export_start(const core_config_t *cfg)
{
    const char *endpoint = cfg->otel_endpoint;
    int n;

    if (endpoint == NULL)
        return CORE_OK;
    ex.cfg = cfg;
    size_t len = strlen(endpoint);
    while (len > 0 && endpoint[len - 1] == '/')
        len--;
    ex.url = core_malloc(len + sizeof("/v1/traces"));
    memcpy(ex.url, endpoint, len);
    memcpy(ex.url + len, "/v1/traces", sizeof("/v1/traces"));
    n = trace_otlp_resource_parse(cfg->otel_resource_attributes, ex.resource, RESOURCE_MAX);
    ex.nresource = n > 0 ? (size_t)n : 0;
    /* OTEL_SERVICE_NAME wins over a service.name in OTEL_RESOURCE_ATTRIBUTES, as the spec says */
    if (cfg->otel_service_name != NULL)
        resource_set("service.name", cfg->otel_service_name, true);
    resource_set("service.name", "lsf-server", false);
    resource_set("service.version", LSF_VERSION, false);
    resource_set("telemetry.sdk.name", "lsf-server", true);
    resource_set("telemetry.sdk.language", "c", true);
    if (n < 0 || headers_build() != 0) { /* both were checked at config load */
        log_error("OTEL_RESOURCE_ATTRIBUTES or OTEL_EXPORTER_OTLP_HEADERS cannot be read");
        goto fail;
    }
    ex.stopping = false;
    atomic_store(&ex.enabled, true);
    if (pthread_create(&ex.thread, NULL, exporter_main, NULL) != 0) {
        log_error("cannot start the trace exporter thread");
        atomic_store(&ex.enabled, false);
        goto fail;
    }
    log_info("tracing on", LOG_STR("url", ex.url), LOG_STR("service", service_name()));
    return CORE_OK;
fail:
    trace_export_stop();
    return CORE_E_INTERNAL;
}

void trace_export_stop(void)
{
    if (trace_export_enabled()) {
        atomic_store(&ex.enabled, false);
        pthread_mutex_lock(&ex.lock);
        ex.stopping = true;
        pthread_cond_signal(&ex.wake);
        pthread_mutex_unlock(&ex.lock);
        pthread_join(ex.thread, NULL);
    }
    for (size_t i = 0; i < ex.nresource; i++) {
        free((char *)(uintptr_t)ex.resource[i].key);
        free((char *)(uintptr_t)ex.resource[i].value);
    }
    ex.nresource = 0;
    curl_slist_free_all(ex.headers);
    ex.headers = NULL;
    free(ex.url);
    ex.url = NULL;
}
