/*
 * This file implements the metrics registry of metrics.h and renders it in
 * Prometheus' text format. It fits in as the sink of the pipeline's log phase
 * (response.c reports every answered request) and of the few events other
 * layers count (rate limits, mail, cache, database errors).
 *
 * Each thread owns a slot: counters plus an open-addressing table of
 * histogram series keyed by (route template, method, status). Only the owner
 * writes its slot, with relaxed atomic adds on memory no other thread
 * writes, so recording costs no lock and no shared cache line. A series'
 * key is written before its `used` flag is released, so a scrape that sees
 * the flag sees the key. Threads past MAX_SLOTS share one slot whose series
 * table is guarded by a mutex (its counters are atomics like the others).
 * Slots live until the process ends.
 *
 * A series also keeps its latest exemplar: the trace id, duration and time
 * of the last request observed in it whose trace was recorded. The owner
 * writes it under a sequence counter (odd while writing) and a scrape reads
 * it again when the counter moved, so a scrape never pairs one request's
 * trace id with another's duration; all of its fields are atomics. It is
 * rendered only in the OpenMetrics exposition, the one format with
 * exemplars, which differs from Prometheus text only in counter family
 * names (no _total suffix), its Content-Type and the closing "# EOF".
 */
#include "core/metrics.h"

#include <dirent.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "core/error.h"
#include "core/mem.h"

#define MAX_SLOTS 128
#define SERIES_CAP 256 /* per slot; a power of two */
#define NBUCKETS (CORE_METRICS_BUCKETS + 1) /* the last is +Inf */

static const int64_t bucket_ns[CORE_METRICS_BUCKETS] = {
    500000,    1000000,   2500000,   5000000,    10000000,   25000000,   50000000,
    100000000, 250000000, 500000000, 1000000000, 2500000000, 5000000000, 10000000000,
};
static const char *const bucket_le[NBUCKETS] = {
    "0.0005", "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "+Inf",
};

enum { M_GET = 0, M_POST, M_PUT, M_PATCH, M_DELETE, M_HEAD, M_OPTIONS, M_OTHER, NMETHODS };
static const char *const method_names[NMETHODS] = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "other"};

static const char UNMATCHED[] = "unmatched";

typedef struct series {
    atomic_bool used; /* released after the key below is written */
    const char *route;
    int method;
    int status;
    atomic_uint_fast64_t buckets[NBUCKETS]; /* not cumulative */
    atomic_uint_fast64_t sum_ns;
    /* the latest exemplar; seq odd while the owner writes it, 0 while there is none */
    atomic_uint_fast64_t ex_seq;
    atomic_uint_fast64_t ex_trace[2]; /* the 16 bytes of the trace id */
    atomic_int_fast64_t ex_ns, ex_unix_ms;
    atomic_int ex_bucket;
} series_t;

typedef struct slot {
    atomic_uint_fast64_t counters[CORE_METRICS_COUNTERS];
    atomic_int_fast64_t inflight;
    series_t series[SERIES_CAP];
} slot_t;

static struct {
    slot_t *_Atomic slots[MAX_SLOTS];
    atomic_int nslots; /* indexes handed out; may exceed MAX_SLOTS */
    slot_t shared;     /* for threads past MAX_SLOTS */
    pthread_mutex_t shared_lock;
    atomic_int_fast64_t gauges[CORE_METRICS_GAUGES];
    const char *_Atomic kv_backend;
} reg = {
    .shared_lock = PTHREAD_MUTEX_INITIALIZER,
    .gauges = {-1, -1, -1, -1, -1},
};

static _Thread_local slot_t *my_slot;
static bool enabled = true; /* written before the threads that read it start */

static slot_t *slot_get(void)
{
    if (my_slot == NULL) {
        int i = atomic_fetch_add(&reg.nslots, 1);
        if (i < MAX_SLOTS) {
            my_slot = core_calloc(1, sizeof(slot_t));
            atomic_store_explicit(&reg.slots[i], my_slot, memory_order_release);
        } else {
            my_slot = &reg.shared;
        }
    }
    return my_slot;
}

static void add(atomic_uint_fast64_t *v, uint64_t n)
{
    atomic_fetch_add_explicit(v, n, memory_order_relaxed);
}

static uint64_t get(atomic_uint_fast64_t *v)
{
    return atomic_load_explicit(v, memory_order_relaxed);
}

void core_metrics_set_enabled(bool on)
{
    enabled = on;
}

