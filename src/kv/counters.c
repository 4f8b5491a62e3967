/*
 * This file implements the rate-limit counters of counters.h, which back
 * kv_counter_hit / kv_counter_undo in the in-process backend (memory.c).
 */
#include "kv/counters.h"

#include "core/error.h"

#define SWEEP_BUCKETS 8
#define FULL_SWEEP_INTERVAL_MS 1000

typedef struct counter {
    kv__entry_t e;
    long count;
    int64_t reset_at; /* 0 until the first hit */
} counter_t;

static int64_t add_clamped(int64_t a, int64_t b)
{
    return b > INT64_MAX - a ? INT64_MAX : a + b;
}

static bool counter_dead(kv__entry_t *e, void *ctx)
{
    return *(const int64_t *)ctx >= ((counter_t *)e)->reset_at;
}

void kv__counters_init(kv__counters_t *c, size_t max_keys)
{
    pthread_mutex_init(&c->lock, NULL);
    kv__table_init(&c->table);
    c->max_keys = max_keys;
    c->next_full_sweep = INT64_MIN;
}

void kv__counters_cleanup(kv__counters_t *c)
{
    kv__table_cleanup(&c->table);
    pthread_mutex_destroy(&c->lock);
}

/* Caller holds the lock. NULL when the table is full of live windows. */
static counter_t *find_or_add(kv__counters_t *c, const char *key, size_t key_len, int64_t now)
{
    counter_t *ctr = (counter_t *)kv__table_find(&c->table, key, key_len);

    if (ctr != NULL)
        return ctr;
    if (c->table.count >= c->max_keys && now >= c->next_full_sweep) {
        c->next_full_sweep = add_clamped(now, FULL_SWEEP_INTERVAL_MS);
        kv__table_sweep(&c->table, c->table.mask + 1, counter_dead, &now);
    }
    if (c->table.count >= c->max_keys)
        return NULL;
    return (counter_t *)kv__table_add(&c->table, key, key_len, sizeof(*ctr));
}

int kv__counters_hit(kv__counters_t *c, const char *key, size_t key_len, int64_t window_ms, int64_t now,
                     long *count, int64_t *reset_at)
{
    int rc = CORE_E_INTERNAL;

    if (window_ms <= 0)
        goto out;
    pthread_mutex_lock(&c->lock);
    kv__table_sweep(&c->table, SWEEP_BUCKETS, counter_dead, &now);
    counter_t *ctr = find_or_add(c, key, key_len, now);
    if (ctr == NULL) {
        rc = CORE_E_UNAVAILABLE;
    } else {
        if (ctr->reset_at == 0 || now >= ctr->reset_at) {
            ctr->count = 0;
            ctr->reset_at = add_clamped(now, window_ms);
        }
        ctr->count++;
        *count = ctr->count;
        *reset_at = ctr->reset_at;
        rc = CORE_OK;
    }
    pthread_mutex_unlock(&c->lock);
out:
    return rc;
}

int kv__counters_undo(kv__counters_t *c, const char *key, size_t key_len, int64_t now)
{
    pthread_mutex_lock(&c->lock);
    counter_t *ctr = (counter_t *)kv__table_find(&c->table, key, key_len);
    if (ctr != NULL && now < ctr->reset_at && ctr->count > 0)
        ctr->count--;
    pthread_mutex_unlock(&c->lock);
    return CORE_OK;
}
