/*
 * This file implements the request pipeline: the one function h2o calls for
 * every request, http_request_handle(), reads top to bottom in the order of
 * nginx's phases:
 *
 *   framing -> head checks -> route -> token check (access) -> rate limit ->
 *   JSON body -> Idempotency-Key (idempotency.c) ->
 *   handler (content, inline or on a worker; skipped for a replay) ->
 *   response, access log, counters (log)
 *
 * The token check comes before the rate limit so that only a verified,
 * unrevoked session is counted per account (a user id read from any other
 * token could spend a victim's quota); its refusal (401) waits until the
 * request is counted, so requests without a session are limited per client
 * address like any other. The body is parsed only once the request counted.
 *
 * Each phase is a small function below returning CORE_OK or the error that
 * ends the request; http_exchange_respond() turns that code into the answer.
 */
#include "http/request.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "api/effects.h"
#include "auth/jwt.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/fiber.h"
#include "core/log.h"
#include "core/mem.h"
#include "http/cookie.h"
#include "http/cors.h"
#include "http/forwarded.h"
#include "http/framing.h"
#include "http/idempotency.h"
#include "core/metrics.h"
#include "http/ratelimit.h"
#include "http/router.h"
#include "http/workers.h"
#include "http/writer.h"
#include "mail/outbox.h"

static h2o_iovec_t find_header(h2o_req_t *req, const h2o_token_t *token)
{
    ssize_t i = h2o_find_header(&req->headers, token, -1);
    return i >= 0 ? req->headers.entries[i].value : h2o_iovec_init(NULL, 0);
}

static h2o_iovec_t find_header_str(h2o_req_t *req, const char *name, size_t len)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, name, len, -1);
    return i >= 0 ? req->headers.entries[i].value : h2o_iovec_init(NULL, 0);
}

static core_str_t slice(h2o_iovec_t v)
{
    return core_str(v.base, v.len);
}

static void json_decref_cb(void *json)
{
    json_decref(json);
}

void http_request_id_assign(h2o_req_t *req, int64_t now_ms, char out[HTTP_REQUEST_ID_SIZE])
{
    h2o_iovec_t v = find_header_str(req, H2O_STRLIT("x-request-id"));
    bool ok = v.len > 0 && v.len < HTTP_REQUEST_ID_SIZE;

    for (size_t k = 0; ok && k < v.len; k++) {
        char c = v.base[k];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
             c == '.' || c == ':';
    }
    if (ok) {
        memcpy(out, v.base, v.len);
        out[v.len] = '\0';
    } else {
        core_uuid_v7(now_ms, out);
    }
}

/* h2o disposes of the request's pool (loop thread): the exchange, if it is
 * still waiting for its answer, must not send one. */
static void on_req_disposed(void *p)
{
    http_exchange_t **alive = p;

    if (*alive != NULL) {
        (*alive)->req = NULL;
        (*alive)->alive = NULL;
    }
}

static http_exchange_t *exchange_create(http_thread_t *t, h2o_req_t *req)
{
    http_exchange_t *x = core_calloc(1, sizeof(*x));
    struct sockaddr_storage peer;
    socklen_t peerlen = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&peer);

    x->req = req;
    x->alive = h2o_mem_alloc_shared(&req->pool, sizeof(*x->alive), on_req_disposed);
    *x->alive = x;
    x->thread = t;
    x->started_ns = core_clock_mono_ns();
    core_pool_init(&x->pool);
    x->api.pool = &x->pool;
    x->api.cfg = t->cfg;
    x->api.kv = t->kv;
    x->api.store = t->store;
    x->api.now_ms = core_clock_now_ms();
    x->api.client_ip = http_client_ip(&x->pool, t->cfg, peerlen > 0 ? (struct sockaddr *)&peer : NULL,
                                      slice(find_header(req, H2O_TOKEN_X_FORWARDED_FOR)));
    http_request_id_assign(x->req, x->api.now_ms, x->request_id);
    x->api.request_id = x->request_id;
    x->log.request_id = x->request_id;
    http_trace_begin(&x->trace, req, t->cfg);
    x->log.trace_id = x->trace.trace_hex;
    x->log.span_id = x->trace.span_hex;
    x->log.trace = x->trace.recording ? &x->trace.scope : NULL; /* parent of the child spans */
    h2o_iovec_t origin = find_header_str(req, H2O_STRLIT("origin"));
    x->origin = origin.len ? http_cors_origin(t->cfg, slice(origin)) : NULL;
    return x;
}

/* A body whose length the head gives in two ways: 400, and the connection
 * closes after it (framing.c). First, before OPTIONS is answered too. */
static int phase_check_framing(http_exchange_t *x)
{
    const char *why = NULL;
    int rc = http_framing_check(x->req, &why);

    return rc == CORE_OK ? CORE_OK : api_fail(&x->api, rc, "%s", why);
}