void core_metrics_count(enum core_metrics_counter c)
{
    if (enabled)
        add(&slot_get()->counters[c], 1);
}

int core_metrics_cache_result(int rc)
{
    core_metrics_count(rc == CORE_OK ? CORE_METRICS_CACHE_HIT
                       : rc == CORE_E_NOT_FOUND ? CORE_METRICS_CACHE_MISS
                                                : CORE_METRICS_CACHE_ERROR);
    return rc;
}

void core_metrics_gauge_set(enum core_metrics_gauge g, int64_t value)
{
    atomic_store_explicit(&reg.gauges[g], value, memory_order_relaxed);
}

void core_metrics_kv_backend_set(const char *name)
{
    atomic_store_explicit(&reg.kv_backend, name, memory_order_release);
}

void core_metrics_request_begin(void)
{
    if (enabled)
        atomic_fetch_add_explicit(&slot_get()->inflight, 1, memory_order_relaxed);
}

static int method_index(core_str_t m)
{
    for (int i = 0; i < M_OTHER; i++)
        if (core_str_eq(m, core_str_c(method_names[i])))
            return i;
    return M_OTHER;
}

/* The owner's series for the key, created if new; NULL when the table is full. */
static series_t *series_find(slot_t *s, const char *route, int method, int status)
{
    size_t h = ((uintptr_t)route >> 3) * 31u + (size_t)method * 7u + (size_t)status;

    for (size_t n = 0; n < SERIES_CAP; n++, h++) {
        series_t *e = &s->series[h & (SERIES_CAP - 1)];
        if (!atomic_load_explicit(&e->used, memory_order_acquire)) {
            e->route = route;
            e->method = method;
            e->status = status;
            atomic_store_explicit(&e->used, true, memory_order_release);
            return e;
        }
        if (e->route == route && e->method == method && e->status == status)
            return e;
    }
    return NULL;
}

