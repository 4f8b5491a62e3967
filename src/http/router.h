/*
 * Route lookup over the api_routes table: method and path in, route and path
 * parameters out. Runs on event-loop threads; the table is read-only.
 */
#ifndef HTTP_ROUTER_H
#define HTTP_ROUTER_H

#include "api/api.h"
#include "core/str.h"

typedef struct http_route_match {
    const api_route_t *route; /* NULL when nothing matched */
    core_str_t params[API_MAX_PARAMS];
    unsigned allowed; /* methods the path accepts (for 405 + Allow) when route is NULL */
} http_route_match_t;

/* Parse an HTTP method token into API_GET...; 0 for anything else. */
unsigned http_method_parse(core_str_t method);

/* Match path (without query) against routes[0..n). When the path exists but not
 * for this method, route is NULL and allowed is non-zero (405); when the path
 * does not exist at all, both are empty (404). services masks out routes of
 * services this process does not run. */
void http_route_find(const api_route_t *routes, size_t n, unsigned services, unsigned method, core_str_t path,
                     http_route_match_t *out);

/* Write "GET, PUT, DELETE" for a method mask into buf; returns buf. */
const char *http_methods_format(unsigned methods, char *buf, size_t size);

#endif
