/*
 * The `lsf-server healthcheck` client: one HTTP GET of a health route on the
 * server's own HOST:PORT, for a container's HEALTHCHECK, which then needs no
 * curl binary in the image.
 */
#ifndef HTTP_HEALTHCHECK_H
#define HTTP_HEALTHCHECK_H

#include <stddef.h>

#include "core/config.h"

/* GET `path` (e.g. "/health/ready") from the server that cfg describes: its
 * PORT on HOST, or on loopback when HOST is a wildcard (0.0.0.0, ::), within
 * timeout_ms for connect and answer together, never through a proxy.
 * Returns the HTTP status, or 0 when no answer came, with the reason written
 * into why (why_len bytes, NUL-terminated). curl_global_init() must have run;
 * any thread. */
int http_healthcheck_get(const core_config_t *cfg, const char *path, long timeout_ms, char *why,
                         size_t why_len);

#endif
