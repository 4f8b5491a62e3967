/*
 * The access log in Apache "combined" format (morgan's 'combined') followed by
 * the request id (X-Request-Id), which also tags the request's stderr lines:
 *   1.2.3.4 - - [24/Nov/2026:19:57:03 +0000] "GET /api/user/data HTTP/1.1" 200 85 "-" "curl/7.88" "0193..."
 * Each event-loop thread buffers its lines and flushes them at 32 KiB, every
 * second, and at shutdown, so logging costs no system call per request. The
 * file is reopened on SIGHUP (logrotate) by swapping the descriptor with
 * dup2(), which the writing threads never notice.
 */
#ifndef HTTP_ACCESS_LOG_H
#define HTTP_ACCESS_LOG_H

#include <h2o.h>
#include <stddef.h>

typedef struct http_access_log_buf {
    char data[32768];
    size_t len;
} http_access_log_buf_t;

/* Open path for appending ("-" = stdout, NULL = disabled). 0 or -1 (logged). Main thread. */
int http_access_log_open(const char *path);

/* Reopen the same path (SIGHUP). 0 or -1 (logged; the old file stays in use). */
int http_access_log_reopen(void);

/* Append one line for a finished request to buf, flushing it when full. */
void http_access_log_write(http_access_log_buf_t *buf, h2o_req_t *req, const char *client_ip, int status,
                           size_t body_len, const char *request_id);

/* Write out buf (timer, shutdown). */
void http_access_log_flush(http_access_log_buf_t *buf);

void http_access_log_close(void);

#endif
