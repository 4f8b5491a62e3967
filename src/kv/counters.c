/*
 * This file implements the rate-limit counters of counters.h, which back
 * kv_counter_hit / kv_counter_undo in the in-process backend (memory.c) and
 * in the Redis backend while Redis is down (redis.c). Besides the hash
 * table, every key sits on one of two lists in the order its window opened:
 * `open` (hits left) and `spent` (it reached its limit in this window; it
 * stays there until the window ends, even if an undo takes a hit back).
 * Making room takes the front of `open`, so it costs O(1) and a key at its
 * limit is never the one forgotten.
 */
#include "kv/counters.h"

#include <stdbool.h>

#include "core/error.h"

#define SWEEP_BUCKETS 8
#define FULL_SWEEP_INTERVAL_MS 1000

typedef struct counter {
    kv__entry_t e;
    kv__counter_link_t link; /* on c->open or c->spent once its first window opened */
    long count;
    int64_t reset_at; /* 0 until the first hit */
    bool spent;       /* on c->spent */
} counter_t;

static counter_t *counter_of(kv__counter_link_t *l)
{
    return (counter_t *)(void *)((char *)l - offsetof(counter_t, link));
}

static void link_init(kv__counter_link_t *l)
{
    l->prev = l->next = l;
}

static void link_unlink(kv__counter_link_t *l)
{
    l->prev->next = l->next;
    l->next->prev = l->prev;
    link_init(l);
}

static void link_append(kv__counter_link_t *head, kv__counter_link_t *l)
{
    l->prev = head->prev;
    l->next = head;
    head->prev->next = l;
    head->prev = l;
}

static int64_t add_clamped(int64_t a, int64_t b)
{
    return b > INT64_MAX - a ? INT64_MAX : a + b;
}

/* kv__table_sweep callback: an ended window goes, off its list first. */
static bool counter_dead(kv__entry_t *e, void *ctx)
{
    counter_t *ctr = (counter_t *)e;

    if (*(const int64_t *)ctx < ctr->reset_at)
        return false;
    link_unlink(&ctr->link);
    return true;
}

static void counter_remove(kv__counters_t *c, counter_t *ctr)
{
    link_unlink(&ctr->link);
    kv__table_remove(&c->table, &ctr->e);
}

void kv__counters_init(kv__counters_t *c, size_t max_keys)
{
    pthread_mutex_init(&c->lock, NULL);
    kv__table_init(&c->table);
    c->max_keys = max_keys;
    c->next_full_sweep = INT64_MIN;
    link_init(&c->open);
    link_init(&c->spent);
    c->evicted = 0;
}

void kv__counters_cleanup(kv__counters_t *c)
{
    kv__table_cleanup(&c->table);
    pthread_mutex_destroy(&c->lock);
}

/* Caller holds the lock; the table is full. Free one place: a spent key
 * whose window has ended, else the key with hits left whose window opened
 * first. false when every key held is at its limit; *room_at is then the end
 * of the oldest spent window (0 if none). */
static bool make_room(kv__counters_t *c, int64_t now, int64_t *room_at)
{
    if (c->spent.next != &c->spent && now >= counter_of(c->spent.next)->reset_at) {
        counter_remove(c, counter_of(c->spent.next));
        return true;
    }
    if (c->open.next != &c->open) {
        counter_remove(c, counter_of(c->open.next));
        c->evicted++;
        return true;
    }
    *room_at = c->spent.next != &c->spent ? counter_of(c->spent.next)->reset_at : 0;
    return false;
}

/* Caller holds the lock. NULL when there is no room for a new key. */
static counter_t *find_or_add(kv__counters_t *c, const char *key, size_t key_len, int64_t now,
                              int64_t *room_at)
{
    counter_t *ctr = (counter_t *)kv__table_find(&c->table, key, key_len);

    if (ctr != NULL)
        return ctr;
    if (c->table.count >= c->max_keys && now >= c->next_full_sweep) {
        c->next_full_sweep = add_clamped(now, FULL_SWEEP_INTERVAL_MS);
        kv__table_sweep(&c->table, c->table.mask + 1, counter_dead, &now);
    }
    while (c->table.count >= c->max_keys)
        if (!make_room(c, now, room_at))
            return NULL;
    ctr = (counter_t *)kv__table_add(&c->table, key, key_len, sizeof(*ctr));
    link_init(&ctr->link);
    return ctr;
}

int kv__counters_hit(kv__counters_t *c, const char *key, size_t key_len, int64_t window_ms, long max,
                     int64_t now, long *count, int64_t *reset_at)
{
    int rc = CORE_E_INTERNAL;
    int64_t room_at = 0;

    if (window_ms <= 0 || max < 1)
        goto out;
    pthread_mutex_lock(&c->lock);
    kv__table_sweep(&c->table, SWEEP_BUCKETS, counter_dead, &now);
    counter_t *ctr = find_or_add(c, key, key_len, now, &room_at);
    if (ctr == NULL) {
        *reset_at = room_at;
        rc = CORE_E_UNAVAILABLE;
    } else {
        if (ctr->reset_at == 0 || now >= ctr->reset_at) {
            ctr->count = 0;
            ctr->reset_at = add_clamped(now, window_ms);
            ctr->spent = false;
            link_unlink(&ctr->link);
            link_append(&c->open, &ctr->link);
        }
        ctr->count++;
        if (!ctr->spent && ctr->count >= max) {
            ctr->spent = true;
            link_unlink(&ctr->link);
            link_append(&c->spent, &ctr->link);
        }
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