/* Refuse heads larger than HEADER_LIMIT (h2o's own ceiling is far higher). */
static int phase_check_head(http_exchange_t *x)
{
    size_t total = x->req->input.path.len;
    for (size_t i = 0; i < x->req->headers.size; i++)
        total += x->req->headers.entries[i].name->len + x->req->headers.entries[i].value.len + 4;
    return total > x->api.cfg->header_limit ? CORE_E_HEADERS_TOO_LARGE : CORE_OK;
}

/* OPTIONS: a CORS preflight (or a client asking what a path allows). */
static bool is_preflight(http_exchange_t *x)
{
    return core_str_eq(slice(x->req->method), CORE_STR_LIT("OPTIONS"));
}

static int phase_preflight(http_exchange_t *x)
{
    http_route_match_t m;

    http_route_find(api_routes, api_routes_len, x->thread->services, 0, slice(x->req->path_normalized), &m);
    if (m.allowed == 0)
        return CORE_E_NOT_FOUND;
    x->allowed = m.allowed;
    x->api.status = 204;
    return CORE_OK;
}

static int phase_find_route(http_exchange_t *x)
{
    h2o_req_t *req = x->req;
    core_str_t method = slice(req->method), path = slice(req->path_normalized);
    http_route_match_t m;
    unsigned mbit = core_str_eq(method, CORE_STR_LIT("HEAD")) ? API_GET : http_method_parse(method);

    http_route_find(api_routes, api_routes_len, x->thread->services, mbit, path, &m);
    if (m.route == NULL) {
        x->allowed = m.allowed;
        return m.allowed != 0 ? CORE_E_METHOD_NOT_ALLOWED : CORE_E_NOT_FOUND;
    }
    x->api.route = m.route;
    x->log.route = m.route->name;
    x->api.method = mbit;
    memcpy(x->api.params, m.params, sizeof(m.params));
    if (req->query_at != SIZE_MAX)
        x->api.query = core_str(req->path.base + req->query_at + 1, req->path.len - req->query_at - 1);
    if (m.route->handler == api_metrics) /* the one route that negotiates its format */
        x->api.accept = slice(find_header(req, H2O_TOKEN_ACCEPT));

    /* A state-changing request from a page of another site, with cookies: refuse (CSRF). */
    h2o_iovec_t origin = find_header_str(req, H2O_STRLIT("origin"));
    if (mbit != API_GET && origin.len > 0 && x->origin == NULL &&
        !http_cors_same_host(slice(origin), slice(req->authority))) /* h2o moves Host here */
        return CORE_E_FORBIDDEN;
    return CORE_OK;
}

static int phase_rate_limit(http_exchange_t *x)
{
    enum api_rate rate = x->api.route != NULL ? x->api.route->rate : API_RATE_NONE;

    /* like app.use('/api/', limiter): unknown paths under /api/ count too */
    if (x->api.route == NULL && core_str_has_prefix(slice(x->req->path_normalized), CORE_STR_LIT("/api/")))
        rate = API_RATE_API;
    return http_ratelimit_check(x, x->thread->kv, rate);
}

static bool is_json_type(core_str_t ct)
{
    if (ct.len == 0)
        return false;
    const char *semi = memchr(ct.base, ';', ct.len);
    core_str_t type = core_str_trim(core_str(ct.base, semi ? (size_t)(semi - ct.base) : ct.len));
    return core_str_eq_nocase(type, CORE_STR_LIT("application/json"));
}

static int phase_read_body(http_exchange_t *x)
{
    h2o_req_t *req = x->req;
    json_error_t err;

    if (!x->api.route->json_body)
        return CORE_OK;
    if (req->entity.base == NULL || req->entity.len == 0) {
        x->api.body = json_object(); /* no body at all reads as {} (then "Missing Details") */
    } else {
        if (!is_json_type(slice(find_header(req, H2O_TOKEN_CONTENT_TYPE))))
            return CORE_E_UNSUPPORTED_MEDIA_TYPE;
        x->api.body = json_loadb(req->entity.base, req->entity.len, JSON_REJECT_DUPLICATES, &err);
        if (x->api.body == NULL)
            return api_fail(&x->api, CORE_E_INVALID_JSON, "Malformed JSON body: %s (line %d, column %d)", err.text,
                            err.line, err.column);
    }
    core_pool_defer(&x->pool, json_decref_cb, x->api.body);
    if (!json_is_object(x->api.body))
        return api_fail(&x->api, CORE_E_INVALID_JSON, "Request body must be a JSON object");
    return CORE_OK;
}

