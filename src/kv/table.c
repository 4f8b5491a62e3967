/*
 * This file implements the hash table of table.h that holds the in-process
 * backend's revocations, counters and cache (memory.c). Chaining keeps
 * removal simple during sweeps; the bucket array doubles when the table
 * holds more entries than buckets, and never shrinks (its size is bounded by
 * memory.c's caps).
 */
#include "kv/table.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define INITIAL_BUCKETS 64

void kv__table_init(kv__table_t *t)
{
    memset(t, 0, sizeof(*t));
    t->buckets = core_calloc(INITIAL_BUCKETS, sizeof(*t->buckets));
    t->mask = INITIAL_BUCKETS - 1;
    randombytes_buf(t->seed, sizeof(t->seed));
}

void kv__table_cleanup(kv__table_t *t)
{
    if (t->buckets == NULL)
        return;
    for (size_t i = 0; i <= t->mask; i++) {
        kv__entry_t *e = t->buckets[i];
        while (e != NULL) {
            kv__entry_t *next = e->next;
            free(e);
            e = next;
        }
    }
    free(t->buckets);
    memset(t, 0, sizeof(*t));
}

static uint64_t hash_key(const kv__table_t *t, const char *key, size_t key_len)
{
    unsigned char out[crypto_shorthash_BYTES];
    uint64_t h;

    crypto_shorthash(out, (const unsigned char *)key, key_len, t->seed);
    memcpy(&h, out, sizeof(h));
    return h;
}

kv__entry_t *kv__table_find(kv__table_t *t, const char *key, size_t key_len)
{
    uint64_t h = hash_key(t, key, key_len);

    for (kv__entry_t *e = t->buckets[h & t->mask]; e != NULL; e = e->next)
        if (e->hash == h && e->key_len == key_len && memcmp(e->key, key, key_len) == 0)
            return e;
    return NULL;
}

static void grow(kv__table_t *t)
{
    size_t n = (t->mask + 1) * 2;
    kv__entry_t **buckets = core_calloc(n, sizeof(*buckets));

    for (size_t i = 0; i <= t->mask; i++) {
        kv__entry_t *e = t->buckets[i];
        while (e != NULL) {
            kv__entry_t *next = e->next;
            size_t b = e->hash & (n - 1);
            e->next = buckets[b];
            buckets[b] = e;
            e = next;
        }
    }
    free(t->buckets);
    t->buckets = buckets;
    t->mask = n - 1;
    t->cursor = 0;
}

kv__entry_t *kv__table_add(kv__table_t *t, const char *key, size_t key_len, size_t size)
{
    kv__entry_t *e = core_calloc(1, size + key_len + 1);
    char *k = (char *)e + size;

    memcpy(k, key, key_len);
    k[key_len] = '\0';
    e->key = k;
    e->key_len = key_len;
    e->hash = hash_key(t, key, key_len);
    if (t->count >= t->mask + 1)
        grow(t);
    e->next = t->buckets[e->hash & t->mask];
    t->buckets[e->hash & t->mask] = e;
    t->count++;
    return e;
}

void kv__table_remove(kv__table_t *t, kv__entry_t *e)
{
    kv__entry_t **p = &t->buckets[e->hash & t->mask];

    while (*p != NULL && *p != e)
        p = &(*p)->next;
    if (*p == e) {
        *p = e->next;
        t->count--;
        free(e);
    }
}

size_t kv__table_sweep(kv__table_t *t, size_t nbuckets, kv__table_dead_cb dead, void *ctx)
{
    size_t removed = 0;

    if (nbuckets > t->mask + 1)
        nbuckets = t->mask + 1;
    for (size_t i = 0; i < nbuckets; i++) {
        kv__entry_t **p = &t->buckets[t->cursor];
        while (*p != NULL) {
            kv__entry_t *e = *p;
            if (dead(e, ctx)) {
                *p = e->next;
                t->count--;
                removed++;
                free(e);
            } else {
                p = &e->next;
            }
        }
        t->cursor = (t->cursor + 1) & t->mask;
    }
    return removed;
}
