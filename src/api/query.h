/*
 * Reading a URL query string ("a=1&b=x%20y") in handlers: one parameter at a
 * time, percent-decoded ('+' is a space) into the request's pool. Any thread.
 */
#ifndef API_QUERY_H
#define API_QUERY_H

#include "core/pool.h"
#include "core/str.h"

#define API_QUERY_MAX 4096 /* bytes of query string accepted */

/* Take the next parameter off *rest. Returns 1 with *name and *value set
 * (NUL-terminated, decoded, valid UTF-8 without NUL), 0 when *rest is empty,
 * or CORE_E_VALIDATION for bad percent-encoding or invalid UTF-8. Empty
 * segments ("a=1&&b=2") are skipped. */
int api_query_next(core_pool_t *pool, core_str_t *rest, char **name, char **value);

#endif
