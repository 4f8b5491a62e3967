/*
 * What a handler sees of a request, and the route table that says which
 * handler runs for which method and path. The HTTP layer (src/http/) fills an
 * api_req_t, runs the pipeline phases the route asks for (rate limit, token
 * check, JSON body), calls the handler, and turns its return code into the
 * response: handlers never see h2o and never write status codes.
 *
 * A handler returns CORE_OK after optionally setting `status` (201) and
 * `reply` (a JSON object; NULL means {"success":true}) or a JSON text it
 * wrote (api_reply_raw), or a CORE_E_* code, optionally with `message`
 * replacing the table's text for a more precise error ("title must be at
 * most 200 characters"). The body of every answer carries "success". A
 * handler runs on one thread from start to end: an event-loop thread, or a
 * worker thread when the route is marked slow.
 */
#ifndef API_API_H
#define API_API_H

#include <jansson.h>
#include <stdbool.h>

#include "auth/jwt.h"
#include "core/config.h"
#include "core/pool.h"
#include "core/str.h"
#include "kv/kv.h"
#include "store/store.h"
#include "trace/scope.h"

#define API_MAX_PARAMS 2
#define API_TOKENS_MAX 4 /* tokens a logout looks at: the Bearer one and `token` cookies */

enum api_method {
    API_GET = 1 << 0,
    API_POST = 1 << 1,
    API_PUT = 1 << 2,
    API_PATCH = 1 << 3,
    API_DELETE = 1 << 4,
};

enum api_auth {
    API_AUTH_NONE = 0, /* public; a token is not even looked at */
    API_AUTH_OPTIONAL, /* public, but a valid token is recognised (logout revokes it) */
    API_AUTH_REQUIRED, /* 401 "Not Authorized. Login Again" without a valid token */
    API_AUTH_ASK,      /* is-auth: no token is an answer for the handler, not an error */
    API_AUTH_METRICS,  /* "Authorization: Bearer METRICS_TOKEN", else 404 as if the route did not exist */
};

/* Which limits of src/http/ratelimit.h count a route's requests. */
enum api_rate {
    API_RATE_NONE = 0,   /* not rate limited (health, static files) */
    API_RATE_API,        /* the /api/ limit (per IP, or per account with a session) */
    API_RATE_AUTH,       /* credential endpoints: the /api/ limit and the failed-attempts limit */
    API_RATE_COUNT_ONLY, /* counted against the /api/ limit but never refused (logout: signing out always works) */
};

enum api_service {
    API_SERVICE_CORE = 1 << 0, /* health, root: every process answers */
    API_SERVICE_AUTH = 1 << 1,
    API_SERVICE_USER = 1 << 2,
    API_SERVICE_TASKS = 1 << 3,
    API_SERVICE_METRICS = 1 << 4, /* GET /metrics on the public port: only when METRICS_TOKEN is set */
};

typedef struct api_req api_req_t;
typedef int (*api_handler_cb)(api_req_t *req);

/* A job a handler leaves for after its answer (api_req_t.job). It runs on a
 * worker thread with that thread's own store session, so nothing it does
 * (look-ups that differ by account, writes, mail) shows in the answer or in
 * its timing. Fire and forget: a full queue drops it (logged, counted in
 * worker_jobs_dropped_total), and the answer does not change. A job is one
 * heap block without pointers into the request: only the pointers below,
 * which outlive every request. */
#define API_JOB_ARG_MAX 254    /* API_EMAIL_MAX, api/input.h */
#define API_JOB_REQUEST_ID 129 /* HTTP_REQUEST_ID_SIZE, http/exchange.h */

typedef struct api_job api_job_t;
typedef void (*api_job_cb)(const api_job_t *job, store_t *store);

struct api_job {
    api_job_cb run;             /* on a worker thread; the job is freed after it */
    const char *name;           /* for logs ("send-reset-otp"), static */
    const core_config_t *cfg;
    kv_t *kv;
    int64_t now_ms;                       /* the request's time */
    char request_id[API_JOB_REQUEST_ID]; /* the request's, on the job's log lines */
    char trace_id[33];                    /* the request's trace and span ids (hex), on them too; */
    char span_id[17];                     /* set by the HTTP layer when it queues the job */
    bool traced;                          /* the request was recorded: the job's work is a child of */
    trace_scope_t trace;                  /* its span (trace/scope.h), set by the HTTP layer too */
    char arg[API_JOB_ARG_MAX + 1];        /* the job's input (an email), NUL-terminated */
};

