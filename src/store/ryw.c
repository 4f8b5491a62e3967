/*
 * This file implements the process-wide read-your-writes hook of ryw.h: it
 * holds the hook the kv layer installed and turns its answers into the
 * routing decision of a backend with replicas (postgres/pool.c), choosing
 * the primary whenever the shared backend cannot answer.
 */
#include "store/ryw.h"

#include <stdatomic.h>
#include <stddef.h>

#include "core/error.h"

static _Atomic(const store_ryw_hook_t *) current_hook;

void store_ryw_hook_set(const store_ryw_hook_t *hook)
{
    atomic_store_explicit(&current_hook, hook, memory_order_release);
}

int store_ryw_mark(const char *user_id, int64_t ttl_ms)
{
    const store_ryw_hook_t *h = atomic_load_explicit(&current_hook, memory_order_acquire);

    return h != NULL && user_id != NULL && ttl_ms > 0 ? h->mark(h->ctx, user_id, ttl_ms) : CORE_OK;
}

bool store_ryw_marked(const char *user_id)
{
    const store_ryw_hook_t *h = atomic_load_explicit(&current_hook, memory_order_acquire);
    bool marked = false;

    if (h != NULL && user_id != NULL && h->check(h->ctx, user_id, &marked) != CORE_OK)
        marked = true; /* cannot tell: the primary is never stale */
    return marked;
}
