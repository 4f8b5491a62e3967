/*
 * This file implements what the operator commands do to sessions and
 * caches (ops.h): open the kv backend the servers share (Redis with
 * REDIS_URL, else an in-process one of no consequence: the servers then
 * read revocations from the database), revoke every token of a user
 * issued up to a moment, and give the user new cache generations
 * (api/cache.h) so that no instance serves an answer cached before. A
 * restore does this for every user of the restored database: revocations
 * live in the database, and a restored copy would otherwise bring back every
 * session ended since the backup. Tokens of users the copy does not hold
 * are refused anyway (their account does not exist).
 */
#include <stdio.h>

#include "api/cache.h"
#include "core/error.h"
#include "kv/redis.h"
#include "ops/ops.h"
#include "store/admin.h"

kv_t *ops_kv_open(const core_config_t *cfg, const char *cmd)
{
    kv_t *kv = NULL;

    /* no revocation source: the servers copy the database's into a Redis
     * that lost them; this process serves nothing */
    int rc = cfg->redis_url != NULL ? kv_redis_create(cfg, NULL, &kv) : kv_memory_create(NULL, &kv);
    if (rc != CORE_OK) {
        fprintf(stderr, "lsf-server %s: cannot open the shared state (REDIS_URL)\n", cmd);
        return NULL;
    }
    return kv;
}

int ops_user_sessions_end(const core_config_t *cfg, kv_t *kv, store_t *store, const char *user_id, int64_t now_ms)
{
    int rc = CORE_OK;

    /* the database first: it is what every server trusts when its kv
     * cannot tell, and what fills a Redis that lost its data */
    if (store != NULL && (rc = store_user_sessions_revoke(store, user_id, now_ms)) != CORE_OK)
        return rc;
    rc = kv_user_sessions_revoke(kv, user_id, now_ms);
    api_cache_invalidate(kv, cfg, API_CACHE_USER, user_id, now_ms);
    api_cache_invalidate(kv, cfg, API_CACHE_STATS, user_id, now_ms);
    return rc;
}

typedef struct end_all {
    const core_config_t *cfg;
    kv_t *kv;
    store_t *store;
    int64_t now_ms;
    int64_t n;
    int64_t failed;
} end_all_t;

static void end_one(void *ctx, const char *user_id)
{
    end_all_t *e = ctx;
    if (ops_user_sessions_end(e->cfg, e->kv, e->store, user_id, e->now_ms) != CORE_OK)
        e->failed++;
    e->n++;
}

int64_t ops_sessions_end_all(const core_config_t *cfg, kv_t *kv, store_t *store, int64_t now_ms)
{
    end_all_t e = {.cfg = cfg, .kv = kv, .store = store, .now_ms = now_ms, .n = 0, .failed = 0};
    return store_user_ids_each(store, end_one, &e) == CORE_OK && e.failed == 0 ? e.n : -1;
}
