/*
 * This file implements the process-wide connection pools of the PostgreSQL
 * backend. Every store_t opened for one DATABASE_URL shares a cluster: a
 * pool for the primary and one per read replica (DATABASE_REPLICA_URLS).
 * A pool keeps idle connections on a stack (the most recently used first,
 * so the extra ones age out), grows up to db_pool_max, and makes a caller
 * wait at most db_pool_acquire_timeout_ms for a free connection before
 * answering CORE_E_UNAVAILABLE, so the API says 503 instead of hanging.
 * Connections are made without blocking past db_connect_timeout_ms, with
 * statement_timeout set for the session, and JIT off: our statements are
 * short, and the planner's row guesses for set-returning functions made
 * lsf_search_query() cross jit_above_cost, so every search spent 100+ ms
 * compiling code that runs for microseconds. An idle connection that has
 * anything to read (the server said goodbye) or a bad PQstatus is dropped
 * when taken and replaced, so the pool heals by itself after a restart of
 * the server. Connections idle longer than db_pool_idle_timeout_ms are
 * closed while more than db_pool_min are open. The connections of every
 * pool of the process are reported as the db_pool_* gauges.
 *
 * Reads and replicas: a task read (STORE_PG_READ) goes to a replica in turn;
 * one that cannot be reached is skipped for REPLICA_RETRY_MS, and when none
 * answers the primary serves the read. Read-your-writes is time based: after
 * a user's write, that user's reads go to the primary for
 * db_read_your_writes_ms. The mark is kept twice. In this process, a hashed
 * table of write times (a collision merely sends a read to the primary)
 * answers without a round trip. Across processes, the write hook of store.h
 * marks the write (with REDIS_URL, a Redis key per user that expires after
 * the window: every write reports the window, store_pg_cluster_ryw_ms); a
 * read that finds no mark here asks the hook (store__wrote_recently), and
 * goes to the primary when the hook finds a mark or cannot answer (Redis
 * down). So a user whose next
 * request lands on another instance still reads their write, and an outage
 * of Redis only moves reads to the primary. Without REDIS_URL the mark is
 * per process: then use sticky sessions, or keep DB_READ_YOUR_WRITES_MS
 * above the replicas' lag and accept that another instance may lag.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "store/postgres/postgres.h"

#define REPLICA_RETRY_MS 5000
#define RYW_SLOTS 4096
#define MAX_REPLICAS 16

typedef struct settings {
    int max, min, loop_max;
    int64_t idle_timeout_ms, acquire_timeout_ms, connect_timeout_ms, statement_timeout_ms, ryw_ms;
    char *replicas; /* comma list, or NULL */
} settings_t;

struct store_pg_pool {
    char *url;
    bool replica;
    const settings_t *set;
    pthread_mutex_t mu;
    pthread_cond_t cv; /* a connection was given back or a slot freed */
    store_pg_conn_t **idle;
    size_t nidle;
    int open;               /* connections existing or being made */
    _Atomic int64_t down_until; /* replicas: skipped until then (monotonic ms) */
};

struct store_pg_cluster {
    store_pg_cluster_t *next;
    int refs;
    settings_t set;
    store_pg_pool_t primary;
    store_pg_pool_t replicas[MAX_REPLICAS];
    size_t nreplicas;
    atomic_uint turn;
    _Atomic int64_t last_write[RYW_SLOTS]; /* monotonic ms of a user's last write, by hash */
};

static pthread_mutex_t clusters_mu = PTHREAD_MUTEX_INITIALIZER;
static store_pg_cluster_t *clusters;

/* The connections of every pool of the process, for the db_pool_* gauges.
 * Counted under their own lock so the published values are never older
 * than the last change. */
static struct {
    pthread_mutex_t mu;
    int64_t open, idle, max, waiting;
} gauges = {.mu = PTHREAD_MUTEX_INITIALIZER};
static settings_t settings = {
    .max = 10,
    .min = 5,
    .idle_timeout_ms = 45000,
    .acquire_timeout_ms = 10000,
    .connect_timeout_ms = 5000,
    .statement_timeout_ms = 5000,
    .ryw_ms = 5000,
    .loop_max = 2,
};

