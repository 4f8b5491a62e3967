/*
 * This file implements the last phases of an exchange: turning the result
 * code into status and JSON body (through the error table), adding the
 * headers every answer carries (request id, security, CORS, rate limit,
 * session cookie), storing it for replays when the request holds an
 * Idempotency-Key (idempotency.c), sending it, then the log phase: access
 * log, metrics, rate-limit settlement, freeing the exchange.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "http/access_log.h"
#include "http/cookie.h"
#include "http/exchange.h"
#include "http/http.h"
#include "http/idempotency.h"
#include "http/ratelimit.h"
#include "http/router.h"
#include "http/workers.h"

_Static_assert(sizeof(((api_job_t *)0)->trace_id) == TRACE_ID_HEX &&
                   sizeof(((api_job_t *)0)->span_id) == TRACE_SPAN_ID_HEX,
               "a job carries the request's trace ids as hex");

static const char *reason(int status)
{
    switch (status) {
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 422: return "Unprocessable Content";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
    default: return "Unknown";
    }
}

static void add(h2o_req_t *req, const h2o_token_t *token, const char *value)
{
    h2o_add_header(&req->pool, &req->res.headers, token, NULL, value, strlen(value));
}

static void add_str(h2o_req_t *req, const char *name, const char *value)
{
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, strlen(name), 0, NULL, value, strlen(value));
}

static void add_num(h2o_req_t *req, const char *name, long long n)
{
    char *v = h2o_mem_alloc_pool(&req->pool, 24);
    snprintf(v, 24, "%lld", n);
    add_str(req, name, v);
}

/* The JSON body of an error: {"success":false,"message":...}, plus the
 * request id on 5xx so a user's report can be matched to the log line.
 * Never NULL: a message jansson refuses (not UTF-8) gives way to the
 * table's own, so no error goes out without its body. */
static json_t *error_body(http_exchange_t *x, int status)
{
    const char *msg = x->api.message != NULL ? x->api.message : core_error_message(x->code);
    json_t *body;

    if (x->code == CORE_E_INTERNAL && x->api.cfg->env == CORE_ENV_PRODUCTION)
        msg = core_error_message(CORE_E_INTERNAL); /* details stay in the log */
    body = json_pack("{s:b, s:s}", "success", 0, "message", msg);
    if (body == NULL) {
        log_error("error message is not valid UTF-8: sending the table's", LOG_STR("error", core_error_name(x->code)));
        body = json_pack("{s:b, s:s}", "success", 0, "message", core_error_message(x->code));
    }
    if (x->code == CORE_E_RATE_LIMITED && x->rate.refused_by != NULL)
        json_object_set_new(body, "limit", json_string(x->rate.refused_by));
    if (status >= 500)
        json_object_set_new(body, "requestId", json_string(x->request_id));
    return body;
}

static void add_common_headers(http_exchange_t *x, int status)
{
    h2o_req_t *req = x->req;
    const core_config_t *cfg = x->api.cfg;
    char *allow = h2o_mem_alloc_pool(&req->pool, 64); /* h2o keeps the pointer until sent */

    add_str(req, "x-request-id", x->request_id);
    http_trace_add_header(&x->trace, req);
    add_str(req, "x-content-type-options", "nosniff");
    add_str(req, "referrer-policy", "no-referrer");
    add_str(req, "x-frame-options", "DENY");
    add_str(req, "content-security-policy", "default-src 'none'; frame-ancestors 'none'");
    add(req, H2O_TOKEN_CACHE_CONTROL, "no-store");
    if (cfg->env == CORE_ENV_PRODUCTION)
        add(req, H2O_TOKEN_STRICT_TRANSPORT_SECURITY, "max-age=31536000; includeSubDomains");
    /* merged into a Vary the web app handler set (static.c: "/" differs by Accept) */
    h2o_set_header_token(&req->pool, &req->res.headers, H2O_TOKEN_VARY, H2O_STRLIT("Origin"));
    if (x->origin != NULL) {
        add(req, H2O_TOKEN_ACCESS_CONTROL_ALLOW_ORIGIN, x->origin);
        add_str(req, "access-control-allow-credentials", "true");
        add_str(req, "access-control-expose-headers",
                "RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After, X-Request-Id, "
                "Idempotent-Replayed, traceparent");
        if (x->api.status == 204 && x->code == CORE_OK) {
            add_str(req, "access-control-allow-methods", http_methods_format(x->allowed, allow, 64));
            add_str(req, "access-control-allow-headers",
                    "Content-Type, Authorization, X-Request-Id, Idempotency-Key, traceparent, tracestate");
            add_str(req, "access-control-max-age", "600");
        }
    }
    if (x->allowed != 0 && (status == 405 || status == 204))
        add(req, H2O_TOKEN_ALLOW, http_methods_format(x->allowed, allow, 64));
    if (x->rate.applied) {
        long long reset_s = (x->rate.reset_ms + 999) / 1000;
        add_num(req, "ratelimit-limit", x->rate.limit);
        add_num(req, "ratelimit-remaining", x->rate.remaining);
        add_num(req, "ratelimit-reset", reset_s);
    }
    /* the limiter's retry time, or a handler's own limit (send-verify-otp's throttle) */
    int64_t retry_ms = x->api.retry_after_ms > 0 ? x->api.retry_after_ms : x->rate.retry_after_ms;
    if (retry_ms > 0 && x->code != CORE_OK)
        add_num(req, "retry-after", (retry_ms + 999) / 1000);
    if (http_server_draining())
        req->http1_is_persistent = 0; /* shutting down: this connection ends with this answer */
    if (x->api.set_token != NULL || x->api.clear_token)
        add(req, H2O_TOKEN_SET_COOKIE, http_cookie_session(&x->pool, cfg, x->api.set_token));
}

