/*
 * The request pipeline h2o calls for every request (see request.c for the
 * phases). Event-loop threads only.
 */
#ifndef HTTP_REQUEST_H
#define HTTP_REQUEST_H

#include <h2o.h>

#include "http/exchange.h"

/* The h2o handler callback: always returns 0 (every request is answered). */
int http_request_handle(h2o_handler_t *self, h2o_req_t *req);

/* Receiver callback for exchanges whose handler ran on a worker. */
void http_request_on_done(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages);

#endif
