/*
 * This file implements route matching for router.h: a path is compared with
 * each route template segment by segment, ':name' segments capture one
 * segment. The table has a few dozen rows, so a linear scan beats building a
 * tree, and the order of the table decides ties (/api/tasks/stats before
 * /api/tasks/:id).
 */
#include "http/router.h"

#include <stdio.h>
#include <string.h>

static const struct {
    unsigned method;
    core_str_t name;
} methods[] = {
    {API_GET, CORE_STR_LIT("GET")},     {API_POST, CORE_STR_LIT("POST")},     {API_PUT, CORE_STR_LIT("PUT")},
    {API_PATCH, CORE_STR_LIT("PATCH")}, {API_DELETE, CORE_STR_LIT("DELETE")},
};

unsigned http_method_parse(core_str_t method)
{
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++)
        if (core_str_eq(method, methods[i].name))
            return methods[i].method;
    return 0;
}

const char *http_methods_format(unsigned mask, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof(methods) / sizeof(methods[0]); i++) {
        if ((mask & methods[i].method) == 0)
            continue;
        int n = snprintf(buf + used, size - used, "%s%s", used ? ", " : "", methods[i].name.base);
        if (n < 0 || (size_t)n >= size - used) {
            buf[used] = '\0'; /* whole names only */
            break;
        }
        used += (size_t)n;
    }
    return buf;
}

/* Compare path with template; on success fill params. One trailing slash is
 * ignored ("/api/tasks/" is "/api/tasks"), as Express's default router does. */
static bool match(const char *tpl, core_str_t path, core_str_t *params)
{
    const char *p = path.base, *end = path.len > 0 ? path.base + path.len : path.base;
    size_t nparams = 0;

    while (*tpl != '\0') {
        if (*tpl != '/' || p == end || *p != '/')
            return false;
        tpl++;
        p++;
        const char *seg = p;
        while (p < end && *p != '/')
            p++;
        size_t seglen = (size_t)(p - seg);
        const char *tseg = tpl;
        while (*tpl != '\0' && *tpl != '/')
            tpl++;
        size_t tlen = (size_t)(tpl - tseg);
        if (tlen > 0 && tseg[0] == ':') {
            if (seglen == 0 || nparams == API_MAX_PARAMS)
                return false;
            params[nparams++] = core_str(seg, seglen);
        } else if (seglen != tlen || memcmp(seg, tseg, tlen) != 0) {
            return false;
        }
    }
    return p == end || (p + 1 == end && *p == '/' && p > path.base + 1);
}

void http_route_find(const api_route_t *routes, size_t n, unsigned services, unsigned method, core_str_t path,
                     http_route_match_t *out)
{
    core_str_t params[API_MAX_PARAMS];

    memset(out, 0, sizeof(*out));
    for (size_t i = 0; i < n; i++) {
        const api_route_t *r = &routes[i];
        memset(params, 0, sizeof(params));
        if ((r->service & services) == 0 || !match(r->path, path, params))
            continue;
        if (r->methods & method) {
            out->route = r;
            memcpy(out->params, params, sizeof(params));
            out->allowed = 0;
            return;
        }
        out->allowed |= r->methods;
    }
}
