/*
 * This file implements the write hook of effects.h: the one place where a
 * committed write reaches caches, read-your-writes marks and kv's
 * revocations, and the token check that falls back to the database. It fits
 * between the store and kv, which know nothing of each other: main creates
 * it before kv (whose Redis backend takes its kv_source_t), attaches kv,
 * and installs its hooks with store_hooks_set.
 */
#include "api/effects.h"

#include "api/cache.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"

#define PURGE_INTERVAL_MS (3600 * 1000LL)

/* The clock; the unit test, which includes this file, replaces it. */
static int64_t (*wall_now_ms)(void) = core_clock_now_ms;

/* Delete the revocations of expired tokens through s, at most once an
 * hour per process (a failure is retried an hour later: the rows it would
 * delete match no live token meanwhile). */
static void purge_if_due(api_effects_t *e, store_t *s, int64_t now)
{
    int64_t due = atomic_load(&e->next_purge);

    if (s == NULL || now < due || !atomic_compare_exchange_strong(&e->next_purge, &due, now + PURGE_INTERVAL_MS))
        return;
    int rc = store_revocations_purge(s, now);
    if (rc != CORE_OK)
        log_warn("purging expired revocations failed", LOG_STR("error", core_error_name(rc)));
}

static void written(void *ctx, store_t *s, const store_write_t *w)
{
    api_effects_t *e = ctx;
    int64_t now = wall_now_ms();

    if (e->kv == NULL)
        return;
    switch (w->kind) {
    case STORE_WROTE_TASKS:
        api_cache_invalidate(e->kv, e->cfg, API_CACHE_STATS, w->user_id, now);
        /* a failure leaves other instances without the mark: those that can ask
         * find none and may read a replica, those that cannot use the primary */
        if (w->ryw_ms > 0)
            (void)kv_ryw_mark(e->kv, w->user_id, w->ryw_ms);
        break;
    case STORE_WROTE_USER:
        api_cache_invalidate(e->kv, e->cfg, API_CACHE_USER, w->user_id, now);
        break;
    case STORE_WROTE_TOKEN_REVOKED:
        (void)kv_token_revoke(e->kv, w->jti, w->at); /* a backend that missed it copies it later */
        purge_if_due(e, s, now);
        break;
    case STORE_WROTE_SESSIONS_REVOKED:
        (void)kv_user_sessions_revoke(e->kv, w->user_id, w->at);
        purge_if_due(e, s, now);
        break;
    }
}

static int wrote_recently(void *ctx, const char *user_id, bool *yes)
{
    api_effects_t *e = ctx;

    *yes = false;
    return e->kv != NULL ? kv_ryw_check(e->kv, user_id, yes) : CORE_OK;
}

static int source_load(void *ctx, int64_t now, kv_token_revocation_cb token_cb, kv_user_revocation_cb user_cb,
                       void *cb_ctx)
{
    api_effects_t *e = ctx;
    int rc = CORE_E_UNAVAILABLE;

    pthread_mutex_lock(&e->source_lock);
    if (e->source != NULL)
        rc = store_revocations_load(e->source, now, token_cb, user_cb, cb_ctx);
    pthread_mutex_unlock(&e->source_lock);
    return rc;
}

void api_effects_init(api_effects_t *e, const core_config_t *cfg, store_t *source)
{
    int64_t now = wall_now_ms();

    e->cfg = cfg;
    e->kv = NULL;
    e->source = source;
    pthread_mutex_init(&e->source_lock, NULL);
    atomic_init(&e->next_purge, now);
    e->hooks = (store_hooks_t){.ctx = e, .written = written, .wrote_recently = wrote_recently};
    e->kv_source = (kv_source_t){.ctx = e, .revocations_load = source_load};
    purge_if_due(e, source, now);
}

const kv_source_t *api_effects_kv_source(api_effects_t *e)
{
    return &e->kv_source;
}

const store_hooks_t *api_effects_attach(api_effects_t *e, kv_t *kv)
{
    e->kv = kv;
    return &e->hooks;
}

static void load_token(void *ctx, const char *jti, int64_t expires_at)
{
    (void)kv_token_revoke(ctx, jti, expires_at);
}

static void load_user(void *ctx, const char *user_id, int64_t before_ms)
{
    (void)kv_user_sessions_revoke(ctx, user_id, before_ms);
}

int api_effects_load_revocations(api_effects_t *e)
{
    int rc = source_load(e, wall_now_ms(), load_token, load_user, e->kv);

    if (rc != CORE_OK)
        log_error("loading revocations failed", LOG_STR("error", core_error_name(rc)));
    return rc;
}

void api_effects_cleanup(api_effects_t *e)
{
    store_close(e->source);
    e->source = NULL;
    e->kv = NULL;
    pthread_mutex_destroy(&e->source_lock);
}

int api_token_revoked(kv_t *kv, store_t *store, const auth_claims_t *claims, bool *revoked)
{
    int rc = kv_token_is_revoked(kv, claims->jti, claims->user_id, claims->issued_at_ms, revoked);

    if (rc == CORE_E_UNAVAILABLE) {
        rc = store_revocation_check(store, claims->jti, claims->user_id, claims->issued_at_ms, revoked);
        if (rc != CORE_OK)
            *revoked = true;
    }
    return rc;
}
