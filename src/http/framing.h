/*
 * The one decision on a request body's framing that h2o 2.2.5 leaves out:
 * whether the head names the body's length in more than one way (see
 * framing.c for why this exists).
 */
#ifndef HTTP_FRAMING_H
#define HTTP_FRAMING_H

#include <h2o.h>
#include <stddef.h>

typedef enum http_framing {
    HTTP_FRAMING_OK,        /* no Content-Length or Transfer-Encoding, or exactly one way to read the body */
    HTTP_FRAMING_AMBIGUOUS, /* Content-Length with Transfer-Encoding, Content-Length values that differ, two
                               Transfer-Encoding fields, or a folded header line next to a body */
    HTTP_FRAMING_UNKNOWN,   /* buf does not start with a complete head for this method and path */
} http_framing_t;

/* Judge the complete request head at the start of buf (len bytes: the head,
 * possibly followed by the body and more) as h2o's own parser reads it; the
 * head must be for method and path. On HTTP_FRAMING_AMBIGUOUS, *why is a
 * static sentence for the client. Pure; any thread. */
http_framing_t http_framing_judge(const char *buf, size_t len, h2o_iovec_t method, h2o_iovec_t path,
                                  const char **why);

/* Check the framing of req, an HTTP/1.x request h2o hands to a handler:
 * CORE_OK, or CORE_E_MALFORMED_REQUEST with *why set (answer 400). In both
 * cases where the framing is ambiguous or cannot be checked, it turns
 * keep-alive off, so the bytes after this request's body are never read as
 * another request. Costs nothing for a request without a body. Call from the
 * handler, on the loop thread, before anything is sent. */
int http_framing_check(h2o_req_t *req, const char **why);

#endif