void store_postgres_configure(const core_config_t *cfg)
{
    int max = cfg->db_pool_max > 0 ? cfg->db_pool_max : 1, loops = cfg->http_threads > 0 ? cfg->http_threads : 1;

    pthread_mutex_lock(&clusters_mu);
    free(settings.replicas);
    settings = (settings_t){
        .max = max,
        .min = cfg->db_pool_min,
        .idle_timeout_ms = cfg->db_pool_idle_timeout_ms,
        .acquire_timeout_ms = cfg->db_pool_acquire_timeout_ms,
        .connect_timeout_ms = cfg->db_connect_timeout_ms,
        .statement_timeout_ms = cfg->db_statement_timeout_ms,
        .ryw_ms = cfg->db_read_your_writes_ms,
        .loop_max = max / loops > 2 ? max / loops : 2, /* exclusive connections of each event loop (async.c) */
        .replicas = cfg->database_replica_urls != NULL && *cfg->database_replica_urls != '\0'
                        ? core_strdup(cfg->database_replica_urls)
                        : NULL,
    };
    pthread_mutex_unlock(&clusters_mu);
}

/* Count open, idle and max more connections (negative: fewer) and publish. */
static void gauges_add(int64_t open, int64_t idle, int64_t max)
{
    pthread_mutex_lock(&gauges.mu);
    gauges.open += open;
    gauges.idle += idle;
    gauges.max += max;
    core_metrics_gauge_set(CORE_METRICS_DB_POOL_IN_USE, gauges.open - gauges.idle);
    core_metrics_gauge_set(CORE_METRICS_DB_POOL_IDLE, gauges.idle);
    core_metrics_gauge_set(CORE_METRICS_DB_POOL_MAX, gauges.max);
    pthread_mutex_unlock(&gauges.mu);
}

/* Count callers waiting for a connection (d = +1 or -1) and publish. */
static void waiting_add(int64_t d)
{
    pthread_mutex_lock(&gauges.mu);
    gauges.waiting += d;
    core_metrics_gauge_set(CORE_METRICS_DB_POOL_WAITING, gauges.waiting);
    pthread_mutex_unlock(&gauges.mu);
}

static void quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message; /* NOTICEs (e.g. a word too long to index) are not ours to print */
}

void store_pg_url_host(const char *url, char *out, size_t cap)
{
    const char *p = strstr(url, "://"), *at;
    size_t n;

    p = p != NULL ? p + 3 : url;
    n = strcspn(p, "/?");
    at = memchr(p, '@', n);
    if (at != NULL) {
        n -= (size_t)(at + 1 - p);
        p = at + 1;
    }
    snprintf(out, cap, "%.*s", (int)n, p);
}

/* Start connecting to url with our session settings (generic: prepared
 * statements run with plan_cache_mode = force_generic_plan from the start,
 * for the loops' connections). NULL when out of memory. */
static PGconn *connect_start(const char *url, const settings_t *set, bool generic)
{
    char options[160] = "-c jit=off";
    size_t len = strlen(options);
    const char *keys[] = {"dbname", "options", "application_name", "keepalives_idle", "keepalives_interval", NULL};
    const char *vals[] = {url, options, "lsf-server", "30", "10", NULL};

    if (set->statement_timeout_ms > 0)
        len += (size_t)snprintf(options + len, sizeof(options) - len, " -c statement_timeout=%lld",
                                (long long)set->statement_timeout_ms);
    if (generic)
        snprintf(options + len, sizeof(options) - len, " -c plan_cache_mode=force_generic_plan");
    return PQconnectStartParams(keys, vals, 1);
}

PGconn *store_pg_connect_start(const char *url, const store_pg_pool_t *p)
{
    return connect_start(url, p->set, true);
}

/* Connect to url within timeout_ms; NULL on failure (logged). */
static PGconn *connect_url(const char *url, const settings_t *set)
{
    int64_t deadline = core_clock_mono_ms() + set->connect_timeout_ms;
    PostgresPollingStatusType st = PGRES_POLLING_WRITING;
    const char *why = NULL;
    char host[128];
    PGconn *pg;

    pg = connect_start(url, set, false);
    if (pg == NULL) {
        why = "out of memory";
        goto fail;
    }
    if (PQstatus(pg) == CONNECTION_BAD)
        goto fail;
    while (st != PGRES_POLLING_OK) {
        int64_t left = deadline - core_clock_mono_ms();
        struct pollfd p = {.fd = PQsocket(pg), .events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT};
        int r;

        if (st == PGRES_POLLING_FAILED)
            goto fail;
        if (left <= 0) {
            why = "connect timeout";
            goto fail;
        }
        r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (r < 0 && errno != EINTR) {
            why = strerror(errno);
            goto fail;
        }
        if (r > 0)
            st = PQconnectPoll(pg);
    }
    PQsetNoticeProcessor(pg, quiet_notice, NULL);
    return pg;
fail:
    store_pg_url_host(url, host, sizeof(host));
    if (why == NULL && pg != NULL) {
        /* libpq's message ends with a newline and may span lines */
        static _Thread_local char msg[256];
        snprintf(msg, sizeof(msg), "%s", PQerrorMessage(pg));
        msg[strcspn(msg, "\n")] = '\0';
        why = msg;
    }
    log_warn("postgres: cannot connect", LOG_STR("host", host), LOG_STR("error", why != NULL ? why : "?"));
    PQfinish(pg);
    return NULL;
}

