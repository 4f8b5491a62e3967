/*
 * This file implements query-string reading for query.h: split on '&', then
 * on the first '=', then percent-decode both halves into the pool. Decoded
 * text must be UTF-8 without NUL, so nothing odd reaches a handler's checks.
 */
#include "api/query.h"

#include <string.h>

#include "core/error.h"

static int hex(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static int decode(core_pool_t *pool, core_str_t in, char **out)
{
    char *d = core_pool_alloc(pool, in.len + 1);
    size_t n = 0;

    for (size_t i = 0; i < in.len; i++) {
        char c = in.base[i];
        if (c == '+') {
            c = ' ';
        } else if (c == '%') {
            int hi = i + 2 < in.len ? hex(in.base[i + 1]) : -1;
            int lo = i + 2 < in.len ? hex(in.base[i + 2]) : -1;
            if (hi < 0 || lo < 0)
                return CORE_E_VALIDATION;
            c = (char)(hi << 4 | lo);
            i += 2;
        }
        if (c == '\0')
            return CORE_E_VALIDATION;
        d[n++] = c;
    }
    d[n] = '\0';
    if (!core_str_is_utf8(core_str(d, n)))
        return CORE_E_VALIDATION;
    *out = d;
    return CORE_OK;
}

int api_query_next(core_pool_t *pool, core_str_t *rest, char **name, char **value)
{
    core_str_t seg;
    int rc;

    do {
        if (rest->len == 0)
            return 0;
        const char *amp = memchr(rest->base, '&', rest->len);
        size_t len = amp != NULL ? (size_t)(amp - rest->base) : rest->len;
        seg = core_str(rest->base, len);
        *rest = amp != NULL ? core_str(amp + 1, rest->len - len - 1) : core_str(rest->base + len, 0);
    } while (seg.len == 0);

    const char *eq = memchr(seg.base, '=', seg.len);
    core_str_t n = eq != NULL ? core_str(seg.base, (size_t)(eq - seg.base)) : seg;
    core_str_t v = eq != NULL ? core_str(eq + 1, seg.len - n.len - 1) : core_str("", 0);
    if ((rc = decode(pool, n, name)) != CORE_OK || (rc = decode(pool, v, value)) != CORE_OK)
        return rc;
    return 1;
}
