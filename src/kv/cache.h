/*
 * Internal to src/kv: the TTL cache of the in-process backend. Values are
 * copied in and out; at most max_keys entries and max_bytes of keys plus
 * values are held, and when a new value does not fit, entries are evicted in
 * bucket order (expired ones go first as sweeps pass). Times are monotonic
 * ms supplied by the caller. Thread-safe (one mutex).
 */
#ifndef KV_CACHE_H
#define KV_CACHE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pool.h"
#include "kv/table.h"

typedef struct kv__cache {
    pthread_mutex_t lock; /* guards the rest */
    kv__table_t table;
    size_t bytes; /* keys + values held */
    size_t max_keys, max_bytes, max_value;
} kv__cache_t;

void kv__cache_init(kv__cache_t *c, size_t max_keys, size_t max_bytes, size_t max_value);
void kv__cache_cleanup(kv__cache_t *c);

/* A copy of key's value from pool (NUL-terminated for convenience, *len
 * excludes it); CORE_E_NOT_FOUND when absent or expired. */
int kv__cache_get(kv__cache_t *c, core_pool_t *pool, const char *key, size_t key_len, int64_t now,
                  char **value, size_t *len);

/* Store a copy of value until now + ttl_ms; ttl_ms <= 0 only drops the old
 * value. CORE_E_UNAVAILABLE when len > max_value (nothing is stored). */
int kv__cache_set(kv__cache_t *c, const char *key, size_t key_len, const char *value, size_t len,
                  int64_t ttl_ms, int64_t now);

void kv__cache_del(kv__cache_t *c, const char *key, size_t key_len);

#endif