void store_pg_notice_quiet(PGconn *pg)
{
    PQsetNoticeProcessor(pg, quiet_notice, NULL);
}

static void pool_init(store_pg_pool_t *p, const char *url, bool replica, const settings_t *set)
{
    pthread_condattr_t ca;

    p->url = core_strdup(url);
    p->replica = replica;
    p->set = set;
    pthread_mutex_init(&p->mu, NULL);
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cv, &ca);
    pthread_condattr_destroy(&ca);
    p->idle = core_calloc((size_t)set->max, sizeof(*p->idle));
    gauges_add(0, 0, set->max);
}

static void conn_close(store_pg_conn_t *c)
{
    PQfinish(c->pg);
    free(c);
}

static void pool_cleanup(store_pg_pool_t *p)
{
    for (size_t i = 0; i < p->nidle; i++)
        conn_close(p->idle[i]);
    gauges_add(-(int64_t)p->nidle, -(int64_t)p->nidle, -p->set->max);
    free(p->idle);
    free(p->url);
    pthread_mutex_destroy(&p->mu);
    pthread_cond_destroy(&p->cv);
}

/* Whether an idle connection can be handed out: a healthy session, outside
 * a transaction, with nothing unread (an idle session is sent something only
 * when the server ends it). */
static bool conn_usable(store_pg_conn_t *c)
{
    struct pollfd p = {.fd = PQsocket(c->pg), .events = POLLIN};

    if (PQstatus(c->pg) != CONNECTION_OK || PQtransactionStatus(c->pg) != PQTRANS_IDLE || p.fd < 0)
        return false;
    return poll(&p, 1, 0) == 0;
}

/* Close idle connections past the idle timeout while more than min are
 * open. The oldest are at the bottom of the stack. Called locked. */
static void pool_reap(store_pg_pool_t *p, int64_t now)
{
    size_t keep = 0, closed;

    for (size_t i = 0; i < p->nidle; i++) {
        store_pg_conn_t *c = p->idle[i];
        if (p->open > p->set->min && now - c->idle_since >= p->set->idle_timeout_ms) {
            conn_close(c);
            p->open--;
        } else {
            p->idle[keep++] = c;
        }
    }
    closed = p->nidle - keep;
    p->nidle = keep;
    if (closed > 0)
        gauges_add(-(int64_t)closed, -(int64_t)closed, 0);
}

/* Borrow from p, waiting until deadline (monotonic ms) for a free slot. */
static int pool_acquire(store_pg_pool_t *p, int64_t deadline, store_pg_conn_t **out)
{
    struct timespec ts = {.tv_sec = (time_t)(deadline / 1000), .tv_nsec = (long)(deadline % 1000) * 1000000};
    int rc = CORE_E_UNAVAILABLE;
    PGconn *pg;

    *out = NULL;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        pool_reap(p, core_clock_mono_ms());
        while (p->nidle > 0) {
            store_pg_conn_t *c = p->idle[--p->nidle];
            if (conn_usable(c)) {
                gauges_add(0, -1, 0);
                *out = c;
                rc = CORE_OK;
                goto out;
            }
            conn_close(c); /* replaced below or by the next caller */
            p->open--;
            gauges_add(-1, -1, 0);
        }
        if (p->open < p->set->max) {
            p->open++;
            gauges_add(1, 0, 0); /* in use from now: being made */
            pthread_mutex_unlock(&p->mu);
            pg = connect_url(p->url, p->set);
            pthread_mutex_lock(&p->mu);
            if (pg == NULL) {
                p->open--;
                gauges_add(-1, 0, 0);
                pthread_cond_signal(&p->cv);
                goto out;
            }
            *out = core_calloc(1, sizeof(**out));
            (*out)->pg = pg;
            (*out)->pool = p;
            rc = CORE_OK;
            goto out;
        }
        waiting_add(1);
        int waited = pthread_cond_timedwait(&p->cv, &p->mu, &ts);
        waiting_add(-1);
        if (waited == ETIMEDOUT && p->nidle == 0 && p->open >= p->set->max) {
            log_warn("postgres: no free connection in time", LOG_BOOL("replica", p->replica),
                     LOG_INT("pool_max", p->set->max), LOG_INT("timeout_ms", p->set->acquire_timeout_ms));
            goto out;
        }
    }
