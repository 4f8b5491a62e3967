/*
 * Read-your-writes across server processes. With read replicas, a user's
 * reads go to the primary for a while after that user wrote (postgres/pool.c
 * keeps that mark per process). Behind a load balancer the next request of
 * the user may land on another process, so the mark must live where every
 * process looks: the kv layer, which knows the shared backend (Redis), hands
 * the store a hook at start-up. Without a hook the mark stays per process.
 *
 * The hook is process-wide. Install it before requests are served and take
 * it away (NULL) after they stopped and before its backend is destroyed.
 */
#ifndef STORE_RYW_H
#define STORE_RYW_H

#include <stdbool.h>
#include <stdint.h>

typedef struct store_ryw_hook {
    void *ctx;
    /* Mark that user_id just wrote; the mark lasts ttl_ms. CORE_OK, or
     * CORE_E_UNAVAILABLE when the backend did not take it. Any thread. */
    int (*mark)(void *ctx, const char *user_id, int64_t ttl_ms);
    /* *marked = user_id has a live mark. CORE_OK, or CORE_E_UNAVAILABLE
     * when the backend cannot tell right now. Any thread. */
    int (*check)(void *ctx, const char *user_id, bool *marked);
} store_ryw_hook_t;

/* Use hook (not copied: it must stay valid until replaced) from now on;
 * NULL removes it. */
void store_ryw_hook_set(const store_ryw_hook_t *hook);

/* Mark user_id's write through the hook for ttl_ms. Without a hook a no-op
 * (CORE_OK); CORE_E_UNAVAILABLE when the backend failed. Any thread. */
int store_ryw_mark(const char *user_id, int64_t ttl_ms);

/* Whether the shared mark sends user_id's reads to the primary: true when
 * the hook finds a mark, and also when it cannot tell (the safe side);
 * false without a hook. Any thread. */
bool store_ryw_marked(const char *user_id);

#endif