/* The tokens a request presents, at most max of them into out: the one of
 * "Authorization: Bearer ...", then each `token` cookie of each Cookie
 * header, in order. The first is the session's token (with max 1, the Bearer
 * token if there is one, else the first cookie); logout revokes them all.
 * Returns how many. */
static size_t find_tokens(h2o_req_t *req, core_str_t *out, size_t max)
{
    core_str_t auth = slice(find_header(req, H2O_TOKEN_AUTHORIZATION));
    size_t n = 0;

    if (n < max && auth.len > 7 && core_str_eq_nocase(core_str(auth.base, 7), CORE_STR_LIT("Bearer ")))
        out[n++] = core_str_trim(core_str(auth.base + 7, auth.len - 7));
    for (ssize_t i = -1; n < max && (i = h2o_find_header(&req->headers, H2O_TOKEN_COOKIE, i)) >= 0;) {
        core_str_t rest = slice(req->headers.entries[i].value), token;
        while (n < max && http_cookie_find(rest, CORE_STR_LIT(HTTP_COOKIE_NAME), &token)) {
            out[n++] = token;
            const char *end = rest.base + rest.len, *next = token.base + token.len; /* inside its item */
            rest = core_str(next, (size_t)(end - next));
        }
    }
    return n;
}

/* "Authorization: Bearer METRICS_TOKEN", compared in constant time, length
 * included: the BLAKE2b digests of both are what sodium_memcmp compares. */
static bool metrics_token_ok(http_exchange_t *x)
{
    const char *want = x->api.cfg->metrics_token;
    core_str_t auth = slice(find_header(x->req, H2O_TOKEN_AUTHORIZATION));
    unsigned char got_hash[crypto_generichash_BYTES], want_hash[crypto_generichash_BYTES];

    if (want == NULL || auth.len <= 7 || !core_str_eq_nocase(core_str(auth.base, 7), CORE_STR_LIT("Bearer ")))
        return false;
    core_str_t got = core_str_trim(core_str(auth.base + 7, auth.len - 7));
    crypto_generichash(got_hash, sizeof(got_hash), (const unsigned char *)got.base, got.len, NULL, 0);
    crypto_generichash(want_hash, sizeof(want_hash), (const unsigned char *)want, strlen(want), NULL, 0);
    return sodium_memcmp(got_hash, want_hash, sizeof(got_hash)) == 0;
}

/* A session is a token that verifies, is not revoked, and names an account
 * that still exists: a row deleted behind our back (an operator, another
 * program) ends its sessions here, before any handler could hit the foreign
 * key. The existence check is one primary-key probe, made only for a token
 * that passed the others. */
static int phase_authenticate(http_exchange_t *x)
{
    const core_config_t *cfg = x->api.cfg;
    enum api_auth mode = x->api.route->auth;
    bool revoked = true, exists = false;

    if (mode == API_AUTH_NONE)
        return CORE_OK;
    if (mode == API_AUTH_METRICS)
        return metrics_token_ok(x) ? CORE_OK : CORE_E_NOT_FOUND;
    /* logout revokes every token presented; other routes need the first */
    x->api.ntokens = find_tokens(x->req, x->api.tokens, mode == API_AUTH_OPTIONAL ? API_TOKENS_MAX : 1);
    core_str_t token = x->api.ntokens > 0 ? x->api.tokens[0] : CORE_STR_NULL;
    int rc = CORE_OK;
    if (token.len == 0 ||
        auth_jwt_verify_rotating(cfg->jwt_secret, cfg->jwt_secret_len, cfg->jwt_secret_previous,
                                 cfg->jwt_secret_previous_len, token, x->api.now_ms, &x->api.claims) != CORE_OK)
        goto out;
    x->log.user_id = x->api.claims.user_id; /* signed by us: the log lines of the checks below name it */
    if ((rc = api_token_revoked(x->thread->kv, x->api.store, &x->api.claims, &revoked)) == CORE_OK &&
        !revoked && (rc = store_user_exists(x->api.store, x->api.claims.user_id, &exists)) == CORE_OK && exists)
        x->api.authenticated = true;
out:
    if (x->api.authenticated || mode != API_AUTH_REQUIRED)
        return CORE_OK;
    /* a valid token that could not be checked (revocation, account): 503 (or 500), not a logout */
    return rc != CORE_OK ? rc : CORE_E_NOT_AUTHORIZED;
}

void http_exchange_detach(http_exchange_t *x)
{
    for (size_t i = 0; i < API_MAX_PARAMS; i++)
        if (x->api.params[i].base != NULL)
            x->api.params[i].base = core_pool_strndup(&x->pool, x->api.params[i].base, x->api.params[i].len);
    if (x->api.query.base != NULL)
        x->api.query.base = core_pool_strndup(&x->pool, x->api.query.base, x->api.query.len);
}