/* Record the exemplar of one observation in e (its owner only). */
static void exemplar_set(series_t *e, const uint8_t trace_id[CORE_METRICS_TRACE_ID_BYTES], int b, int64_t duration_ns)
{
    uint64_t seq = atomic_load_explicit(&e->ex_seq, memory_order_relaxed), half[2];
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    memcpy(half, trace_id, sizeof(half));
    atomic_store_explicit(&e->ex_seq, seq + 1, memory_order_relaxed);
    atomic_thread_fence(memory_order_release);
    atomic_store_explicit(&e->ex_trace[0], half[0], memory_order_relaxed);
    atomic_store_explicit(&e->ex_trace[1], half[1], memory_order_relaxed);
    atomic_store_explicit(&e->ex_ns, duration_ns, memory_order_relaxed);
    atomic_store_explicit(&e->ex_unix_ms, (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000, memory_order_relaxed);
    atomic_store_explicit(&e->ex_bucket, b, memory_order_relaxed);
    atomic_store_explicit(&e->ex_seq, seq + 2, memory_order_release);
}

void core_metrics_request_end(core_str_t method, const char *route, int status, int64_t duration_ns,
                              const uint8_t *trace_id)
{
    slot_t *s;
    series_t *e;
    int b = 0;

    if (!enabled)
        return;
    s = slot_get();
    atomic_fetch_sub_explicit(&s->inflight, 1, memory_order_relaxed);
    if (duration_ns < 0)
        duration_ns = 0;
    while (b < CORE_METRICS_BUCKETS && duration_ns > bucket_ns[b])
        b++;
    if (s == &reg.shared)
        pthread_mutex_lock(&reg.shared_lock);
    e = series_find(s, route != NULL ? route : UNMATCHED, method_index(method), status);
    if (s == &reg.shared)
        pthread_mutex_unlock(&reg.shared_lock);
    if (e == NULL)
        return; /* 256 distinct series on one thread: the route table cannot make that many */
    add(&e->buckets[b], 1);
    add(&e->sum_ns, (uint64_t)duration_ns);
    if (trace_id != NULL && s != &reg.shared) /* the shared slot has several writers */
        exemplar_set(e, trace_id, b, duration_ns);
}

/* ---- scrape side ---- */

typedef struct exemplar {
    uint8_t trace_id[CORE_METRICS_TRACE_ID_BYTES];
    int64_t ns, unix_ms; /* unix_ms 0: none */
    int bucket;
} exemplar_t;

typedef struct merged {
    const char *route;
    int method, status;
    uint64_t buckets[NBUCKETS];
    uint64_t sum_ns;
    exemplar_t ex; /* the latest of the slots' */
} merged_t;

/* e's exemplar into out, when it has one and a consistent copy was read. */
static bool exemplar_get(series_t *e, exemplar_t *out)
{
    for (int tries = 0; tries < 4; tries++) {
        uint64_t seq = atomic_load_explicit(&e->ex_seq, memory_order_acquire), half[2];
        if (seq == 0)
            return false;
        if (seq & 1)
            continue;
        half[0] = atomic_load_explicit(&e->ex_trace[0], memory_order_relaxed);
        half[1] = atomic_load_explicit(&e->ex_trace[1], memory_order_relaxed);
        out->ns = atomic_load_explicit(&e->ex_ns, memory_order_relaxed);
        out->unix_ms = atomic_load_explicit(&e->ex_unix_ms, memory_order_relaxed);
        out->bucket = atomic_load_explicit(&e->ex_bucket, memory_order_relaxed);
        atomic_thread_fence(memory_order_acquire);
        if (atomic_load_explicit(&e->ex_seq, memory_order_relaxed) == seq) {
            memcpy(out->trace_id, half, sizeof(half));
            return true;
        }
    }
    return false; /* the owner kept writing: this scrape goes without */
}

typedef struct totals {
    uint64_t counters[CORE_METRICS_COUNTERS];
    int64_t inflight;
    merged_t *series;
    size_t nseries, cap;
} totals_t;

static void merge_series(totals_t *t, series_t *e)
{
    merged_t *m = NULL;

    for (size_t i = 0; i < t->nseries && m == NULL; i++)
        if (t->series[i].route == e->route && t->series[i].method == e->method && t->series[i].status == e->status)
            m = &t->series[i];
    if (m == NULL) {
        if (t->nseries == t->cap) {
            t->cap = t->cap ? t->cap * 2 : 64;
            t->series = core_realloc(t->series, t->cap * sizeof(*t->series));
        }
        m = &t->series[t->nseries++];
        memset(m, 0, sizeof(*m));
        m->route = e->route;
        m->method = e->method;
        m->status = e->status;
    }
    for (int b = 0; b < NBUCKETS; b++)
        m->buckets[b] += get(&e->buckets[b]);
    m->sum_ns += get(&e->sum_ns);
    exemplar_t ex;
    if (exemplar_get(e, &ex) && ex.unix_ms > m->ex.unix_ms)
        m->ex = ex;
}

static void merge_slot(totals_t *t, slot_t *s)
{
    for (int c = 0; c < CORE_METRICS_COUNTERS; c++)
        t->counters[c] += get(&s->counters[c]);
    t->inflight += atomic_load_explicit(&s->inflight, memory_order_relaxed);
    for (size_t i = 0; i < SERIES_CAP; i++)
        if (atomic_load_explicit(&s->series[i].used, memory_order_acquire))
            merge_series(t, &s->series[i]);
}

static int merged_cmp(const void *a, const void *b)
{
    const merged_t *x = a, *y = b;
    int c = strcmp(x->route, y->route);
    if (c == 0)
        c = x->method - y->method;
    return c != 0 ? c : x->status - y->status;
}

static void sum_slots(totals_t *t)
{
    int n = atomic_load(&reg.nslots);

    memset(t, 0, sizeof(*t));
    for (int i = 0; i < n && i < MAX_SLOTS; i++) {
        slot_t *s = atomic_load_explicit(&reg.slots[i], memory_order_acquire);
        if (s != NULL) /* NULL: the index is taken, the slot not yet published */
            merge_slot(t, s);
    }
    pthread_mutex_lock(&reg.shared_lock);
    merge_slot(t, &reg.shared);
    pthread_mutex_unlock(&reg.shared_lock);
    if (t->nseries > 1)
        qsort(t->series, t->nseries, sizeof(*t->series), merged_cmp);
}

/* A label value with \, " and newline escaped as the format requires. */
static void put_label(FILE *f, const char *v)
{
    for (; *v != '\0'; v++) {
        if (*v == '\\' || *v == '"')
            fputc('\\', f);
        if (*v == '\n')
            fputs("\\n", f);
        else
            fputc(*v, f);
    }
}

/* Set for the render in progress on this thread: the OpenMetrics exposition. */
static _Thread_local bool openmetrics;

static void family(FILE *f, const char *name, const char *type, const char *help)
{
    size_t len = strlen(name);

    /* OpenMetrics names a counter family without the _total its sample carries */
    if (openmetrics && strcmp(type, "counter") == 0 && len > 6 && strcmp(name + len - 6, "_total") == 0)
        len -= 6;
    fprintf(f, "# HELP %.*s %s\n# TYPE %.*s %s\n", (int)len, name, help, (int)len, name, type);
}

/* " # {trace_id=\"...\"} <seconds> <unix seconds>" after a bucket's count. */
static void put_exemplar(FILE *f, const exemplar_t *ex)
{
    static const char hex[] = "0123456789abcdef";
    char id[CORE_METRICS_TRACE_ID_BYTES * 2 + 1];

    for (int i = 0; i < CORE_METRICS_TRACE_ID_BYTES; i++) {
        id[2 * i] = hex[ex->trace_id[i] >> 4];
        id[2 * i + 1] = hex[ex->trace_id[i] & 15];
    }
    id[sizeof(id) - 1] = '\0';
    fprintf(f, " # {trace_id=\"%s\"} %.9f %lld.%03lld", id, (double)ex->ns / 1e9, (long long)(ex->unix_ms / 1000),
            (long long)(ex->unix_ms % 1000));
}

static void put_histogram(FILE *f, const totals_t *t)
{
    static const char name[] = "http_request_duration_seconds";

    family(f, name, "histogram", "Time from receiving a request to handing over its response, by route template.");
    for (size_t i = 0; i < t->nseries; i++) {
        const merged_t *m = &t->series[i];
        uint64_t cum = 0;
        for (int b = 0; b < NBUCKETS; b++) {
            cum += m->buckets[b];
            fprintf(f, "%s_bucket{method=\"%s\",route=\"", name, method_names[m->method]);
            put_label(f, m->route);
            fprintf(f, "\",status_code=\"%d\",le=\"%s\"} %llu", m->status, bucket_le[b], (unsigned long long)cum);
            if (openmetrics && m->ex.unix_ms != 0 && m->ex.bucket == b)
                put_exemplar(f, &m->ex);
            fputc('\n', f);
        }
        fprintf(f, "%s_sum{method=\"%s\",route=\"", name, method_names[m->method]);
        put_label(f, m->route);
        fprintf(f, "\",status_code=\"%d\"} %.9f\n", m->status, (double)m->sum_ns / 1e9);
        fprintf(f, "%s_count{method=\"%s\",route=\"", name, method_names[m->method]);
        put_label(f, m->route);
        fprintf(f, "\",status_code=\"%d\"} %llu\n", m->status, (unsigned long long)cum);
    }
}

static void put_counters(FILE *f, const totals_t *t)
{
    const uint64_t *c = t->counters;

    family(f, "http_requests_in_flight", "gauge", "Requests received and not yet answered.");
    fprintf(f, "http_requests_in_flight %lld\n", (long long)t->inflight);
    family(f, "http_rate_limited_total", "counter", "Requests refused with 429 by the rate limiter, by limit.");
    fprintf(f, "http_rate_limited_total{limit=\"api\"} %llu\n", (unsigned long long)c[CORE_METRICS_RATE_LIMITED_API]);
    fprintf(f, "http_rate_limited_total{limit=\"auth\"} %llu\n",
            (unsigned long long)c[CORE_METRICS_RATE_LIMITED_AUTH]);
    fprintf(f, "http_rate_limited_total{limit=\"user\"} %llu\n",
            (unsigned long long)c[CORE_METRICS_RATE_LIMITED_USER]);
    family(f, "mail_sent_total", "counter", "Emails delivered by this process's outbox sender.");
    fprintf(f, "mail_sent_total %llu\n", (unsigned long long)c[CORE_METRICS_MAIL_SENT]);
    family(f, "mail_failed_total", "counter", "Failed email delivery attempts (each is retried or given up).");
    fprintf(f, "mail_failed_total %llu\n", (unsigned long long)c[CORE_METRICS_MAIL_FAILED]);
    family(f, "kv_cache_requests_total", "counter", "Cache lookups in the kv store, by result.");
    fprintf(f, "kv_cache_requests_total{result=\"hit\"} %llu\n", (unsigned long long)c[CORE_METRICS_CACHE_HIT]);
    fprintf(f, "kv_cache_requests_total{result=\"miss\"} %llu\n", (unsigned long long)c[CORE_METRICS_CACHE_MISS]);
    fprintf(f, "kv_cache_requests_total{result=\"error\"} %llu\n", (unsigned long long)c[CORE_METRICS_CACHE_ERROR]);
    family(f, "db_query_errors_total", "counter", "Database statements that failed.");
    fprintf(f, "db_query_errors_total %llu\n", (unsigned long long)c[CORE_METRICS_DB_ERRORS]);
    family(f, "worker_jobs_dropped_total", "counter", "Background jobs dropped because the worker queue was full.");
    fprintf(f, "worker_jobs_dropped_total %llu\n", (unsigned long long)c[CORE_METRICS_JOBS_DROPPED]);
    family(f, "otp_throttled_total", "counter", "One-time codes not sent: the account reached OTP_SEND_MAX.");
    fprintf(f, "otp_throttled_total %llu\n", (unsigned long long)c[CORE_METRICS_OTP_THROTTLED]);
    family(f, "trace_spans_exported_total", "counter", "Spans the OTLP collector accepted.");
    fprintf(f, "trace_spans_exported_total %llu\n", (unsigned long long)c[CORE_METRICS_SPANS_EXPORTED]);
    family(f, "trace_spans_dropped_total", "counter",
           "Spans lost: the exporter's queue was full, or the collector did not take the batch.");
    fprintf(f, "trace_spans_dropped_total{reason=\"queue_full\"} %llu\n",
            (unsigned long long)c[CORE_METRICS_SPANS_DROPPED_QUEUE_FULL]);
    fprintf(f, "trace_spans_dropped_total{reason=\"export_failed\"} %llu\n",
            (unsigned long long)c[CORE_METRICS_SPANS_DROPPED_EXPORT_FAILED]);
}

static int64_t gauge(enum core_metrics_gauge g)
{
    return atomic_load_explicit(&reg.gauges[g], memory_order_relaxed);
}

static void put_gauges(FILE *f)
{
    const char *backend = atomic_load_explicit(&reg.kv_backend, memory_order_acquire);

    if (gauge(CORE_METRICS_OUTBOX_PENDING) >= 0) {
        family(f, "store_outbox_pending", "gauge", "Emails waiting in the outbox (all instances).");
        fprintf(f, "store_outbox_pending %lld\n", (long long)gauge(CORE_METRICS_OUTBOX_PENDING));
    }
    if (backend != NULL && gauge(CORE_METRICS_KV_UP) >= 0) {
        family(f, "kv_up", "gauge", "Whether the kv backend answers (1) or not (0); always 1 for memory.");
        fputs("kv_up{backend=\"", f);
        put_label(f, backend);
        fprintf(f, "\"} %lld\n", (long long)gauge(CORE_METRICS_KV_UP));
    }
    if (gauge(CORE_METRICS_DB_POOL_MAX) >= 0) {
        family(f, "db_pool_connections", "gauge", "Database connections of this process, by state.");
        fprintf(f, "db_pool_connections{state=\"in_use\"} %lld\n", (long long)gauge(CORE_METRICS_DB_POOL_IN_USE));
        fprintf(f, "db_pool_connections{state=\"idle\"} %lld\n", (long long)gauge(CORE_METRICS_DB_POOL_IDLE));
        family(f, "db_pool_max_connections", "gauge",
               "Upper bound of this process's database connections (DB_POOL_MAX per pool: the primary and each "
               "replica).");
        fprintf(f, "db_pool_max_connections %lld\n", (long long)gauge(CORE_METRICS_DB_POOL_MAX));
        family(f, "db_pool_waiting", "gauge", "Callers of this process waiting for a free database connection.");
        fprintf(f, "db_pool_waiting %lld\n", (long long)(gauge(CORE_METRICS_DB_POOL_WAITING) > 0
                                                             ? gauge(CORE_METRICS_DB_POOL_WAITING)
                                                             : 0));
    }
    family(f, "lsf_build_info", "gauge", "Always 1; the labels say which build runs.");
    fprintf(f, "lsf_build_info{version=\"%s\",revision=\"%s\"} 1\n", LSF_VERSION, LSF_GIT_REV);
}

/* Fields 14 (utime), 15 (stime), 22 (starttime), 23 (vsize), 24 (rss) of
 * /proc/self/stat, counted after the ')' that ends the command name. */
static bool read_proc_stat(unsigned long long v[5])
{
    char buf[1024], *p;
    FILE *f = fopen("/proc/self/stat", "re");
    size_t n = f != NULL ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    int field = 2, k = 0;

    if (f != NULL)
        fclose(f);
    buf[n] = '\0';
    if ((p = strrchr(buf, ')')) == NULL)
        return false;
    for (p++; *p != '\0' && k < 5;) {
        while (*p == ' ')
            p++;
        field++;
        if (field == 14 || field == 15 || (field >= 22 && field <= 24))
            v[k++] = strtoull(p, NULL, 10);
        while (*p != '\0' && *p != ' ')
            p++;
    }
    return k == 5;
}

static long long boot_time(void)
{
    char line[256];
    long long btime = -1;
    FILE *f = fopen("/proc/stat", "re");

    while (f != NULL && btime < 0 && fgets(line, sizeof(line), f) != NULL)
        if (strncmp(line, "btime ", 6) == 0)
            btime = strtoll(line + 6, NULL, 10);
    if (f != NULL)
        fclose(f);
    return btime;
}

static long open_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    long n = 0;

    if (d == NULL)
        return -1;
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.' && atoi(de->d_name) != dirfd(d))
            n++;
    closedir(d);
    return n;
}

