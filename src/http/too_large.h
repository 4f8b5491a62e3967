/*
 * JSON for h2o's own "413 Request Entity Too Large" (see too_large.c).
 */
#ifndef HTTP_TOO_LARGE_H
#define HTTP_TOO_LARGE_H

#include <h2o.h>

/* Add the filter to path; call at configuration time, main thread. */
void http_too_large_register(h2o_pathconf_t *path);

#endif
