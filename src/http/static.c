/*
 * This file implements the web app's file serving (static.h). It decides
 * only which requests are the web app's and which cache policy applies; the
 * serving itself is h2o's file handler (lib/handler/file.c), which does
 * ETag/If-None-Match and Last-Modified/If-Modified-Since (304), HEAD, ranges
 * and, with H2O_FILE_FLAG_SEND_COMPRESSED, picks a precompressed .br or .gz
 * variant by Accept-Encoding (adding Vary: accept-encoding). Two of them live
 * on private path configurations: one over WEB_DIR for files, one bound to
 * index.html for client routes. Our handler runs first on "/" and calls one
 * of them, or returns -1 so the API handler after it answers (h2o tries a
 * path's handlers in order until one takes the request).
 *
 * Paths come from h2o's path_normalized (percent-decoded, dot segments
 * removed); a path with any segment starting with '.', a NUL or a backslash
 * is still refused, so nothing outside WEB_DIR and no dotfile is served.
 *
 * Every answer given here goes through the API's log phase
 * (http_access_log_request): an access log line with a request id (sent as
 * X-Request-Id) and an observation in http_request_duration_seconds under
 * the one route label "static", whatever the path, so the number of series
 * stays bounded. As for an API answer, both happen when the response starts,
 * before its first byte is written (the file itself may then still be
 * streaming).
 */
#include "http/static.h"

#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "core/mem.h"
#include "http/access_log.h"
#include "http/exchange.h"
#include "http/framing.h"

#define STATIC_CACHE_ASSETS "public, max-age=31536000, immutable"
#define STATIC_CACHE_OTHER "no-cache"

/* The web app's policy, on every answer given here (it binds HTML pages; a
 * script or stylesheet ignores it). The built app (web/dist) is only files
 * from this origin: no inline script or style, no data: URL, no frames, no
 * plugins. It may not be framed (clickjacking; X-Frame-Options for browsers
 * without frame-ancestors), and forms post only here. deploy/nginx/
 * lsf-web-headers.conf sends the same three headers where nginx serves it.
 * Referrer-Policy same-origin: no Referer ever leaves the site, while the
 * app's own requests keep it, and keep their Origin header, which the API's
 * CSRF check reads: under no-referrer the Fetch standard has a browser send
 * "Origin: null" on a same-origin POST it does not make in CORS mode (a
 * form's), which that check would refuse. */
#define STATIC_CSP                                                                                             \
    "default-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
#define STATIC_REFERRER_POLICY "same-origin"

/* The route label of every answer here (metrics key series by this pointer). */
static const char STATIC_ROUTE[] = "static";

typedef struct static_handler {
    h2o_handler_t super;
    h2o_pathconf_t files_conf;
    h2o_pathconf_t index_conf;
    h2o_handler_t *files; /* h2o's handler over root */
    h2o_handler_t *index; /* h2o's handler of root/index.html */
    char *root;           /* WEB_DIR, absolute, no trailing slash */
    size_t root_len;
} static_handler_t;

static bool has_prefix(h2o_iovec_t s, const char *prefix, size_t len)
{
    return s.len >= len && memcmp(s.base, prefix, len) == 0;
}

/* /api and /health (and all below them) are the API's, whatever exists on disk. */
static bool is_api_path(h2o_iovec_t path)
{
    return h2o_memis(path.base, path.len, H2O_STRLIT("/api")) || has_prefix(path, H2O_STRLIT("/api/")) ||
           has_prefix(path, H2O_STRLIT("/health"));
}

static bool is_safe_path(h2o_iovec_t path)
{
    if (path.len == 0 || path.base[0] != '/' || path.len >= PATH_MAX / 2)
        return false;
    for (size_t i = 0; i < path.len; i++) {
        char c = path.base[i];
        if (c == '\0' || c == '\\' || (c == '.' && path.base[i - 1] == '/'))
            return false;
    }
    return true;
}

static bool is_get_or_head(h2o_req_t *req)
{
    return h2o_memis(req->method.base, req->method.len, H2O_STRLIT("GET")) ||
           h2o_memis(req->method.base, req->method.len, H2O_STRLIT("HEAD"));
}

static bool accepts_html(h2o_req_t *req)
{
    for (ssize_t i = -1; (i = h2o_find_header(&req->headers, H2O_TOKEN_ACCEPT, i)) >= 0;) {
        h2o_iovec_t v = req->headers.entries[i].value;
        for (size_t k = 0; k + 9 <= v.len; k++)
            if (h2o_lcstris(v.base + k, 9, H2O_STRLIT("text/html")))
                return true;
    }
    return false;
}

static bool is_regular_file(const static_handler_t *self, h2o_iovec_t path)
{
    char full[PATH_MAX];
    struct stat st;

    if (self->root_len + path.len >= sizeof(full))
        return false;
    memcpy(full, self->root, self->root_len);
    memcpy(full + self->root_len, path.base, path.len);
    full[self->root_len + path.len] = '\0';
    return stat(full, &st) == 0 && S_ISREG(st.st_mode);
}

