/*
 * This file implements the buffered combined-format access log of
 * access_log.h and the log phase every answered request goes through, API
 * exchange (response.c), web app file (static.c) or error h2o answers itself
 * (h2o_errors.c): one access log line and
 * one observation in http_request_duration_seconds. Request fields are
 * escaped like nginx does (\xHH for quotes, backslashes and non-printable
 * bytes) so a crafted URL or User-Agent cannot forge log lines.
 */
#include "http/access_log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "core/pool.h"
#include "http/exchange.h"
#include "http/forwarded.h"

static int log_fd = -1;
static char *log_path;

static int open_path(const char *path)
{
    if (core_fs_mkdir_parent(path, 0755) != 0) {
        log_error("cannot create access log directory", LOG_STR("path", path), LOG_STR("error", strerror(errno)));
        return -1;
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        log_error("cannot open access log", LOG_STR("path", path), LOG_STR("error", strerror(errno)));
    return fd;
}

int http_access_log_open(const char *path)
{
    if (path == NULL)
        return 0;
    if (strcmp(path, "-") == 0) {
        log_fd = dup(STDOUT_FILENO);
        return log_fd < 0 ? -1 : 0;
    }
    log_fd = open_path(path);
    if (log_fd < 0)
        return -1;
    log_path = core_strdup(path);
    return 0;
}

int http_access_log_reopen(void)
{
    if (log_path == NULL)
        return 0;
    int fd = open_path(log_path);
    if (fd < 0)
        return -1;
    /* atomically points log_fd at the new file; writers keep using the number */
    int rc = dup2(fd, log_fd) < 0 ? -1 : 0;
    close(fd);
    log_info("access log reopened", LOG_STR("path", log_path));
    return rc;
}

void http_access_log_close(void)
{
    if (log_fd >= 0)
        close(log_fd);
    log_fd = -1;
    free(log_path);
    log_path = NULL;
}

void http_access_log_flush(http_access_log_buf_t *buf)
{
    size_t off = 0;
    while (log_fd >= 0 && off < buf->len) {
        ssize_t n = write(log_fd, buf->data + off, buf->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        off += (size_t)n;
    }
    buf->len = 0;
}

/* Append s, escaped, or "-" when empty. Stops at the buffer's end. */
static void put_escaped(char **p, char *end, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    if (len == 0) {
        if (*p < end)
            *(*p)++ = '-';
        return;
    }
    for (size_t i = 0; i < len && end - *p > 4; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x7f) {
            *(*p)++ = '\\';
            *(*p)++ = 'x';
            *(*p)++ = hex[c >> 4];
            *(*p)++ = hex[c & 15];
        } else {
            *(*p)++ = (char)c;
        }
    }
}

static h2o_iovec_t header(h2o_req_t *req, const h2o_token_t *token)
{
    ssize_t i = h2o_find_header(&req->headers, token, -1);
    return i >= 0 ? req->headers.entries[i].value : h2o_iovec_init(NULL, 0);
}

/* The [time] field, formatted once a second per thread (gmtime and strftime
 * cost more than the rest of the line). */
static const char *now_clf(void)
{
    static _Thread_local struct {
        int64_t sec;
        char text[32];
    } cache = {-1, ""};
    int64_t ms = core_clock_now_ms();

    if (ms / 1000 != cache.sec) {
        core_clock_clf(ms, cache.text);
        cache.sec = ms / 1000;
    }
    return cache.text;
}

static void write_line(http_access_log_buf_t *buf, h2o_req_t *req, const http_access_log_entry_t *e)
{
    /* the request's fields stop at end; the trace ids always fit in the room past it */
    char line[4096 + 80], *p = line, *end = line + 4096 - 2;

    if (log_fd < 0)
        return;
    const char *request_id = e->request_id;

    p += snprintf(p, (size_t)(end - p), "%s - - [%s] \"", e->client_ip, now_clf());
    put_escaped(&p, end, req->input.method.base, req->input.method.len);
    *p++ = ' ';
    put_escaped(&p, end, req->input.path.base, req->input.path.len);
    if (end - p > 32)
        p += snprintf(p, (size_t)(end - p), " HTTP/%d.%d\" %d ", req->version >> 8, req->version & 0xff, e->status);
    if (end - p > 24)
        p += e->body_len > 0 ? snprintf(p, (size_t)(end - p), "%zu \"", e->body_len) : snprintf(p, (size_t)(end - p), "- \"");
    h2o_iovec_t referer = header(req, H2O_TOKEN_REFERER), ua = header(req, H2O_TOKEN_USER_AGENT);
    put_escaped(&p, end, referer.base, referer.len);
    if (end - p > 4) {
        memcpy(p, "\" \"", 3);
        p += 3;
    }
    put_escaped(&p, end, ua.base, ua.len);
    if (end - p > 4) {
        memcpy(p, "\" \"", 3);
        p += 3;
    }
    put_escaped(&p, end, request_id, strlen(request_id)); /* ours: validated or generated */
    /* hex we formatted, or "-" */
    p += snprintf(p, (size_t)(line + sizeof(line) - 2 - p), "\" \"%.32s\" \"%.16s", e->trace_id != NULL ? e->trace_id : "-",
                  e->span_id != NULL ? e->span_id : "-");
    *p++ = '"';
    *p++ = '\n';

    size_t len = (size_t)(p - line);
    if (buf->len + len > sizeof(buf->data))
        http_access_log_flush(buf);
    memcpy(buf->data + buf->len, line, len);
    buf->len += len;
}

void http_access_log_request(http_access_log_buf_t *buf, h2o_req_t *req, const http_access_log_entry_t *e)
{
    write_line(buf, req, e);
    core_metrics_request_end(core_str(req->method.base, req->method.len), e->route, e->status,
                             core_clock_mono_ns() - e->started_ns, e->exemplar_trace_id);
}

void http_access_log_answer(h2o_req_t *req, const char *request_id, const http_trace_t *trace, const char *route,
                            int64_t started_ns)
{
    http_thread_t *t = H2O_STRUCT_FROM_MEMBER(http_thread_t, ctx, req->conn->ctx);
    struct sockaddr_storage peer;
    socklen_t peerlen = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&peer);
    h2o_iovec_t xff = header(req, H2O_TOKEN_X_FORWARDED_FOR);
    core_pool_t pool;

    core_pool_init(&pool);
    http_access_log_entry_t e = {
        .client_ip = http_client_ip(&pool, t->cfg, peerlen > 0 ? (struct sockaddr *)&peer : NULL,
                                    core_str(xff.base, xff.len)),
        .request_id = request_id,
        .trace_id = trace->trace_hex,
        .span_id = trace->span_hex,
        .exemplar_trace_id = trace->recording ? trace->trace_id : NULL,
        .route = route,
        .status = req->res.status,
        .body_len = req->res.content_length != SIZE_MAX ? req->res.content_length : 0,
        .started_ns = started_ns,
    };
    core_metrics_request_begin(); /* and ended right away: the answer is h2o's from here */
    http_access_log_request(&t->access_log, req, &e);
    core_pool_cleanup(&pool);
}