typedef struct api_route {
    unsigned methods;   /* API_GET | ... */
    const char *path;   /* "/api/tasks/:id": segments starting with ':' are parameters */
    const char *name;   /* route template for logs and metrics (== path) */
    api_handler_cb handler;
    enum api_auth auth;
    enum api_rate rate;
    bool json_body;     /* a JSON object body is expected (415/400 otherwise) */
    bool slow;          /* runs on the worker pool (password hashing) */
    enum api_service service;
    bool batched;       /* a task write: committed in a group on SQLite (http/writer.h) */
} api_route_t;

struct api_req {
    /* request */
    core_pool_t *pool;
    const api_route_t *route;
    const core_config_t *cfg;
    store_t *store; /* this thread's session */
    kv_t *kv;
    unsigned method;
    const char *client_ip;
    const char *request_id;
    core_str_t params[API_MAX_PARAMS];
    core_str_t query; /* after '?', undecoded */
    core_str_t accept; /* the Accept header (content negotiation: /metrics), or empty */
    json_t *body;     /* JSON object when route->json_body, else NULL */
    auth_claims_t claims;
    bool authenticated; /* claims are valid, not revoked, and the account exists */
    core_str_t tokens[API_TOKENS_MAX]; /* tokens presented (the first is claims'), all of them for
                                          API_AUTH_OPTIONAL routes; slices of the request */
    size_t ntokens;
    int64_t now_ms;     /* wall clock when the request arrived */

    /* response */
    int status;          /* success status; 200 unless set */
    json_t *reply;       /* owned by the request once set */
    const char *reply_text; /* body sent as is instead of reply (GET /, a written JSON text) */
    const char *reply_type; /* Content-Type of reply_text; NULL for text/html */
    size_t reply_len;       /* length of reply_text; 0 means up to its NUL */
    const char *message; /* error message override */
    int64_t retry_after_ms; /* with CORE_E_RATE_LIMITED from a handler: the Retry-After to send */
    const char *set_token; /* sign-in: send this token as the cookie */
    bool clear_token;      /* sign-out: expire the cookie */
    bool mail_queued;      /* the outbox has new mail: wake the sender */
    api_job_t *job;        /* heap (core_calloc), set by a handler that wants it run after the answer:
                              the HTTP layer queues or drops it, and frees it either way */
};

/* The route table (src/api/routes.c) and its length. */
extern const api_route_t api_routes[];
extern const size_t api_routes_len;

/* Set req->reply, taking ownership of obj (freed with the request). */
void api_reply(api_req_t *req, json_t *obj);

/* Reply with a JSON text written by the handler (api/json_out.h) instead of
 * a jansson value: body (len bytes, kept alive by the request's pool or
 * longer) is sent as is with the JSON Content-Type. */
void api_reply_raw(api_req_t *req, const char *body, size_t len);

/* Return code after setting a precise message (copied into the pool; cut
 * at 511 bytes, on a character boundary). */
int api_fail(api_req_t *req, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Sign a session token for user_id and arrange for the cookie to be set. */
int api_session_start(api_req_t *req, const char *user_id);

/* Handlers, one file per resource. */
int api_root(api_req_t *req);
int api_health(api_req_t *req);
int api_health_live(api_req_t *req);
int api_health_ready(api_req_t *req);
int api_metrics(api_req_t *req);
int api_auth_register(api_req_t *req);
int api_auth_login(api_req_t *req);
int api_auth_logout(api_req_t *req);
int api_auth_send_verify_otp(api_req_t *req);
int api_auth_verify_account(api_req_t *req);
int api_auth_is_auth(api_req_t *req);
int api_auth_send_reset_otp(api_req_t *req);
int api_auth_reset_password(api_req_t *req);
int api_user_data(api_req_t *req);
int api_user_export(api_req_t *req);
int api_user_delete(api_req_t *req);
int api_tasks_list(api_req_t *req);
int api_tasks_create(api_req_t *req);
int api_tasks_stats(api_req_t *req);
int api_tasks_get(api_req_t *req);
int api_tasks_update(api_req_t *req);
int api_tasks_delete(api_req_t *req);
int api_tasks_restore(api_req_t *req);
int api_tasks_trash(api_req_t *req);

/* api/trash.c: purge a batch of tasks in the trash past TRASH_RETENTION_MS
 * when due (at most every hour, or at once while batches come back full);
 * one loop thread at a time takes the turn, the others return at once. A
 * failure is logged and waits for the next turn. Event-loop threads. */
void api_trash_purge_if_due(api_req_t *req);

#endif
