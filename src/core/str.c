/*
 * This file implements the small slice helpers of str.h: comparison, trimming,
 * integer parsing and UTF-8 checks used on untrusted input everywhere.
 */
#include "core/str.h"

#include <stdint.h>

static unsigned char lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

bool core_str_eq_nocase(core_str_t a, core_str_t b)
{
    if (a.len != b.len)
        return false;
    for (size_t i = 0; i < a.len; i++)
        if (lower((unsigned char)a.base[i]) != lower((unsigned char)b.base[i]))
            return false;
    return true;
}

bool core_str_has_prefix(core_str_t s, core_str_t prefix)
{
    return s.len >= prefix.len && memcmp(s.base, prefix.base, prefix.len) == 0;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

core_str_t core_str_trim(core_str_t s)
{
    while (s.len > 0 && is_space(s.base[0])) {
        s.base++;
        s.len--;
    }
    while (s.len > 0 && is_space(s.base[s.len - 1]))
        s.len--;
    return s;
}

int core_str_to_i64(core_str_t s, long long min, long long max, long long *out)
{
    size_t i = 0;
    bool neg = false;
    unsigned long long v = 0;

    if (s.len == 0 || s.len > 20)
        return -1;
    if (s.base[0] == '-' || s.base[0] == '+') {
        neg = s.base[0] == '-';
        if (++i == s.len)
            return -1;
    }
    for (; i < s.len; i++) {
        if (s.base[i] < '0' || s.base[i] > '9')
            return -1;
        unsigned long long digit = (unsigned long long)(s.base[i] - '0');
        if (v > (UINT64_MAX - digit) / 10)
            return -1;
        v = v * 10 + digit;
    }
    if (neg) {
        if (v > (unsigned long long)INT64_MAX + 1)
            return -1;
        long long n = v == (unsigned long long)INT64_MAX + 1 ? INT64_MIN : -(long long)v;
        if (n < min || n > max)
            return -1;
        *out = n;
    } else {
        if (v > (unsigned long long)INT64_MAX || (long long)v < min || (long long)v > max)
            return -1;
        *out = (long long)v;
    }
    return 0;
}

bool core_str_is_utf8(core_str_t s)
{
    if (s.len == 0)
        return true; /* also keeps NULL + 0 out of the arithmetic below */
    const unsigned char *p = (const unsigned char *)s.base, *end = p + s.len;

    while (p < end) {
        unsigned char c = *p;
        size_t n;
        uint32_t cp;
        if (c < 0x80) {
            p++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            n = 1;
            cp = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            n = 2;
            cp = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            n = 3;
            cp = c & 0x07;
        } else {
            return false;
        }
        if ((size_t)(end - p) <= n)
            return false;
        for (size_t i = 1; i <= n; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return false;
            cp = (cp << 6) | (p[i] & 0x3f);
        }
        if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff ||
            (cp >= 0xd800 && cp <= 0xdfff))
            return false;
        p += n + 1;
    }
    return true;
}

size_t core_str_utf8_len(core_str_t s)
{
    size_t n = 0;
    for (size_t i = 0; i < s.len; i++)
        if (((unsigned char)s.base[i] & 0xc0) != 0x80)
            n++;
    return n;
}

size_t core_str_utf8_prefix(core_str_t s, size_t max)
{
    size_t n = max;

    if (s.len <= max)
        return s.len;
    /* s.base[n] is the first byte left out: while it continues a character,
     * that character started inside the prefix, so leave it out whole */
    while (n > 0 && ((unsigned char)s.base[n] & 0xc0) == 0x80)
        n--;
    return n;
}
