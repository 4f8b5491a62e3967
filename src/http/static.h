/*
 * The built web app (WEB_DIR, default web/dist) served at / next to the API:
 * files with ETag/304 and precompressed .br/.gz variants, long-lived caching
 * for the hashed files under /assets/, and index.html for the app's client routes.
 */
#ifndef HTTP_STATIC_H
#define HTTP_STATIC_H

#include <h2o.h>

#include "core/config.h"

/* Add the web app's handler to path, ahead of the API handler: call before
 * that one is created, at configuration time, on the main thread. Registers
 * nothing (and logs why) when WEB_DIR has no index.html, so the API answers
 * alone. For each GET or HEAD outside /api and /health it answers:
 *   - an existing file under WEB_DIR: that file (Cache-Control immutable
 *     under /assets/, no-cache elsewhere);
 *   - any other path, "/" included, from a client that accepts text/html
 *     (a browser navigating): index.html, no-cache;
 *   - a missing file under /assets/: a JSON 404 (never the page);
 * and leaves everything else to the API handler, so GET / from curl still
 * answers "API Working" and unknown paths the API's JSON 404; those answers
 * get Vary: Accept, as index.html does, since a browser gets the page there.
 * Every answer given here has an X-Request-Id, an access log line and an
 * observation in http_request_duration_seconds under route="static". */
void http_static_register(h2o_pathconf_t *path, const core_config_t *cfg);

#endif
