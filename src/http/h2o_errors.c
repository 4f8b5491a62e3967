/*
 * This file makes the errors h2o answers by itself look like every other
 * error. h2o refuses some requests before our pipeline sees them, with a
 * text/plain body: a body over BODY_LIMIT (413) and a head beyond its parser's
 * own limits (400). This output filter replaces such a body with the JSON
 * error of the matching row of the error table. It recognises them by status
 * >= 400 with a text/plain type, which the pipeline never produces (its
 * errors are JSON), so our answers pass through untouched. Event loops.
 */
#include "http/h2o_errors.h"

#include <stdbool.h>
#include <stdio.h>

#include "core/error.h"

typedef struct json_ostream {
    h2o_ostream_t super;
    h2o_iovec_t body;
} json_ostream_t;

static void on_send(h2o_ostream_t *self, h2o_req_t *req, h2o_iovec_t *bufs, size_t bufcnt, h2o_send_state_t state)
{
    json_ostream_t *o = (json_ostream_t *)self;

    (void)bufs;
    (void)bufcnt; /* h2o's text is dropped */
    if (h2o_send_state_is_in_progress(state))
        h2o_ostream_send_next(self, req, NULL, 0, state);
    else
        h2o_ostream_send_next(self, req, &o->body, 1, state);
}

static bool is_plain_text(h2o_req_t *req)
{
    ssize_t i = h2o_find_header(&req->res.headers, H2O_TOKEN_CONTENT_TYPE, -1);
    return i >= 0 && req->res.headers.entries[i].value.len >= 10 &&
           h2o_lcstris(req->res.headers.entries[i].value.base, 10, H2O_STRLIT("text/plain"));
}

static void on_setup_ostream(h2o_filter_t *self, h2o_req_t *req, h2o_ostream_t **slot)
{
    (void)self;
    if (req->res.status >= 400 && is_plain_text(req)) {
        int code = req->res.status == 413 ? CORE_E_PAYLOAD_TOO_LARGE : CORE_E_BAD_REQUEST;
        json_ostream_t *o = (json_ostream_t *)h2o_add_ostream(req, sizeof(*o), slot);
        char *text = h2o_mem_alloc_pool(&req->pool, 128);
        int n = snprintf(text, 128, "{\"success\":false,\"message\":\"%s\"}", core_error_message(code));

        o->super.do_send = on_send;
        o->body = h2o_iovec_init(text, n > 0 && n < 128 ? (size_t)n : 0);
        h2o_set_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE,
                       H2O_STRLIT("application/json; charset=utf-8"), 1);
        req->res.content_length = o->body.len;
        slot = &o->super.next;
    }
    h2o_setup_next_ostream(req, slot);
}

void http_h2o_errors_register(h2o_pathconf_t *path)
{
    h2o_create_filter(path, sizeof(h2o_filter_t))->on_setup_ostream = on_setup_ostream;
}
