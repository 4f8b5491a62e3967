/*
 * This file implements the TTL cache of cache.h, which backs kv_cache_get /
 * kv_cache_set / kv_cache_del in the in-process backend (memory.c). Each
 * entry is one allocation: header, value bytes, then the key.
 */
#include "kv/cache.h"

#include <string.h>

#include "core/error.h"

#define SWEEP_BUCKETS 8

typedef struct cached {
    kv__entry_t e;
    int64_t expires_at;
    size_t len; /* the value follows the struct */
} cached_t;

typedef struct sweep {
    kv__cache_t *c;
    int64_t now;
    size_t room; /* bytes a pending set needs; 0 for a plain expiry sweep */
} sweep_t;

static int64_t add_clamped(int64_t a, int64_t b)
{
    return b > INT64_MAX - a ? INT64_MAX : a + b;
}

static size_t entry_bytes(const cached_t *v)
{
    return v->len + v->e.key_len;
}

static bool full(const kv__cache_t *c, size_t room)
{
    return c->table.count >= c->max_keys || c->bytes + room > c->max_bytes;
}

static bool evict(kv__entry_t *e, void *ctx)
{
    sweep_t *s = ctx;
    cached_t *v = (cached_t *)e;

    if (s->now < v->expires_at && !(s->room > 0 && full(s->c, s->room)))
        return false;
    s->c->bytes -= entry_bytes(v);
    return true;
}

static void drop(kv__cache_t *c, cached_t *v)
{
    c->bytes -= entry_bytes(v);
    kv__table_remove(&c->table, &v->e);
}

void kv__cache_init(kv__cache_t *c, size_t max_keys, size_t max_bytes, size_t max_value)
{
    pthread_mutex_init(&c->lock, NULL);
    kv__table_init(&c->table);
    c->bytes = 0;
    c->max_keys = max_keys;
    c->max_bytes = max_bytes;
    c->max_value = max_value;
}

void kv__cache_cleanup(kv__cache_t *c)
{
    kv__table_cleanup(&c->table);
    pthread_mutex_destroy(&c->lock);
}

int kv__cache_get(kv__cache_t *c, core_pool_t *pool, const char *key, size_t key_len, int64_t now,
                  char **value, size_t *len)
{
    sweep_t s = {c, now, 0};
    int rc = CORE_E_NOT_FOUND;

    pthread_mutex_lock(&c->lock);
    kv__table_sweep(&c->table, SWEEP_BUCKETS, evict, &s);
    cached_t *v = (cached_t *)kv__table_find(&c->table, key, key_len);
    if (v != NULL && now >= v->expires_at) {
        drop(c, v);
    } else if (v != NULL) {
        *value = core_pool_strndup(pool, (const char *)(v + 1), v->len);
        *len = v->len;
        rc = CORE_OK;
    }
    pthread_mutex_unlock(&c->lock);
    return rc;
}

int kv__cache_set(kv__cache_t *c, const char *key, size_t key_len, const char *value, size_t len,
                  int64_t ttl_ms, int64_t now)
{
    sweep_t s = {c, now, 0};
    int rc = CORE_E_UNAVAILABLE;

    if (len > c->max_value || key_len + len > c->max_bytes || c->max_keys == 0)
        goto out;
    pthread_mutex_lock(&c->lock);
    kv__table_sweep(&c->table, SWEEP_BUCKETS, evict, &s);
    cached_t *v = (cached_t *)kv__table_find(&c->table, key, key_len);
    if (v != NULL)
        drop(c, v);
    if (ttl_ms > 0) {
        /* terminates: once the table is empty nothing is full */
        s.room = key_len + len;
        while (full(c, s.room))
            kv__table_sweep(&c->table, SWEEP_BUCKETS, evict, &s);
        v = (cached_t *)kv__table_add(&c->table, key, key_len, sizeof(*v) + len);
        v->expires_at = add_clamped(now, ttl_ms);
        v->len = len;
        if (len > 0)
            memcpy(v + 1, value, len);
        c->bytes += entry_bytes(v);
    }
    pthread_mutex_unlock(&c->lock);
    rc = CORE_OK;
out:
    return rc;
}

void kv__cache_del(kv__cache_t *c, const char *key, size_t key_len)
{
    pthread_mutex_lock(&c->lock);
    cached_t *v = (cached_t *)kv__table_find(&c->table, key, key_len);
    if (v != NULL)
        drop(c, v);
    pthread_mutex_unlock(&c->lock);
}
