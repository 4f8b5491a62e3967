/*
 * Allocation wrappers. On out-of-memory they log and abort(), so callers never
 * check for NULL: a server that cannot allocate a few bytes cannot answer
 * anyone correctly anyway (h2o's h2o_mem_alloc makes the same choice).
 * Safe to call from any thread.
 */
#ifndef CORE_MEM_H
#define CORE_MEM_H

#include <stddef.h>

/* Return memory the caller frees with free(); never NULL. */
void *core_malloc(size_t size);
void *core_calloc(size_t count, size_t size);
void *core_realloc(void *ptr, size_t size);
char *core_strdup(const char *s);
char *core_strndup(const char *s, size_t len);

#endif
