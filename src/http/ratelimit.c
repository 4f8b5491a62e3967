/*
 * This file implements the rate-limit phase of ratelimit.h: who a request
 * counts for (an account or a client network), one kv counter hit per limit,
 * the numbers the response headers need, what happens when a hit cannot be
 * counted, and the undo of successful credential requests. Counter keys are
 * "rl:<limit>:ip:<bucket>" and "rl:<limit>:user:<user id>".
 */
#include "http/ratelimit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/metrics.h"

#define KEY_SIZE sizeof(((http_rate_t *)0)->undo_key)
#define NO_ROOM_RETRY_MS 1000         /* Retry-After when the counters cannot say when room comes */
#define NO_ROOM_LOG_INTERVAL_MS 10000 /* a full table under attack logs this often, not per request */

/* One limit: its name (in keys, the 429 body and the metric label), its
 * numbers, and the message of its 429. */
typedef struct limit {
    const char *name;
    long max;
    int64_t window_ms;
    const char *message;
    enum core_metrics_counter metric;
} limit_t;

static _Atomic int64_t no_room_logged_at = INT64_MIN / 2;

void http_ratelimit_ip_bucket(const char *ip, int ipv6_prefix, char *out, size_t size)
{
    struct in6_addr a;
    char text[INET6_ADDRSTRLEN];

    if (inet_pton(AF_INET6, ip, &a) != 1) {
        snprintf(out, size, "%s", ip); /* IPv4, or "-" for an unknown peer */
        return;
    }
    if (IN6_IS_ADDR_V4MAPPED(&a)) {
        inet_ntop(AF_INET, &a.s6_addr[12], text, sizeof(text));
        snprintf(out, size, "%s", text);
        return;
    }
    for (int i = 0; i < 16; i++) {
        int bits = ipv6_prefix - 8 * i;
        a.s6_addr[i] &= bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
    }
    inet_ntop(AF_INET6, &a, text, sizeof(text));
    snprintf(out, size, "%s/%d", text, ipv6_prefix);
}

/* The counter could not count this hit: refuse rather than let it through. */
static int cannot_count(http_exchange_t *x, kv_t *kv, int rc, int64_t room_at)
{
    int64_t now = x->api.now_ms;

    if (rc != CORE_E_UNAVAILABLE) {
        log_error("rate limit counter failed; request refused", LOG_STR("backend", kv->ops->name),
                  LOG_STR("error", core_error_name(rc)));
        return rc;
    }
    x->rate.retry_after_ms = room_at > now ? room_at - now : NO_ROOM_RETRY_MS;
    x->api.message = "Too many clients at once, please try again later.";
    int64_t mono = core_clock_mono_ms(), last = atomic_load(&no_room_logged_at);
    if (mono - last >= NO_ROOM_LOG_INTERVAL_MS &&
        atomic_compare_exchange_strong(&no_room_logged_at, &last, mono))
        log_warn(
            "rate limit counters are full of clients at their limit: new clients are refused (503) until "
            "windows end",
            LOG_STR("backend", kv->ops->name));
    return CORE_E_UNAVAILABLE;
}

/* Hit the counter of limit l for who ("ip:..." or "user:..."), record the
 * header numbers when this bucket is the tightest so far, and refuse when it
 * is over (unless refuse is false). The key goes to undo_key if not NULL. */
static int hit(http_exchange_t *x, kv_t *kv, const limit_t *l, const char *who, bool refuse, char *undo_key)
{
    char key[KEY_SIZE];
    long count = 0;
    int64_t reset_at = 0, now = x->api.now_ms;

    snprintf(key, sizeof(key), "rl:%s:%s", l->name, who);
    int rc = kv_counter_hit(kv, key, l->window_ms, l->max, now, &count, &reset_at);
    if (rc == CORE_E_NOT_FOUND)
        return CORE_OK; /* REDIS_DOWN_RATE_LIMIT=open while Redis is down: off by choice, and logged */
    if (rc != CORE_OK)
        return refuse ? cannot_count(x, kv, rc, reset_at) : CORE_OK;
    if (undo_key != NULL)
        memcpy(undo_key, key, sizeof(key));

    long remaining = count >= l->max ? 0 : l->max - count;
    int64_t reset_ms = reset_at > now ? reset_at - now : 0;
    bool over = count > l->max;
    if (!x->rate.applied || remaining <= x->rate.remaining || (over && refuse)) {
        x->rate.applied = true;
        x->rate.limit = l->max;
        x->rate.remaining = remaining;
        x->rate.reset_ms = reset_ms;
    }
    if (!over || !refuse)
        return CORE_OK;
    x->rate.retry_after_ms = reset_ms > 0 ? reset_ms : 1;
    x->rate.refused_by = l->name;
    x->api.message = l->message;
    core_metrics_count(l->metric);
    return CORE_E_RATE_LIMITED;
}

int http_ratelimit_check(http_exchange_t *x, kv_t *kv, enum api_rate rate)
{
    const core_config_t *cfg = x->api.cfg;
    bool user = x->api.authenticated, refuse = rate != API_RATE_COUNT_ONLY;
    char who[HTTP_RATELIMIT_BUCKET_SIZE + 8], bucket[HTTP_RATELIMIT_BUCKET_SIZE];
    int rc;

    if (rate == API_RATE_NONE || !cfg->rate_limit_enabled)
        return CORE_OK;
    if (user) {
        snprintf(who, sizeof(who), "user:%s", x->api.claims.user_id);
    } else {
        http_ratelimit_ip_bucket(x->api.client_ip, cfg->rate_limit_ipv6_prefix, bucket, sizeof(bucket));
        snprintf(who, sizeof(who), "ip:%s", bucket);
    }
    const limit_t requests =
        user ? (limit_t){"user", cfg->rate_limit_user_max, cfg->rate_limit_user_window_ms,
                         "Too many requests from this account, please try again later.",
                         CORE_METRICS_RATE_LIMITED_USER}
             : (limit_t){"api", cfg->rate_limit_max, cfg->rate_limit_window_ms,
                         core_error_message(CORE_E_RATE_LIMITED), CORE_METRICS_RATE_LIMITED_API};
    rc = hit(x, kv, &requests, who, refuse, NULL);
    if (rc == CORE_OK && rate == API_RATE_AUTH) {
        const limit_t failed = {"auth", cfg->auth_rate_limit_max, cfg->auth_rate_limit_window_ms,
                                user ? "Too many failed attempts from this account, please try again later."
                                     : "Too many failed attempts from this IP, please try again later.",
                                CORE_METRICS_RATE_LIMITED_AUTH};
        rc = hit(x, kv, &failed, who, true, x->rate.undo_key);
    }
    return rc;
}

void http_ratelimit_settle(http_exchange_t *x, kv_t *kv)
{
    if (x->code == CORE_OK && x->rate.undo_key[0] != '\0')
        kv_counter_undo(kv, x->rate.undo_key, x->api.now_ms);
}
