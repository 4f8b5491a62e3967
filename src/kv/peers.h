/*
 * Internal to src/kv: whether another lsf-server process shares this
 * process's SQLite database file, for the in-process backend, whose caches
 * and revocations no other process can see. Each serving process registers
 * in "<database>.instances" next to the file: it holds a shared fcntl lock
 * on the file's first byte while it lives, and adds one to a counter kept in
 * the file, read through a shared mapping. A peer is seen when a lock was
 * held by another process at registration, or when the counter has moved
 * since (another process registered after this one); it stays seen until
 * exit. Reading the counter is a memory load, cheap enough for every request.
 */
#ifndef KV_PEERS_H
#define KV_PEERS_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

typedef struct kv__peers {
    int fd;            /* -1: not registered, never a peer */
    uint64_t *counter; /* the file's counter, mapped shared */
    uint64_t mine;     /* the counter's value after this process registered */
    atomic_bool seen;
    atomic_bool reported; /* a caller was told "first" */
} kv__peers_t;

/* Register this process for the database file at db_path. CORE_OK, or
 * CORE_E_INTERNAL (logged) when the file beside it cannot be used. */
int kv__peers_open(kv__peers_t *p, const char *db_path);

/* true once another process has shared the database since registration;
 * the first call that returns true also sets *first. */
bool kv__peers_seen(kv__peers_t *p, bool *first);

void kv__peers_close(kv__peers_t *p);

#endif