/* The end of x: its request (if h2o still has it) no longer points back. */
static void exchange_free(http_exchange_t *x)
{
    core_log_context_set(NULL);
    if (x->alive != NULL)
        *x->alive = NULL;
    x->thread->inflight--;
    core_pool_cleanup(&x->pool);
    free(x);
}

void http_exchange_respond(http_exchange_t *x)
{
    h2o_req_t *req = x->req;
    int status;
    json_t *body = NULL;
    char *dumped = NULL; /* json_dumps' text, freed here */
    const char *text = NULL, *ctype = NULL;
    size_t len = 0;

    core_log_context_set(&x->log); /* back from a worker, or still the loop's */
    if (x->code == CORE_OK) {
        status = x->api.status != 0 ? x->api.status : 200;
        if (x->api.reply_text != NULL) /* sent as is: h2o_send_inline copies it */
            text = x->api.reply_text;
        else if (status != 204)
            body = x->api.reply != NULL ? json_incref(x->api.reply) : json_pack("{s:b}", "success", 1);
    } else {
        status = core_error_status(x->code);
        body = error_body(x, status);
        if (x->api.cfg->error_status == CORE_ERROR_STATUS_LEGACY)
            status = core_error_status_legacy(x->code);
        if (status >= 500 || x->code == CORE_E_INTERNAL)
            log_error("request failed", LOG_STR("error", core_error_name(x->code)), LOG_STR("detail", x->api.message));
    }
    if (body != NULL) {
        text = dumped = json_dumps(body, JSON_COMPACT);
        json_decref(body);
        ctype = "application/json; charset=utf-8";
        len = text != NULL ? strlen(text) : 0;
    } else if (text != NULL) {
        ctype = x->api.reply_type != NULL ? x->api.reply_type : "text/html; charset=utf-8";
        len = x->api.reply_len != 0 ? x->api.reply_len : strlen(text);
    }

    http_idempotency_end(x, status, text, len); /* stored before sent: a client with the answer finds it */
    if (req == NULL) { /* h2o let the request go (its connection closed): nobody to answer */
        log_warn("request gone before its answer; answer dropped", LOG_INT("status", status));
        free(dumped);
        http_ratelimit_settle(x, x->thread->kv);
        exchange_free(x);
        return;
    }
    if (ctype != NULL)
        add(req, H2O_TOKEN_CONTENT_TYPE, ctype);
    req->res.status = status;
    req->res.reason = reason(status);
    add_common_headers(x, status);
    req->res.content_length = len; /* else h2o sends chunked, and closes after errors */
    /* counted before a byte is written: a client holding its answer finds it
     * in the next scrape */
    http_access_log_request(&x->thread->access_log, req,
                            &(http_access_log_entry_t){.client_ip = x->api.client_ip,
                                                       .request_id = x->request_id,
                                                       .trace_id = x->trace.trace_hex,
                                                       .span_id = x->trace.span_hex,
                                                       .exemplar_trace_id =
                                                           x->trace.recording ? x->trace.trace_id : NULL,
                                                       .route = x->log.route,
                                                       .status = status,
                                                       .body_len = len,
                                                       .started_ns = x->started_ns});
    h2o_send_inline(req, text != NULL ? text : "", len);
    free(dumped);
    if (x->api.job != NULL) { /* after the answer, which must not depend on it */
        memcpy(x->api.job->trace_id, x->trace.trace_hex, sizeof(x->api.job->trace_id));
        memcpy(x->api.job->span_id, x->trace.span_hex, sizeof(x->api.job->span_id));
        x->api.job->traced = x->trace.recording;
        x->api.job->trace = x->trace.scope;
        http_workers_post(x->api.job);
    }

    http_ratelimit_settle(x, x->thread->kv);
    http_trace_finish(x, status);
    exchange_free(x);
}