out:
    pthread_mutex_unlock(&p->mu);
    return rc;
}

void store_pg_release(store_pg_conn_t *c)
{
    store_pg_pool_t *p;

    if (c == NULL)
        return;
    if (c->async) {
        store_pg_async_release(c);
        return;
    }
    p = c->pool;
    if (!c->broken && PQstatus(c->pg) != CONNECTION_OK)
        c->broken = true;
    if (!c->broken && PQtransactionStatus(c->pg) != PQTRANS_IDLE) {
        PQclear(PQexec(c->pg, "ROLLBACK"));
        c->broken = PQtransactionStatus(c->pg) != PQTRANS_IDLE;
    }
    if (c->broken && p->replica)
        atomic_store(&p->down_until, core_clock_mono_ms() + REPLICA_RETRY_MS);
    pthread_mutex_lock(&p->mu);
    if (c->broken) {
        conn_close(c);
        p->open--;
        gauges_add(-1, 0, 0);
    } else {
        c->idle_since = core_clock_mono_ms();
        p->idle[p->nidle++] = c;
        gauges_add(0, 1, 0);
        pool_reap(p, c->idle_since);
    }
    pthread_cond_signal(&p->cv);
    pthread_mutex_unlock(&p->mu);
}

static size_t ryw_slot(const char *user_id)
{
    uint64_t h = 1469598103934665603u; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)user_id; *p; p++)
        h = (h ^ *p) * 1099511628211u;
    return (size_t)(h % RYW_SLOTS);
}

bool store_pg_conn_is_replica(const store_pg_conn_t *c)
{
    return c->pool->replica;
}

void store_pg_note_write(store_pg_cluster_t *c, const char *user_id)
{
    if (store_pg_cluster_ryw_ms(c) > 0 && user_id != NULL)
        atomic_store(&c->last_write[ryw_slot(user_id)], core_clock_mono_ms());
}

int64_t store_pg_cluster_ryw_ms(const store_pg_cluster_t *c)
{
    return c->nreplicas > 0 && c->set.ryw_ms > 0 ? c->set.ryw_ms : 0;
}

/* Whether user_id's reads must go to the primary: they wrote within the
 * window, here or (by the shared mark) on another instance. */
static bool read_own_writes(store_pg_cluster_t *c, const char *user_id, int64_t now)
{
    return user_id != NULL && c->set.ryw_ms > 0 &&
           (now - atomic_load(&c->last_write[ryw_slot(user_id)]) < c->set.ryw_ms || store__wrote_recently(user_id));
}

/* A replica's connection, or NULL when none answers (the caller uses the
 * primary). Each replica that fails is skipped for REPLICA_RETRY_MS. */
static store_pg_conn_t *acquire_replica(store_pg_cluster_t *c, int64_t deadline)
{
    unsigned first = atomic_fetch_add(&c->turn, 1);
    store_pg_conn_t *conn = NULL;

    for (size_t i = 0; i < c->nreplicas && conn == NULL; i++) {
        store_pg_pool_t *p = &c->replicas[(first + i) % c->nreplicas];
        int64_t now = core_clock_mono_ms();
        if (atomic_load(&p->down_until) > now)
            continue;
        if (pool_acquire(p, deadline, &conn) != CORE_OK) {
            atomic_store(&p->down_until, core_clock_mono_ms() + REPLICA_RETRY_MS);
            conn = NULL;
        }
    }
    return conn;
}

/* On a fiber of an event loop: the loop's connection of a replica in turn
 * (made now if need be), skipping those down; NULL when none answers. */
static store_pg_conn_t *acquire_replica_async(store_pg_cluster_t *c)
{
    unsigned first = atomic_fetch_add(&c->turn, 1);
    store_pg_conn_t *conn = NULL;

    for (size_t i = 0; i < c->nreplicas && conn == NULL; i++) {
        store_pg_pool_t *p = &c->replicas[(first + i) % c->nreplicas];
        if (atomic_load(&p->down_until) > core_clock_mono_ms())
            continue;
        if (store_pg_async_acquire(p, false, &conn) != CORE_OK)
            conn = NULL;
    }
    return conn;
}