/* The request id (the client's, or a new one), in req's pool: h2o keeps
 * header values until sent. */
static char *request_id_create(h2o_req_t *req)
{
    char *id = h2o_mem_alloc_pool(&req->pool, HTTP_REQUEST_ID_SIZE);
    http_request_id_assign(req, core_clock_now_ms(), id);
    return id;
}

/* The log phase of an answer given here, the API's (access_log.h), run as a
 * per-request prefilter: h2o calls it when the response starts, with the
 * status and length decided and before a byte is written, so a client that
 * has its answer always finds it counted in the next scrape. */
typedef struct static_answer {
    h2o_req_prefilter_t super;
    const char *request_id;
    http_trace_t trace; /* ids only: no span is recorded for a web app file */
    int64_t started_ns;
} static_answer_t;

static void add_common_headers(h2o_req_t *req, const char *cache_control, size_t len, const static_answer_t *a)
{
    const char *request_id = a->request_id;

    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CACHE_CONTROL, NULL, cache_control, len);
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-content-type-options"), 0, NULL, H2O_STRLIT("nosniff"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("content-security-policy"), 0, NULL,
                          H2O_STRLIT(STATIC_CSP));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-frame-options"), 0, NULL, H2O_STRLIT("DENY"));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("referrer-policy"), 0, NULL,
                          H2O_STRLIT(STATIC_REFERRER_POLICY));
    h2o_add_header_by_str(&req->pool, &req->res.headers, H2O_STRLIT("x-request-id"), 0, NULL, request_id,
                          strlen(request_id));
    http_trace_add_header(&a->trace, req);
}

/* Hand the request to one of h2o's file handlers with our headers; when it
 * declines (the file vanished meanwhile), take the headers back. */
static int delegate(h2o_handler_t *files, h2o_req_t *req, const char *cache_control, size_t len, bool vary_accept,
                    const static_answer_t *a)
{
    size_t saved = req->res.headers.size;
    int rc;

    add_common_headers(req, cache_control, len, a);
    if (vary_accept)
        h2o_set_header_token(&req->pool, &req->res.headers, H2O_TOKEN_VARY, H2O_STRLIT("accept"));
    if ((rc = files->on_req(files, req)) != 0)
        req->res.headers.size = saved;
    return rc;
}

/* A missing file under /assets/ (a page of an older build asking for its
 * chunk): the API's JSON 404, never index.html. */
static void send_not_found(h2o_req_t *req, const static_answer_t *a)
{
    const size_t cap = 128;
    char *body = h2o_mem_alloc_pool(&req->pool, cap);
    int n = snprintf(body, cap, "{\"success\":false,\"message\":\"%s\"}", core_error_message(CORE_E_NOT_FOUND));

    add_common_headers(req, H2O_STRLIT("no-store"), a);
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL,
                   H2O_STRLIT("application/json; charset=utf-8"));
    req->res.status = core_error_status(CORE_E_NOT_FOUND);
    req->res.reason = "Not Found";
    req->res.content_length = (size_t)n;
    h2o_send_inline(req, body, (size_t)n);
}


static void on_answer(h2o_req_prefilter_t *super, h2o_req_t *req, h2o_ostream_t **slot)
{
    static_answer_t *self = (static_answer_t *)super;

    http_access_log_answer(req, self->request_id, &self->trace, STATIC_ROUTE, self->started_ns);
    h2o_setup_next_prefilter(super, req, slot);
}

/* A request id for req (the client's, or a new one) and its log phase, to
 * run if this handler answers. */
static const static_answer_t *answer_begin(h2o_req_t *req, int64_t started_ns)
{
    http_thread_t *t = H2O_STRUCT_FROM_MEMBER(http_thread_t, ctx, req->conn->ctx);
    static_answer_t *a = (static_answer_t *)h2o_add_prefilter(req, sizeof(*a));
    a->super.on_setup_ostream = on_answer;
    a->request_id = request_id_create(req);
    http_trace_begin(&a->trace, req, t->cfg);
    /* ids and the header, but no span: web app files are not traced (yet) */
    a->trace.recording = false;
    a->trace.flags = a->trace.has_parent ? (uint8_t)(a->trace.parent.flags & TRACE_FLAG_SAMPLED) : 0;
    a->started_ns = started_ns;
    return a;
}

