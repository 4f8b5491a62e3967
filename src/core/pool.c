/*
 * This file implements the per-request arena of pool.h: a list of chunks
 * carved up by bumping a pointer, plus a list of cleanup callbacks, so a
 * handler's allocations cost a pointer bump and are all freed at once.
 */
#include "core/pool.h"

#include <stdarg.h>
#include <stdalign.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#define CHUNK_SIZE 4096

struct core_pool_chunk {
    core_pool_chunk_t *next;
    alignas(max_align_t) char data[];
};

struct core_pool_cleanup {
    core_pool_cleanup_t *next;
    core_pool_cleanup_cb cb;
    void *data;
};

void core_pool_init(core_pool_t *pool)
{
    memset(pool, 0, sizeof(*pool));
}

void core_pool_cleanup(core_pool_t *pool)
{
    while (pool->cleanups != NULL) {
        core_pool_cleanup_t *c = pool->cleanups;
        pool->cleanups = c->next;
        c->cb(c->data);
    }
    while (pool->chunks != NULL) {
        core_pool_chunk_t *c = pool->chunks;
        pool->chunks = c->next;
        free(c);
    }
    core_pool_init(pool);
}

void *core_pool_alloc(core_pool_t *pool, size_t size)
{
    const size_t align = alignof(max_align_t);
    size = size == 0 ? align : (size + align - 1) & ~(align - 1);

    if (size > CHUNK_SIZE / 4) {
        /* large: own chunk, linked behind the current one so bumping continues */
        core_pool_chunk_t *c = core_malloc(sizeof(*c) + size);
        if (pool->chunks != NULL) {
            c->next = pool->chunks->next;
            pool->chunks->next = c;
        } else {
            c->next = NULL;
            pool->chunks = c;
        }
        return c->data;
    }
    if (size > pool->avail) {
        core_pool_chunk_t *c = core_malloc(sizeof(*c) + CHUNK_SIZE);
        c->next = pool->chunks;
        pool->chunks = c;
        pool->cur = c->data;
        pool->avail = CHUNK_SIZE;
    }
    void *p = pool->cur;
    pool->cur += size;
    pool->avail -= size;
    return p;
}

void *core_pool_calloc(core_pool_t *pool, size_t size)
{
    return memset(core_pool_alloc(pool, size), 0, size);
}

char *core_pool_strndup(core_pool_t *pool, const char *s, size_t len)
{
    char *p = core_pool_alloc(pool, len + 1);
    if (len != 0)
        memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *core_pool_strdup(core_pool_t *pool, const char *s)
{
    return core_pool_strndup(pool, s, strlen(s));
}

char *core_pool_printf(core_pool_t *pool, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *p = core_pool_alloc(pool, (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

void core_pool_defer(core_pool_t *pool, core_pool_cleanup_cb cb, void *data)
{
    core_pool_cleanup_t *c = core_pool_alloc(pool, sizeof(*c));
    c->cb = cb;
    c->data = data;
    c->next = pool->cleanups;
    pool->cleanups = c;
}
