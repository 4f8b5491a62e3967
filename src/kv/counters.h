/*
 * Internal to src/kv: fixed-window rate-limit counters for the in-process
 * backend and for the Redis backend while Redis is down (express-rate-limit
 * semantics: a window opens at a key's first hit and lasts window_ms). At
 * most max_keys keys are held. Expired windows are reclaimed a few buckets
 * per call, and when the table is full a whole-table scan runs at most once
 * a second. When that leaves no room, the key whose window opened first
 * among those with hits left (count < max) is forgotten; a key at or over
 * its limit is never forgotten before its window ends, so a full table
 * cannot let a blocked client back in. With every key at its limit, a new
 * key is refused (CORE_E_UNAVAILABLE). Thread-safe (one mutex).
 */
#ifndef KV_COUNTERS_H
#define KV_COUNTERS_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "kv/table.h"

/* A node of the circular, doubly linked lists below (the list head is a
 * node too, so unlinking needs no head). */
typedef struct kv__counter_link {
    struct kv__counter_link *prev, *next;
} kv__counter_link_t;

typedef struct kv__counters {
    pthread_mutex_t lock; /* guards the rest */
    kv__table_t table;
    size_t max_keys;
    int64_t next_full_sweep;
    kv__counter_link_t open;  /* keys with hits left, oldest window first: evicted from the front */
    kv__counter_link_t spent; /* keys at or over their limit, oldest window first: kept */
    size_t evicted;           /* keys forgotten to make room (tests read it) */
} kv__counters_t;

/* Prepare c to hold at most max_keys (>= 1) keys. */
void kv__counters_init(kv__counters_t *c, size_t max_keys);
void kv__counters_cleanup(kv__counters_t *c);

/* Count a hit on key, whose limit is max, at now (ms). CORE_OK with *count
 * (including this hit) and *reset_at; CORE_E_UNAVAILABLE when key is new and
 * every key held is at its limit, with *reset_at the end of the oldest
 * window held (when room is expected); CORE_E_INTERNAL when window_ms <= 0
 * or max < 1. */
int kv__counters_hit(kv__counters_t *c, const char *key, size_t key_len, int64_t window_ms, long max,
                     int64_t now, long *count, int64_t *reset_at);

/* Take one hit back from key's current window (never below 0). CORE_OK. */
int kv__counters_undo(kv__counters_t *c, const char *key, size_t key_len, int64_t now);

#endif