static int on_req(h2o_handler_t *super, h2o_req_t *req)
{
    static_handler_t *self = (static_handler_t *)super;
    int64_t started_ns = core_clock_mono_ns();
    h2o_iovec_t path = req->path_normalized;
    bool assets = has_prefix(path, H2O_STRLIT("/assets/"));
    h2o_req_prefilter_t *prefilters = req->prefilters;
    int rc = -1;

    if (!is_get_or_head(req) || is_api_path(path) || !is_safe_path(path))
        return -1;
    const char *why;
    if (http_framing_check(req, &why) != CORE_OK)
        return -1; /* the pipeline asks again, answers the JSON 400 and logs it */
    if (path.base[path.len - 1] != '/' && is_regular_file(self, path)) {
        const static_answer_t *a = answer_begin(req, started_ns);
        rc = assets ? delegate(self->files, req, H2O_STRLIT(STATIC_CACHE_ASSETS), false, a)
                    : delegate(self->files, req, H2O_STRLIT(STATIC_CACHE_OTHER), false, a);
    } else if (assets) {
        send_not_found(req, answer_begin(req, started_ns));
        rc = 0;
    } else if (accepts_html(req)) {
        /* a client route is index.html */
        rc = delegate(self->index, req, H2O_STRLIT(STATIC_CACHE_OTHER), true, answer_begin(req, started_ns));
    } else {
        /* the API answers ("API Working" at /, else a JSON 404), and a browser
         * gets index.html at the same URL: caches must key on Accept */
        h2o_set_header_token(&req->pool, &req->res.headers, H2O_TOKEN_VARY, H2O_STRLIT("accept"));
    }
    if (rc != 0)
        req->prefilters = prefilters; /* declined: the answer, and its log, are the API's */
    return rc;
}

static void on_context_init(h2o_handler_t *super, h2o_context_t *ctx)
{
    static_handler_t *self = (static_handler_t *)super;

    if (self->files->on_context_init != NULL)
        self->files->on_context_init(self->files, ctx);
    if (self->index->on_context_init != NULL)
        self->index->on_context_init(self->index, ctx);
}

static void on_context_dispose(h2o_handler_t *super, h2o_context_t *ctx)
{
    static_handler_t *self = (static_handler_t *)super;

    if (self->files->on_context_dispose != NULL)
        self->files->on_context_dispose(self->files, ctx);
    if (self->index->on_context_dispose != NULL)
        self->index->on_context_dispose(self->index, ctx);
}

static void on_dispose(h2o_handler_t *super)
{
    static_handler_t *self = (static_handler_t *)super;

    h2o_config_dispose_pathconf(&self->files_conf);
    h2o_config_dispose_pathconf(&self->index_conf);
    free(self->root);
}

/* The realpath of WEB_DIR when it holds an index.html, else NULL. */
static char *find_root(const char *web_dir)
{
    char *root = web_dir != NULL && web_dir[0] != '\0' ? realpath(web_dir, NULL) : NULL;
    char index[PATH_MAX];
    struct stat st;

    if (root != NULL && (snprintf(index, sizeof(index), "%s/index.html", root) >= (int)sizeof(index) ||
                         stat(index, &st) != 0 || !S_ISREG(st.st_mode))) {
        free(root);
        root = NULL;
    }
    return root;
}

void http_static_register(h2o_pathconf_t *path, const core_config_t *cfg)
{
    static const char *no_index_files[] = {NULL};
    const int flags = H2O_FILE_FLAG_SEND_COMPRESSED;
    char *root = find_root(cfg->web_dir), index[PATH_MAX];

    if (root == NULL) {
        log_info("web app not served: WEB_DIR has no index.html", LOG_STR("web_dir", cfg->web_dir));
        return;
    }
    static_handler_t *self = (static_handler_t *)h2o_create_handler(path, sizeof(*self));
    h2o_mimemap_t *mimemap = h2o_mimemap_create();

    h2o_mimemap_define_mimetype(mimemap, "html", "text/html; charset=utf-8", NULL);
    h2o_mimemap_define_mimetype(mimemap, "woff2", "font/woff2", NULL);
    h2o_mimemap_define_mimetype(mimemap, "webmanifest", "application/manifest+json", NULL);
    self->root = root;
    self->root_len = strlen(root);
    snprintf(index, sizeof(index), "%s/index.html", root);
    h2o_config_init_pathconf(&self->files_conf, path->global, "/", mimemap);
    h2o_config_init_pathconf(&self->index_conf, path->global, "/", mimemap);
    /* h2o_file_handler_t is opaque; like every handler it starts with h2o_handler_t */
    self->files = (h2o_handler_t *)h2o_file_register(&self->files_conf, root, no_index_files, mimemap, flags);
    self->index = h2o_file_register_file(&self->index_conf, index,
                                         h2o_mimemap_get_type_by_extension(mimemap, h2o_iovec_init(H2O_STRLIT("html"))),
                                         flags);
    h2o_mem_release_shared(mimemap);
    self->super.on_context_init = on_context_init;
    self->super.on_context_dispose = on_context_dispose;
    self->super.dispose = on_dispose;
    self->super.on_req = on_req;
    log_info("serving the web app", LOG_STR("web_dir", root));
}
