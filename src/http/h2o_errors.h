/*
 * JSON bodies for the errors h2o answers itself, before our pipeline runs
 * (see h2o_errors.c).
 */
#ifndef HTTP_H2O_ERRORS_H
#define HTTP_H2O_ERRORS_H

#include <h2o.h>

/* Add the filter to path; call at configuration time, main thread. */
void http_h2o_errors_register(h2o_pathconf_t *path);

#endif
