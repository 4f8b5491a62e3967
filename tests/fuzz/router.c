/*
 * libFuzzer target: http_method_parse and http_route_find
 * (src/http/router.c) over the real route table (src/api/routes.c), as a
 * request line gives them: the input is the method, a space, and the path.
 * Properties: a matched route accepts the method and its parameters are
 * non-empty slices of the path without '/'; a path that matches no route
 * for this method reports the methods it does accept (405) or none (404),
 * and asking again with one of those finds a route; and the path made by
 * putting the input's last segment in a route's parameters finds a route.
 */
#include <string.h>

#include "api/api.h"
#include "http/router.h"
#include "fuzz.h"

#define ALL_SERVICES 0xffffffffu

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    core_str_t parts[2];
    http_route_match_t m, again;

    fuzz_split(data, size, ' ', parts, 2);
    core_str_t path = fuzz_copy(parts[1]);
    unsigned method = http_method_parse(parts[0]);
    http_route_find(api_routes, api_routes_len, ALL_SERVICES, method, path, &m);
    if (m.route != NULL) {
        FUZZ_CHECK(method != 0 && (m.route->methods & method) != 0, "route %s for method %u", m.route->path, method);
        for (size_t i = 0; i < API_MAX_PARAMS; i++) {
            core_str_t p = m.params[i];
            if (p.base == NULL)
                continue;
            FUZZ_CHECK(p.len > 0 && p.base >= path.base && p.base + p.len <= path.base + path.len &&
                           memchr(p.base, '/', p.len) == NULL,
                       "parameter %zu of %s", i, m.route->path);
        }
    } else if (m.allowed != 0) {
        unsigned one = m.allowed & -m.allowed;
        http_route_find(api_routes, api_routes_len, ALL_SERVICES, one, path, &again);
        FUZZ_CHECK(again.route != NULL, "405 allows %u, which then finds no route", one);
    }
    /* every route with a parameter, filled with a segment taken from the input */
    const char *slash = memrchr(path.base, '/', path.len);
    core_str_t seg = slash != NULL ? core_str(slash + 1, path.len - (size_t)(slash + 1 - path.base)) : path;
    if (seg.len > 0 && seg.len < 256) {
        for (size_t r = 0; r < api_routes_len; r++) {
            const char *tpl = api_routes[r].path, *colon = strchr(tpl, ':');
            if (colon == NULL)
                continue;
            const char *after = strchr(colon, '/');
            char built[512];
            size_t pre = (size_t)(colon - tpl), post = after != NULL ? strlen(after) : 0;
            if (strchr(colon + 1, ':') != NULL || pre + seg.len + post > sizeof(built))
                continue;
            memcpy(built, tpl, pre); /* seg may hold NUL bytes: no printf */
            memcpy(built + pre, seg.base, seg.len);
            memcpy(built + pre + seg.len, after != NULL ? after : "", post);
            size_t n = pre + seg.len + post;
            unsigned first = api_routes[r].methods & -api_routes[r].methods;
            http_route_find(api_routes, api_routes_len, ALL_SERVICES, first, core_str(built, n), &again);
            FUZZ_CHECK(again.route != NULL, "%.*s does not route (template %s)", (int)n, built, tpl);
        }
    }
    fuzz_free(path);
    return 0;
}
