/*
 * This file implements the per-user answer caches of cache.h on top of the
 * kv cache (kv_cache_get / kv_cache_set), for the user and stats handlers.
 * A user's generation is a kv entry "gen:<kind>:<user>" holding a fresh
 * UUIDv7; writers replace it (no atomic increment is needed, since every
 * generation is new), and a reader that finds none creates one before it
 * reads the database, so what it caches under that generation is at least
 * as new as every write that replaced a generation before. Generations live
 * longer than any entry (GEN_TTL_MS); if one is lost anyway, the entries
 * made under it are simply never read again. Counts of list queries (a
 * search's total) live under the stats generation, keyed by a hash of the
 * filters: every task write that changes stats can change them too.
 */
#include "api/cache.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/metrics.h"
#include "core/uuid.h"

#define GEN_TTL_MS (8LL * 24 * 3600 * 1000) /* longer than the longest entry TTL (7 days) */

static const char *const kind_names[] = {[API_CACHE_USER] = "user", [API_CACHE_STATS] = "stats"};

static int64_t kind_ttl(const core_config_t *cfg, enum api_cache_kind kind)
{
    return kind == API_CACHE_USER ? cfg->cache_user_ttl_ms : cfg->cache_stats_ttl_ms;
}

static void gen_key(char *out, size_t size, enum api_cache_kind kind, const char *user_id)
{
    snprintf(out, size, "gen:%s:%s", kind_names[kind], user_id);
}

/* Give user_id a new generation; CORE_OK, or the kv's error. */
static int new_generation(kv_t *kv, int64_t now_ms, enum api_cache_kind kind, const char *user_id,
                          char gen[CORE_UUID_LEN + 1])
{
    char key[KV_KEY_MAX + 1];

    gen_key(key, sizeof(key), kind, user_id);
    core_uuid_v7(now_ms, gen);
    return kv_cache_set(kv, key, gen, CORE_UUID_LEN, GEN_TTL_MS);
}

/* slot->key: "<prefix>:<user>:<gen>" under the user's current generation of
 * kind, and its TTL; "" when nothing is to be cached (TTL 0, or the backend
 * cannot answer). Returns whether the generation existed: when it did not,
 * nothing can be cached under the new one yet. */
static bool slot_open(api_req_t *req, enum api_cache_kind kind, const char *prefix, api_cache_slot_t *slot)
{
    const char *user_id = req->claims.user_id;
    char key[KV_KEY_MAX + 1], gen[CORE_UUID_LEN + 1], *value;
    size_t len;
    int rc;

    slot->key[0] = '\0';
    slot->ttl_ms = kind_ttl(req->cfg, kind);
    if (slot->ttl_ms <= 0)
        return false;
    gen_key(key, sizeof(key), kind, user_id);
    rc = kv_cache_get(req->kv, req->pool, key, &value, &len);
    if (rc == CORE_E_NOT_FOUND) {
        core_metrics_count(CORE_METRICS_CACHE_MISS); /* no generation yet: nothing cached */
        if (new_generation(req->kv, req->now_ms, kind, user_id, gen) != CORE_OK)
            return false; /* the backend is down: do not cache */
    } else if (rc != CORE_OK || len != CORE_UUID_LEN) {
        return false;
    } else {
        memcpy(gen, value, CORE_UUID_LEN);
        gen[CORE_UUID_LEN] = '\0';
    }
    snprintf(slot->key, sizeof(slot->key), "%s:%s:%s", prefix, user_id, gen);
    return rc == CORE_OK;
}

bool api_cache_get(api_req_t *req, enum api_cache_kind kind, api_cache_slot_t *slot)
{
    char *value;
    size_t len;

    /* the data lookup is what counts as a hit or a miss, not the generation key */
    if (!slot_open(req, kind, kind_names[kind], slot) ||
        core_metrics_cache_result(kv_cache_get(req->kv, req->pool, slot->key, &value, &len)) != CORE_OK)
        return false;
    json_t *reply = json_loadb(value, len, 0, NULL);
    if (json_is_object(reply)) {
        api_reply(req, reply);
        return true;
    }
    json_decref(reply);
    return false;
}

/* Feed v's n bytes to h, after their length, so no two field lists collide. */
static void hash_field(crypto_generichash_state *h, const void *v, size_t n)
{
    uint64_t len = n;

    crypto_generichash_update(h, (const unsigned char *)&len, sizeof(len));
    if (n > 0)
        crypto_generichash_update(h, v, n);
}

bool api_cache_count_get(api_req_t *req, const store_task_query_t *q, int64_t *n, api_cache_slot_t *slot)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char digest[16];
    char name[8 + 2 * sizeof(digest)] = "count:", *value;
    int64_t ints[4] = {q->status, q->priority, q->due_before, q->due_after};
    crypto_generichash_state h;
    size_t len;

    /* the filters, and nothing else: sort and paging do not change a total */
    crypto_generichash_init(&h, NULL, 0, sizeof(digest));
    hash_field(&h, ints, sizeof(ints));
    hash_field(&h, q->tag, q->tag != NULL ? strlen(q->tag) + 1 : 0);
    hash_field(&h, q->search, q->search != NULL ? strlen(q->search) + 1 : 0);
    crypto_generichash_final(&h, digest, sizeof(digest));
    for (size_t i = 0; i < sizeof(digest); i++) {
        name[6 + 2 * i] = hex[digest[i] >> 4];
        name[7 + 2 * i] = hex[digest[i] & 15];
    }
    name[6 + 2 * sizeof(digest)] = '\0';
    if (!slot_open(req, API_CACHE_STATS, name, slot) ||
        core_metrics_cache_result(kv_cache_get(req->kv, req->pool, slot->key, &value, &len)) != CORE_OK)
        return false;
    char text[24];
    if (len == 0 || len >= sizeof(text))
        return false;
    memcpy(text, value, len);
    text[len] = '\0';
    char *end;
    long long v = strtoll(text, &end, 10);
    if (*end != '\0' || v < 0)
        return false;
    *n = v;
    return true;
}

void api_cache_count_put(api_req_t *req, const api_cache_slot_t *slot, int64_t n)
{
    char text[24];
    int len;

    if (slot->key[0] == '\0')
        return;
    len = snprintf(text, sizeof(text), "%lld", (long long)n);
    kv_cache_set(req->kv, slot->key, text, (size_t)len, slot->ttl_ms);
}

void api_cache_put(api_req_t *req, const api_cache_slot_t *slot)
{
    if (slot->key[0] == '\0' || req->reply == NULL)
        return;
    char *text = json_dumps(req->reply, JSON_COMPACT);
    if (text != NULL)
        kv_cache_set(req->kv, slot->key, text, strlen(text), slot->ttl_ms);
    free(text);
}

void api_cache_invalidate(kv_t *kv, const core_config_t *cfg, enum api_cache_kind kind, const char *user_id,
                          int64_t now_ms)
{
    char gen[CORE_UUID_LEN + 1];

    /* a backend that is down records the missed write itself (see kv/redis.c) */
    if (kind_ttl(cfg, kind) > 0)
        new_generation(kv, now_ms, kind, user_id, gen);
}
