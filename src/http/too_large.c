/*
 * This file makes h2o's own 413 answer look like every other error. h2o
 * refuses a body over BODY_LIMIT itself, before our pipeline runs, with a
 * text/plain body; this output filter replaces that body with the JSON
 * error of CORE_E_PAYLOAD_TOO_LARGE. It acts on status 413 only, which the
 * pipeline never produces (h2o enforces the limit), so our answers pass
 * through untouched. Event-loop threads.
 */
#include "http/too_large.h"

#include <stdio.h>

#include "core/error.h"

static char body[128];
static size_t body_len;

static void on_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs, size_t bufcnt, h2o_send_state_t state)
{
    h2o_iovec_t json = h2o_iovec_init(body, body_len);

    (void)bufs;
    (void)bufcnt; /* h2o's text is dropped */
    if (h2o_send_state_is_in_progress(state))
        h2o_ostream_send_next(self, req, NULL, 0, state);
    else
        h2o_ostream_send_next(self, req, &json, 1, state);
}

static void on_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    (void)self;
    if (req->res.status == 413) {
        h2o_set_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
                       H2O_STRLIT("application/json; charset=utf-8"), 1);
        req->res.content_length = body_len;
        h2o_ostream_t *o = h2o_add_ostream(req, sizeof(*o), slot);
        o->do_send = on_send;
        slot = &o->next;
    }
    h2o_setup_next_ostream(req, slot);
}

void http_too_large_register(h2o_pathconf_t *path)
{
    int n = snprintf(body, sizeof(body), "{\"success\":false,\"message\":\"%s\"}",
                     core_error_message(CORE_E_PAYLOAD_TOO_LARGE));
    body_len = n > 0 && (size_t)n < sizeof(body) ? (size_t)n : 0;
    h2o_create_filter(path, sizeof(h2o_filter_t))->on_setup_ostream = on_setup_ostream;
}