static void put_process(FILE *f)
{
    unsigned long long st[5];
    double tck = (double)sysconf(_SC_CLK_TCK);
    long long btime = boot_time();
    long fds = open_fds();
    struct rlimit rl;

    if (read_proc_stat(st)) {
        family(f, "process_cpu_seconds_total", "counter", "User and system CPU time spent, in seconds.");
        fprintf(f, "process_cpu_seconds_total %.2f\n", (double)(st[0] + st[1]) / tck);
        family(f, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.");
        fprintf(f, "process_virtual_memory_bytes %llu\n", st[3]);
        family(f, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.");
        fprintf(f, "process_resident_memory_bytes %llu\n", st[4] * (unsigned long long)sysconf(_SC_PAGESIZE));
        if (btime >= 0) {
            family(f, "process_start_time_seconds", "gauge", "Start time of the process since the epoch, in seconds.");
            fprintf(f, "process_start_time_seconds %.2f\n", (double)btime + (double)st[2] / tck);
        }
    }
    if (fds >= 0) {
        family(f, "process_open_fds", "gauge", "Open file descriptors.");
        fprintf(f, "process_open_fds %ld\n", fds);
    }
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        family(f, "process_max_fds", "gauge", "Limit on open file descriptors.");
        fprintf(f, "process_max_fds %llu\n", (unsigned long long)rl.rlim_cur);
    }
}

char *core_metrics_render(size_t *len, bool as_openmetrics)
{
    char *text = NULL;
    size_t size = 0;
    totals_t t;
    FILE *f = open_memstream(&text, &size);

    if (f == NULL)
        return NULL;
    sum_slots(&t);
    openmetrics = as_openmetrics;
    put_histogram(f, &t);
    put_counters(f, &t);
    put_gauges(f);
    put_process(f);
    if (openmetrics)
        fputs("# EOF\n", f);
    openmetrics = false;
    free(t.series);
    if (fclose(f) != 0) {
        free(text);
        return NULL;
    }
    *len = size;
    return text;
}

/* True when a media range's parameters (after its first ';') hold q=0. */
static bool refused(core_str_t params)
{
    while (params.len > 0) {
        const char *semi = memchr(params.base, ';', params.len);
        size_t n = semi != NULL ? (size_t)(semi - params.base) : params.len;
        core_str_t p = core_str_trim(core_str(params.base, n));
        if (p.len >= 2 && (p.base[0] == 'q' || p.base[0] == 'Q') && p.base[1] == '=') {
            for (size_t i = 2; i < p.len; i++)
                if (p.base[i] != '0' && p.base[i] != '.')
                    return false;
            return true;
        }
        params = semi != NULL ? core_str(semi + 1, params.len - n - 1) : core_str(NULL, 0);
    }
    return false;
}

bool core_metrics_accepts_openmetrics(core_str_t accept)
{
    while (accept.len > 0) {
        const char *comma = memchr(accept.base, ',', accept.len);
        size_t n = comma != NULL ? (size_t)(comma - accept.base) : accept.len;
        core_str_t range = core_str(accept.base, n);
        const char *semi = memchr(range.base, ';', range.len);
        size_t tn = semi != NULL ? (size_t)(semi - range.base) : range.len;
        if (core_str_eq_nocase(core_str_trim(core_str(range.base, tn)), CORE_STR_LIT("application/openmetrics-text")) &&
            !(semi != NULL && refused(core_str(semi + 1, range.len - tn - 1))))
            return true;
        accept = comma != NULL ? core_str(comma + 1, accept.len - n - 1) : core_str(NULL, 0);
    }
    return false;
}
