/*
 * String slices: a pointer and a length into someone else's buffer, the way
 * nginx's ngx_str_t and h2o's h2o_iovec_t carry request data without copying.
 * A slice is only valid while the buffer it points into lives; it is never
 * NUL-terminated unless a function says so.
 */
#ifndef CORE_STR_H
#define CORE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

typedef struct core_str {
    const char *base;
    size_t len;
} core_str_t;

#define CORE_STR_LIT(s) ((core_str_t){(s), sizeof(s) - 1})
#define CORE_STR_NULL ((core_str_t){NULL, 0})

static inline core_str_t core_str(const char *base, size_t len)
{
    return (core_str_t){base, len};
}

/* Slice of a NUL-terminated string we own (never use on network input). */
static inline core_str_t core_str_c(const char *s)
{
    return (core_str_t){s, s != NULL ? strlen(s) : 0};
}

static inline bool core_str_eq(core_str_t a, core_str_t b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.base, b.base, a.len) == 0);
}

/* ASCII case-insensitive comparison, for header names and tokens. */
bool core_str_eq_nocase(core_str_t a, core_str_t b);

/* True when s starts with prefix. */
bool core_str_has_prefix(core_str_t s, core_str_t prefix);

/* The slice without leading and trailing spaces, tabs, CR and LF. */
core_str_t core_str_trim(core_str_t s);

/* Parse a whole slice as a base-10 integer in [min, max]; 0 on success, -1 otherwise. */
int core_str_to_i64(core_str_t s, long long min, long long max, long long *out);

/* True when s is well-formed UTF-8 (no overlongs, no surrogates, <= U+10FFFF). */
bool core_str_is_utf8(core_str_t s);

/* Number of Unicode code points in a valid UTF-8 slice. */
size_t core_str_utf8_len(core_str_t s);

/* Length of the longest prefix of s that is at most max bytes and does not
 * end inside a character: s itself when it fits, else max backed off to a
 * character boundary. For quoting user text in a bounded message that must
 * stay valid UTF-8 (JSON); s valid UTF-8. */
size_t core_str_utf8_prefix(core_str_t s, size_t max);

#endif
