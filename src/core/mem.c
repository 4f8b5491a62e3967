/*
 * This file implements the aborting allocation wrappers declared in mem.h, so
 * that out-of-memory is handled once for the whole server instead of at every
 * call site.
 */
#include "core/mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *check(void *p, size_t size)
{
    if (p == NULL && size != 0) {
        fprintf(stderr, "{\"level\":\"fatal\",\"msg\":\"out of memory\",\"bytes\":%zu}\n", size);
        abort();
    }
    return p;
}

void *core_malloc(size_t size)
{
    return check(malloc(size), size);
}

void *core_calloc(size_t count, size_t size)
{
    return check(calloc(count, size), count * size);
}

void *core_realloc(void *ptr, size_t size)
{
    return check(realloc(ptr, size), size);
}

char *core_strdup(const char *s)
{
    return core_strndup(s, strlen(s));
}

char *core_strndup(const char *s, size_t len)
{
    char *p = core_malloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}
