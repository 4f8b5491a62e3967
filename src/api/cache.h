/*
 * Per-user caches of whole JSON answers (GET /api/user/data and GET
 * /api/tasks/stats), kept in the kv backend so every instance shares them.
 * Entries are keyed by user and by the user's current generation
 * ("stats:<user>:<gen>"); a write that changes the answer gives the user a
 * new generation (api_cache_invalidate, called by the store's write hook in
 * api/effects.c, never by a handler) after it has committed, so a reader
 * racing the write can only fill an old generation, and no instance serves
 * the old answer once the write has completed. A backend that cannot answer
 * means no caching for that request. Called from handlers, on any thread.
 */
#ifndef API_CACHE_H
#define API_CACHE_H

#include <stdbool.h>

#include "api/api.h"
#include "kv/kv.h"

enum api_cache_kind {
    API_CACHE_USER,  /* GET /api/user/data, for CACHE_USER_TTL_MS */
    API_CACHE_STATS, /* GET /api/tasks/stats, for CACHE_STATS_TTL_MS */
};

/* Where a computed answer goes after a miss. */
typedef struct api_cache_slot {
    char key[KV_KEY_MAX + 1]; /* "" when the answer is not to be cached */
    int64_t ttl_ms;
} api_cache_slot_t;

/* The signed-in user's cached answer of this kind: true with req->reply set
 * on a hit. On a miss, false with slot ready for api_cache_put. */
bool api_cache_get(api_req_t *req, enum api_cache_kind kind, api_cache_slot_t *slot);

/* Cache req->reply (the answer just computed) in slot; failures are ignored. */
void api_cache_put(api_req_t *req, const api_cache_slot_t *slot);

/* A total of the signed-in user's list query q (its filters: status,
 * priority, tag, search, due dates), cached under the stats generation (so
 * for CACHE_STATS_TTL_MS, and gone with the user's next task write): true
 * with *n on a hit. On a miss, false with slot ready for
 * api_cache_count_put. */
bool api_cache_count_get(api_req_t *req, const store_task_query_t *q, int64_t *n, api_cache_slot_t *slot);

/* Cache n, the total just counted for the query of api_cache_count_get, in
 * slot; failures are ignored. */
void api_cache_count_put(api_req_t *req, const api_cache_slot_t *slot, int64_t n);

/* After a committed write (at now_ms): user_id's cached answers of this
 * kind are stale. A no-op when that kind is not cached (its TTL is 0). */
void api_cache_invalidate(kv_t *kv, const core_config_t *cfg, enum api_cache_kind kind, const char *user_id,
                          int64_t now_ms);

#endif