void http_exchange_run_handler(http_exchange_t *x, store_t *store)
{
    x->api.store = store;
    x->code = x->api.route->handler(&x->api);
    if (x->api.reply != NULL)
        core_pool_defer(&x->pool, json_decref_cb, x->api.reply);
    if (x->api.mail_queued)
        mail_outbox_wake();
}

/* The access phases in order; the first failure ends them, except that a
 * failed route or token check answers only after the rate limit counted the
 * request (so probing unknown /api/ paths, or sending bad tokens, counts). */
static int run_access_phases(http_exchange_t *x)
{
    int rc, limited;

    if ((rc = phase_check_head(x)) != CORE_OK)
        return rc;
    if ((rc = phase_find_route(x)) == CORE_OK)
        rc = phase_authenticate(x);
    if ((limited = phase_rate_limit(x)) != CORE_OK)
        return limited;
    if (rc != CORE_OK)
        return rc;
    if ((rc = phase_read_body(x)) != CORE_OK)
        return rc;
    return http_idempotency_begin(x); /* after the token check (keys are per user) and the count */
}

/* Give x to the task writer (group commit), detached first; false when the
 * writer does not take it (off, stopping, full): the caller runs it. */
static bool hand_to_writer(http_exchange_t *x)
{
    http_exchange_detach(x);
    return http_writer_submit(x) == CORE_OK;
}

/* The phases of one exchange, from framing to the answer. On a loop that
 * runs requests on fibers (PostgreSQL or Redis), this is a fiber, and the
 * store and kv calls of any phase may suspend it while the loop serves
 * others. */
/* A GET on a loop without fibers (SQLite, nothing that waits on the
 * network): its access checks and handler read in one transaction
 * (store_snapshot_begin). Not on fibers: a transaction must not stay open
 * while a fiber waits. */
static bool snapshot_begin(http_exchange_t *x)
{
    return !x->thread->fibers && h2o_memis(x->req->method.base, x->req->method.len, H2O_STRLIT("GET")) &&
           store_snapshot_begin(x->thread->store);
}

static void exchange_run(void *arg)
{
    http_exchange_t *x = arg;
    bool snapshot = false;
    int rc;

    core_log_context_set(&x->log);
    if ((rc = phase_check_framing(x)) == CORE_OK && !is_preflight(x)) {
        snapshot = snapshot_begin(x);
        rc = run_access_phases(x);
        /* the handler runs elsewhere (a worker, the writer) or not at all */
        if (snapshot && (rc != CORE_OK || x->idem.replayed || x->api.route->slow || x->api.route->batched)) {
            store_snapshot_end(x->thread->store);
            snapshot = false;
        }
    }
    if (rc != CORE_OK) {
        x->code = rc;
    } else if (is_preflight(x)) {
        x->code = phase_preflight(x);
    } else if (x->idem.replayed) {
        x->code = CORE_OK; /* the stored answer of this Idempotency-Key is the reply */
    } else if (x->api.route->slow) {
        http_exchange_detach(x);
        if (http_workers_submit(x) == CORE_OK) {
            core_log_context_set(NULL);
            return; /* the worker posts x back to this loop: see http_request_on_done */
        }
        x->code = CORE_E_UNAVAILABLE;
    } else if (x->api.route->batched && hand_to_writer(x)) {
        core_log_context_set(NULL);
        return; /* the writer posts x back once its batch committed (writer.h) */
    } else {
        http_exchange_run_handler(x, x->thread->store);
        if (snapshot)
            store_snapshot_end(x->thread->store);
    }
    http_exchange_respond(x);
}

int http_request_handle(h2o_handler_t *self, h2o_req_t *req)
{
    http_thread_t *t = H2O_STRUCT_FROM_MEMBER(http_thread_t, ctx, req->conn->ctx);
    http_exchange_t *x = exchange_create(t, req);

    (void)self;
    t->inflight++;
    core_metrics_request_begin();
    if (t->fibers)
        core_fiber_start(exchange_run, x); /* returns when it ends or first waits */
    else
        exchange_run(x); /* SQLite and in-process kv: nothing waits on the network */
    return 0;
}

static void respond_run(void *arg)
{
    http_exchange_t *x = arg;
    http_exchange_respond(x);
}

void http_request_on_done(h2o_multithread_receiver_t *receiver, h2o_linklist_t *messages)
{
    (void)receiver;
    while (!h2o_linklist_is_empty(messages)) {
        h2o_multithread_message_t *msg = H2O_STRUCT_FROM_MEMBER(h2o_multithread_message_t, link, messages->next);
        h2o_linklist_unlink(&msg->link);
        http_exchange_t *x = (http_exchange_t *)msg;
        if (x->thread->fibers)
            core_fiber_start(respond_run, x); /* the answer's phases may wait for the network too */
        else
            http_exchange_respond(x);
    }
}
