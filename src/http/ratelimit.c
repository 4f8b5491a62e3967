/*
 * This file implements the rate-limit phase of ratelimit.h: one kv counter
 * hit per limit class, the numbers the response headers need, and the undo of
 * successful authentication requests.
 */
#include "http/ratelimit.h"

#include <stdio.h>

#include "core/error.h"
#include "core/log.h"
#include "core/metrics.h"

/* One limit: hit its counter and record header values in x->rate. */
static int hit(http_exchange_t *x, kv_t *kv, const char *prefix, int64_t window_ms, long max, bool *over)
{
    char key[64];
    long count;
    int64_t reset_at;
    int rc;

    snprintf(key, sizeof(key), "rl:%s:%s", prefix, x->api.client_ip);
    rc = kv_counter_hit(kv, key, window_ms, max, x->api.now_ms, &count, &reset_at);
    if (rc != CORE_OK) {
        /* an unreachable backend is reported once per outage by the backend itself */
        if (rc != CORE_E_UNAVAILABLE)
            log_warn("rate limit counter failed; request allowed", LOG_STR("backend", kv->ops->name));
        return rc;
    }
    x->rate.applied = true;
    x->rate.limit = max;
    x->rate.remaining = count >= max ? 0 : max - count;
    x->rate.reset_ms = reset_at > x->api.now_ms ? reset_at - x->api.now_ms : 0;
    *over = count > max;
    return CORE_OK;
}

int http_ratelimit_check(http_exchange_t *x, kv_t *kv, enum api_rate rate)
{
    const core_config_t *cfg = x->api.cfg;
    bool over = false;

    if (rate == API_RATE_NONE || !cfg->rate_limit_enabled)
        return CORE_OK;
    if (hit(x, kv, "api", cfg->rate_limit_window_ms, cfg->rate_limit_max, &over) == CORE_OK && over) {
        core_metrics_count(CORE_METRICS_RATE_LIMITED_API);
        return CORE_E_RATE_LIMITED;
    }
    if (rate == API_RATE_AUTH &&
        hit(x, kv, "auth", cfg->auth_rate_limit_window_ms, cfg->auth_rate_limit_max, &over) == CORE_OK) {
        snprintf(x->rate.undo_key, sizeof(x->rate.undo_key), "rl:auth:%s", x->api.client_ip);
        if (over) {
            core_metrics_count(CORE_METRICS_RATE_LIMITED_AUTH);
            return CORE_E_RATE_LIMITED;
        }
    }
    return CORE_OK;
}

void http_ratelimit_settle(http_exchange_t *x, kv_t *kv)
{
    if (x->code == CORE_OK && x->rate.undo_key[0] != '\0')
        kv_counter_undo(kv, x->rate.undo_key, x->api.now_ms);
}
