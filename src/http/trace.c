/*
 * This file implements the HTTP side of tracing (trace.h): it reads the
 * W3C headers of a request into an http_trace_t, which the exchange
 * (request.c) puts into the log context next to the request id, and, in
 * the log phase (response.c), turns a recorded exchange into one server
 * span (http_trace_finish) for the exporter (src/trace/export.c). Without
 * an exporter it costs the header lookups and 8 or 24 random bytes.
 */
#include "http/trace.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/mem.h"
#include "core/random.h"
#include "http/exchange.h"
#include "trace/export.h"
#include "trace/sampler.h"
#include "trace/span.h"

static int64_t unix_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The one value of header name, or an empty slice when absent; *many when
 * it appears more than once. */
static h2o_iovec_t header_once(h2o_req_t *req, const char *name, size_t len, bool *many)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, name, len, -1);
    *many = i >= 0 && h2o_find_header_by_str(&req->headers, name, len, i) >= 0;
    return i >= 0 ? req->headers.entries[i].value : h2o_iovec_init(NULL, 0);
}

void http_trace_begin(http_trace_t *t, h2o_req_t *req, const core_config_t *cfg)
{
    bool many;
    h2o_iovec_t parent = header_once(req, H2O_STRLIT("traceparent"), &many);

    t->start_unix_ns = unix_ns();
    t->has_parent = !many && trace_parent_parse(core_str(parent.base, parent.len), &t->parent);
    t->state = h2o_iovec_init(NULL, 0);
    if (t->has_parent) {
        memcpy(t->trace_id, t->parent.trace_id, TRACE_ID_BYTES);
        core_random_buf(t->span_id, TRACE_SPAN_ID_BYTES);
        h2o_iovec_t state = header_once(req, H2O_STRLIT("tracestate"), &many);
        if (!many && state.len > 0 && trace_state_valid(core_str(state.base, state.len)))
            t->state = state;
    } else {
        uint8_t ids[TRACE_ID_BYTES + TRACE_SPAN_ID_BYTES];
        core_random_buf(ids, sizeof(ids));
        memcpy(t->trace_id, ids, TRACE_ID_BYTES);
        memcpy(t->span_id, ids + TRACE_ID_BYTES, TRACE_SPAN_ID_BYTES);
        /* all-zero ids are invalid; 2^-64 odds, but the spec forbids sending one */
        if (trace_id_is_zero(t->span_id, TRACE_SPAN_ID_BYTES))
            t->span_id[0] = 1;
        if (trace_id_is_zero(t->trace_id, TRACE_ID_BYTES))
            t->trace_id[0] = 1;
    }
    t->recording = cfg->otel_endpoint != NULL && trace_export_enabled() &&
                   trace_sampler_decide((enum trace_sampler)cfg->otel_sampler, cfg->otel_sampler_ratio, t->trace_id,
                                        t->has_parent ? &t->parent : NULL);
    /* with an exporter, the flag says what we did; without, pass on the caller's decision */
    if (cfg->otel_endpoint != NULL)
        t->flags = t->recording ? TRACE_FLAG_SAMPLED : 0;
    else
        t->flags = t->has_parent ? (uint8_t)(t->parent.flags & TRACE_FLAG_SAMPLED) : 0;
    trace_hex(t->trace_id, TRACE_ID_BYTES, t->trace_hex);
    trace_hex(t->span_id, TRACE_SPAN_ID_BYTES, t->span_hex);
    if (t->recording) {
        memcpy(t->scope.trace_id, t->trace_id, TRACE_ID_BYTES);
        memcpy(t->scope.span_id, t->span_id, TRACE_SPAN_ID_BYTES);
        t->scope.unix_ns = t->start_unix_ns;
        t->scope.mono_ns = core_clock_mono_ns();
    }
}

void http_trace_add_header(const http_trace_t *t, h2o_req_t *req)
{
    char *v = h2o_mem_alloc_pool(&req->pool, TRACE_PARENT_LEN + 1); /* h2o keeps it until sent */

    trace_parent_format(t->trace_id, t->span_id, t->flags, v);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("traceparent"), 0, NULL, v, TRACE_PARENT_LEN);
}

void http_trace_finish(http_exchange_t *x, int status)
{
    const http_trace_t *t = &x->trace;
    h2o_req_t *req = x->req;
    const char *route = x->api.route != NULL ? x->api.route->name : NULL;
    char name[160];

    if (!t->recording)
        return;
    /* HTTP semantic conventions: "{method} {route}", or the method alone without a route */
    snprintf(name, sizeof(name), "%.*s%s%s", (int)(req->method.len < 16 ? req->method.len : 16), req->method.base,
             route != NULL ? " " : "", route != NULL ? route : "");
    trace_span_t *s = trace_span_create(name, TRACE_KIND_SERVER);
    memcpy(s->trace_id, t->trace_id, TRACE_ID_BYTES);
    memcpy(s->span_id, t->span_id, TRACE_SPAN_ID_BYTES);
    if (t->has_parent) {
        s->has_parent = true;
        memcpy(s->parent_span_id, t->parent.span_id, TRACE_SPAN_ID_BYTES);
        if (t->state.len > 0)
            s->trace_state = core_strndup(t->state.base, t->state.len);
    }
    s->start_unix_ns = t->start_unix_ns;
    s->end_unix_ns = t->start_unix_ns + (core_clock_mono_ns() - x->started_ns);
    trace_span_attr_str(s, "http.request.method", core_str(req->method.base, req->method.len));
    if (route != NULL)
        trace_span_attr_str(s, "http.route", core_str_c(route));
    trace_span_attr_int(s, "http.response.status_code", status);
    /* the path without its query string, which may hold search text or a cursor */
    trace_span_attr_str(s, "url.path", core_str(req->path_normalized.base, req->path_normalized.len));
    trace_span_attr_str(s, "url.scheme", core_str_c(req->scheme == &H2O_URL_SCHEME_HTTPS ? "https" : "http"));
    trace_span_attr_str(s, "client.address", core_str_c(x->api.client_ip));
    if (x->api.authenticated)
        trace_span_attr_str(s, "enduser.id", core_str_c(x->api.claims.user_id));
    trace_span_attr_str(s, "http.request.id", core_str_c(x->request_id));
    /* a 5xx is the server's failure (a 4xx is the client's: status stays unset, as the conventions say);
     * judged by the error's own status, so ERROR_STATUS=legacy's 200 for an error changes nothing */
    if (x->code != CORE_OK && core_error_status(x->code) >= 500) {
        const char *type = core_error_name(x->code);
        trace_span_attr_str(s, "error.type", core_str_c(type));
        const char *detail = x->api.cfg->env == CORE_ENV_PRODUCTION && x->code == CORE_E_INTERNAL ? NULL : x->api.message;
        trace_span_fail(s, type, detail != NULL ? detail : core_error_message(x->code), s->end_unix_ns);
    }
    trace_export_submit(s);
}
