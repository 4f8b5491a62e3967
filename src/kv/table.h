/*
 * Internal to src/kv: a chained hash table of string keys for the in-process
 * backend. Each entry is one allocation: the caller's struct (which starts
 * with a kv__entry_t), then the key and its NUL. Keys are hashed with SipHash
 * under a random per-table seed, so clients who choose keys (an IP address, a
 * token id) cannot aim them all at one bucket. Not locked: the owner holds
 * its own mutex around every call. Needs sodium_init() to have run.
 */
#ifndef KV_TABLE_H
#define KV_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <sodium.h>

typedef struct kv__entry {
    struct kv__entry *next;
    uint64_t hash;
    size_t key_len;
    const char *key; /* NUL-terminated, inside the entry's allocation */
} kv__entry_t;

typedef struct kv__table {
    kv__entry_t **buckets;
    size_t mask; /* bucket count - 1 (a power of two) */
    size_t count;
    size_t cursor; /* next bucket kv__table_sweep() looks at */
    unsigned char seed[crypto_shorthash_KEYBYTES];
} kv__table_t;

/* Return true when e must go. The callback may release what e owns besides
 * its own allocation, which the table frees. */
typedef bool (*kv__table_dead_cb)(kv__entry_t *e, void *ctx);

void kv__table_init(kv__table_t *t);

/* Free every entry and the bucket array. */
void kv__table_cleanup(kv__table_t *t);

/* The entry for key, or NULL. */
kv__entry_t *kv__table_find(kv__table_t *t, const char *key, size_t key_len);

/* Insert a zeroed entry of size bytes (>= sizeof(kv__entry_t)) for key, which
 * must be absent; the table copies the key. Never NULL (aborts on OOM). */
kv__entry_t *kv__table_add(kv__table_t *t, const char *key, size_t key_len, size_t size);

/* Unlink and free e. */
void kv__table_remove(kv__table_t *t, kv__entry_t *e);

/* Look at up to nbuckets buckets from where the last sweep stopped (wrapping
 * around) and remove the entries dead() condemns. Returns how many went. A
 * few buckets per call keep expired entries from piling up without ever
 * pausing for a whole-table scan; pass t->mask + 1 to scan everything. */
size_t kv__table_sweep(kv__table_t *t, size_t nbuckets, kv__table_dead_cb dead, void *ctx);

#endif
