/*
 * Internal to src/kv: fixed-window rate-limit counters for the in-process
 * backend (express-rate-limit semantics: a window opens at a key's first hit
 * and lasts window_ms). At most max_keys keys are held; expired windows are
 * reclaimed a few buckets per call, and when the table is full a whole-table
 * scan runs at most once a second. Thread-safe (one mutex).
 */
#ifndef KV_COUNTERS_H
#define KV_COUNTERS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "kv/table.h"

typedef struct kv__counters {
    pthread_mutex_t lock; /* guards the rest */
    kv__table_t table;
    size_t max_keys;
    int64_t next_full_sweep;
} kv__counters_t;

void kv__counters_init(kv__counters_t *c, size_t max_keys);
void kv__counters_cleanup(kv__counters_t *c);

/* Count a hit on key at now (ms). CORE_OK with *count (including this hit)
 * and *reset_at; CORE_E_UNAVAILABLE when key is new and max_keys live
 * windows leave no room; CORE_E_INTERNAL when window_ms <= 0. */
int kv__counters_hit(kv__counters_t *c, const char *key, size_t key_len, int64_t window_ms, int64_t now,
                     long *count, int64_t *reset_at);

/* Take one hit back from key's current window (never below 0). CORE_OK. */
int kv__counters_undo(kv__counters_t *c, const char *key, size_t key_len, int64_t now);

#endif
