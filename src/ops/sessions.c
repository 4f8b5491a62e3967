/*
 * This file implements what the operator commands do to sessions and
 * caches (ops.h): open the kv backend the servers share (Redis with
 * REDIS_URL, else the in-process one, whose revocations are written through
 * to the database the servers load them from), revoke every token of a user
 * issued up to a moment, and give the user new cache generations
 * (api/cache.h) so that no instance serves an answer cached before. A
 * restore does this for every user of the restored database: revocations
 * live in the database, and a restored copy would otherwise bring back every
 * session ended since the backup. Tokens of users the copy does not hold
 * are refused anyway (their account does not exist).
 */
#include <stdio.h>

#include "api/api.h"
#include "api/cache.h"
#include "core/error.h"
#include "kv/redis.h"
#include "ops/ops.h"
#include "store/admin.h"

kv_t *ops_kv_open(const core_config_t *cfg, const char *cmd)
{
    store_t *durable = NULL;
    kv_t *kv = NULL;
    int rc;

    if (store_open(cfg->database_url, &durable) != CORE_OK) {
        fprintf(stderr, "lsf-server %s: cannot open the database\n", cmd);
        return NULL;
    }
    /* both take the session, also on failure; no peer registration: this
     * process serves nothing */
    rc = cfg->redis_url != NULL ? kv_redis_create(cfg, durable, &kv) : kv_memory_create(durable, NULL, &kv);
    if (rc != CORE_OK) {
        fprintf(stderr, "lsf-server %s: cannot open the shared state (REDIS_URL)\n", cmd);
        return NULL;
    }
    return kv;
}

int ops_user_sessions_end(const core_config_t *cfg, kv_t *kv, const char *user_id, int64_t now_ms)
{
    /* api_cache_invalidate reads only these members of a request */
    api_req_t req = {.cfg = cfg, .kv = kv, .now_ms = now_ms};
    int rc = kv_user_sessions_revoke(kv, user_id, now_ms);

    api_cache_invalidate(&req, API_CACHE_USER, user_id);
    api_cache_invalidate(&req, API_CACHE_STATS, user_id);
    return rc;
}

typedef struct end_all {
    const core_config_t *cfg;
    kv_t *kv;
    int64_t now_ms;
    int64_t n;
    int64_t failed;
} end_all_t;

static void end_one(void *ctx, const char *user_id)
{
    end_all_t *e = ctx;
    if (ops_user_sessions_end(e->cfg, e->kv, user_id, e->now_ms) != CORE_OK)
        e->failed++;
    e->n++;
}

int64_t ops_sessions_end_all(const core_config_t *cfg, kv_t *kv, store_t *store, int64_t now_ms)
{
    end_all_t e = {.cfg = cfg, .kv = kv, .now_ms = now_ms, .n = 0, .failed = 0};
    return store_user_ids_each(store, end_one, &e) == CORE_OK && e.failed == 0 ? e.n : -1;
}
