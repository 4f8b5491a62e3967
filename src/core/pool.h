/*
 * Per-request memory pool (an arena), after h2o's req->pool and nginx's
 * ngx_pool_t: handlers allocate from it and never free field by field; the
 * whole pool is released when the request ends. Non-memory resources (a
 * PGresult, a jansson value, a Redis reply) are released by registering a
 * cleanup callback. A pool belongs to one thread at a time; it is not locked.
 */
#ifndef CORE_POOL_H
#define CORE_POOL_H

#include <stddef.h>

#include "core/str.h"

typedef void (*core_pool_cleanup_cb)(void *data);

typedef struct core_pool_chunk core_pool_chunk_t;
typedef struct core_pool_cleanup core_pool_cleanup_t;

typedef struct core_pool {
    core_pool_chunk_t *chunks;
    core_pool_cleanup_t *cleanups;
    char *cur;
    size_t avail;
} core_pool_t;

void core_pool_init(core_pool_t *pool);

/* Run the cleanups (latest first), free every chunk; the pool can be reused. */
void core_pool_cleanup(core_pool_t *pool);

/* Memory aligned for any type, valid until core_pool_cleanup; never NULL. */
void *core_pool_alloc(core_pool_t *pool, size_t size);
void *core_pool_calloc(core_pool_t *pool, size_t size);
char *core_pool_strndup(core_pool_t *pool, const char *s, size_t len);
char *core_pool_strdup(core_pool_t *pool, const char *s);

/* NUL-terminated copy of a slice, for libraries that need C strings. */
static inline char *core_pool_cstr(core_pool_t *pool, core_str_t s)
{
    return core_pool_strndup(pool, s.base, s.len);
}

/* printf into the pool. */
char *core_pool_printf(core_pool_t *pool, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Call cb(data) when the pool is cleaned up. */
void core_pool_defer(core_pool_t *pool, core_pool_cleanup_cb cb, void *data);

#endif
