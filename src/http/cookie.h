/*
 * The session cookie: finding `token` in a Cookie header and formatting the
 * Set-Cookie that sets or clears it. Pure functions; any thread.
 */
#ifndef HTTP_COOKIE_H
#define HTTP_COOKIE_H

#include <stdbool.h>

#include "core/config.h"
#include "core/pool.h"
#include "core/str.h"

#define HTTP_COOKIE_NAME "token"

/* Find the first cookie called name in a Cookie header value ("a=1; token=xyz").
 * On success *value is a slice of header (surrounding double quotes removed). */
bool http_cookie_find(core_str_t header, core_str_t name, core_str_t *value);

/* Set-Cookie value for the session token (HttpOnly, Path=/, Max-Age 7 days,
 * SameSite from COOKIE_SAMESITE, Secure in production or with SameSite=None),
 * or, when token is NULL, one that deletes it. Allocated from pool. */
char *http_cookie_session(core_pool_t *pool, const core_config_t *cfg, const char *token);

#endif
