/*
 * This file implements GET /metrics: it samples what is cheaper to read at
 * scrape time than to track (outbox depth from the database, whether the kv
 * backend answers), then returns the registry of src/http/metrics.c in
 * Prometheus' text format. On the public port the route exists only with
 * METRICS_TOKEN and the pipeline checks the token (API_AUTH_METRICS); the
 * loopback metrics listener calls this handler directly.
 */
#include <stdlib.h>

#include "api/api.h"
#include "core/error.h"
#include "core/metrics.h"

static void free_cb(void *p)
{
    free(p);
}

/* A cache_get of a key nobody sets: a miss means the backend answered. The
 * backend is called directly so the probe does not count as a cache miss. */
static void sample_kv(api_req_t *req)
{
    char *value;
    size_t len;
    int rc = req->kv->ops->cache_get(req->kv, req->pool, "metrics:probe", &value, &len);

    core_metrics_kv_backend_set(req->kv->ops->name);
    core_metrics_gauge_set(CORE_METRICS_KV_UP, rc == CORE_E_UNAVAILABLE ? 0 : 1);
}

int api_metrics(api_req_t *req)
{
    int64_t pending;
    size_t len;
    char *text;

    /* -1 leaves the gauge out rather than reporting a stale depth */
    core_metrics_gauge_set(CORE_METRICS_OUTBOX_PENDING,
                           store_outbox_pending(req->store, &pending) == CORE_OK ? pending : -1);
    if (req->kv != NULL)
        sample_kv(req);
    bool om = core_metrics_accepts_openmetrics(req->accept);
    if ((text = core_metrics_render(&len, om)) == NULL)
        return CORE_E_INTERNAL;
    core_pool_defer(req->pool, free_cb, text);
    req->reply_text = text;
    req->reply_type = om ? CORE_METRICS_OPENMETRICS_TYPE : CORE_METRICS_CONTENT_TYPE;
    return CORE_OK;
}
