/*
 * CORS with credentials for the origins in CORS_ORIGINS, and the matching
 * cross-site request check for state-changing requests. Any thread.
 */
#ifndef HTTP_CORS_H
#define HTTP_CORS_H

#include <stdbool.h>

#include "core/config.h"
#include "core/str.h"

/* The configured origin equal to the Origin header (to echo back), or NULL. */
const char *http_cors_origin(const core_config_t *cfg, core_str_t origin);

/* True when origin names the same site as the Host header (scheme ignored). */
bool http_cors_same_host(core_str_t origin, core_str_t host);

#endif