int store_pg_acquire(store_pg_cluster_t *c, enum store_pg_target target, const char *user_id,
                     store_pg_conn_t **out)
{
    int64_t now = core_clock_mono_ms(), deadline = now + c->set.acquire_timeout_ms;
    bool async = store_pg_async_active();

    *out = NULL;
    if (target == STORE_PG_READ && c->nreplicas > 0 && !read_own_writes(c, user_id, now)) {
        *out = async ? acquire_replica_async(c) : acquire_replica(c, deadline);
        if (*out != NULL)
            return CORE_OK;
    }
    return async ? store_pg_async_acquire(&c->primary, false, out) : pool_acquire(&c->primary, deadline, out);
}

const char *store_pg_pool_url(const store_pg_pool_t *p)
{
    return p->url;
}

bool store_pg_pool_is_replica(const store_pg_pool_t *p)
{
    return p->replica;
}

int64_t store_pg_pool_setting(const store_pg_pool_t *p, enum store_pg_setting which)
{
    switch (which) {
    case STORE_PG_SET_STATEMENT_TIMEOUT:
        return p->set->statement_timeout_ms;
    case STORE_PG_SET_CONNECT_TIMEOUT:
        return p->set->connect_timeout_ms;
    case STORE_PG_SET_ACQUIRE_TIMEOUT:
        return p->set->acquire_timeout_ms;
    case STORE_PG_SET_LOOP_MAX:
        return p->set->loop_max;
    }
    return 0;
}

void store_pg_pool_mark_down(store_pg_pool_t *p)
{
    if (p->replica)
        atomic_store(&p->down_until, core_clock_mono_ms() + REPLICA_RETRY_MS);
}

int store_pg_primary_open(store_pg_cluster_t *c)
{
    int n;
    pthread_mutex_lock(&c->primary.mu);
    n = c->primary.open;
    pthread_mutex_unlock(&c->primary.mu);
    return n;
}

static void cluster_add_replicas(store_pg_cluster_t *c)
{
    char *list = c->set.replicas != NULL ? core_strdup(c->set.replicas) : NULL, *save = NULL;

    for (char *u = list != NULL ? strtok_r(list, ",", &save) : NULL; u != NULL; u = strtok_r(NULL, ",", &save)) {
        while (*u == ' ')
            u++;
        u[strcspn(u, " ")] = '\0';
        if (*u == '\0')
            continue;
        if (c->nreplicas == MAX_REPLICAS) {
            log_warn("postgres: too many replicas, the rest are ignored", LOG_INT("max", MAX_REPLICAS));
            break;
        }
        pool_init(&c->replicas[c->nreplicas++], u, true, &c->set);
    }
    free(list);
}

int store_pg_cluster_get(const char *url, store_pg_cluster_t **out)
{
    store_pg_cluster_t *c;

    pthread_mutex_lock(&clusters_mu);
    for (c = clusters; c != NULL; c = c->next)
        if (strcmp(c->primary.url, url) == 0)
            break;
    if (c == NULL) {
        c = core_calloc(1, sizeof(*c));
        c->set = settings;
        c->set.replicas = settings.replicas != NULL ? core_strdup(settings.replicas) : NULL;
        if (c->set.min > c->set.max)
            c->set.min = c->set.max;
        pool_init(&c->primary, url, false, &c->set);
        cluster_add_replicas(c);
        c->next = clusters;
        clusters = c;
    }
    c->refs++;
    pthread_mutex_unlock(&clusters_mu);
    *out = c;
    return CORE_OK;
}

void store_pg_cluster_put(store_pg_cluster_t *c)
{
    bool last;

    if (c == NULL)
        return;
    pthread_mutex_lock(&clusters_mu);
    last = --c->refs == 0;
    if (last) {
        store_pg_cluster_t **pp = &clusters;
        while (*pp != c)
            pp = &(*pp)->next;
        *pp = c->next;
    }
    pthread_mutex_unlock(&clusters_mu);
    if (!last)
        return;
    /* the last session is closing: nobody borrows any more */
    pool_cleanup(&c->primary);
    for (size_t i = 0; i < c->nreplicas; i++)
        pool_cleanup(&c->replicas[i]);
    free(c->set.replicas);
    free(c);
}
