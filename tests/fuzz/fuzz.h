/*
 * What the libFuzzer targets in tests/fuzz/ share: the entry point's
 * prototype, FUZZ_CHECK for the properties each target asserts beyond "no
 * crash" (a broken one aborts, so libFuzzer keeps the input as a crash), and
 * fuzz_split, which cuts one input into the several strings a parser takes.
 * Each target calls one parser entry point on what the network (or the
 * operator) could send it; see tests/fuzz/README.md.
 */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/str.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The JWT_SECRET of the targets that need one: cursor, cursor_raw,
 * cursor_roundtrip and task_query seal cursors under it (the sealed cursors
 * in corpus/cursor_raw/ and corpus/task_query/ were made with it), config
 * and forwarded set it in the environment. */
#define FUZZ_JWT_SECRET "fuzz-secret-0123456789abcdef0123456789abcdef"

/* Abort with the property and a message when cond is false. */
#define FUZZ_CHECK(cond, ...)                                                                                       \
    do {                                                                                                          \
        if (!(cond)) {                                                                                            \
            fprintf(stderr, "\n%s:%d: property broken: %s\n  ", __FILE__, __LINE__, #cond);                      \
            fprintf(stderr, __VA_ARGS__);                                                                         \
            fputc('\n', stderr);                                                                                  \
            abort();                                                                                              \
        }                                                                                                         \
    } while (0)

/* Cut data at the first n - 1 occurrences of sep into parts[0..n); parts
 * that the input does not reach are empty. The slices point into data. */
static inline void fuzz_split(const uint8_t *data, size_t size, char sep, core_str_t *parts, size_t n)
{
    const char *p = size > 0 ? (const char *)data : "", *end = p + size;

    for (size_t i = 0; i < n; i++) {
        const char *stop = i + 1 < n ? memchr(p, sep, (size_t)(end - p)) : NULL;
        if (stop == NULL) {
            parts[i] = core_str(p, (size_t)(end - p));
            p = end;
        } else {
            parts[i] = core_str(p, (size_t)(stop - p));
            p = stop + 1;
        }
    }
}

/* An exact-size heap copy of s, without a NUL, so ASan sees a read past its
 * end (the parts of fuzz_split are followed by the rest of the input); free
 * it with fuzz_free. */
static inline core_str_t fuzz_copy(core_str_t s)
{
    char *c = malloc(s.len > 0 ? s.len : 1);

    if (c == NULL)
        abort();
    if (s.len > 0)
        memcpy(c, s.base, s.len);
    return core_str(c, s.len);
}

static inline void fuzz_free(core_str_t s)
{
    free((void *)(uintptr_t)s.base);
}

/* A NUL-terminated heap copy of s, for parsers of C strings: a NUL inside s
 * ends the string there, as it would in an environment variable. free() it. */
static inline char *fuzz_cstr(core_str_t s)
{
    const char *nul = s.len > 0 ? memchr(s.base, '\0', s.len) : NULL;
    size_t len = nul != NULL ? (size_t)(nul - s.base) : s.len;
    char *c = malloc(len + 1);

    if (c == NULL)
        abort();
    if (len > 0)
        memcpy(c, s.base, len);
    c[len] = '\0';
    return c;
}

#endif
