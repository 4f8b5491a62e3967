/*
 * This file implements framing.h: refusing a request whose head says the
 * body's length in more than one way. It exists because h2o 2.2.5 reads
 * such a body one way and keeps the connection open (lib/http1.c,
 * init_headers): with both Content-Length and Transfer-Encoding: chunked it
 * reads chunked, and of several Content-Length fields it takes the first.
 * A proxy in front that reads the other way then forwards bytes that h2o
 * runs as a second request of the same connection ("request smuggling"),
 * past that proxy's checks. RFC 9112 section 6.3 says to answer 400 and
 * close. h2o consumes both fields itself (they never reach req->headers), so
 * this check reads the head again where h2o left it, at the start of the
 * connection's input buffer (h2o drops it only when the next request
 * starts), with h2o's own parser, picohttpparser's phr_parse_request(),
 * which libh2o-evloop exports: both see the same fields, byte for byte.
 *
 * It fits in as the first phase of the pipeline (request.c) and as the
 * first test of the web app's handler (static.c), which then leaves the
 * request to the pipeline; one function, http_framing_check(), decides for
 * both, and the metrics listener asks it too.
 */
#include "http/framing.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"

/*
 * picohttpparser's interface, as built into libh2o-evloop 2.2.5 (its
 * deps/picohttpparser/picohttpparser.h): Debian's libh2o-evloop-dev exports
 * the functions but installs no header for them.
 */
struct phr_header {
    const char *name; /* NULL for the continuation of a folded line */
    size_t name_len;
    const char *value;
    size_t value_len;
};
int phr_parse_request(const char *buf, size_t len, const char **method, size_t *method_len, const char **path,
                      size_t *path_len, int *minor_version, struct phr_header *headers, size_t *num_headers,
                      size_t last_len);

static bool name_is(const struct phr_header *h, const char *name, size_t len)
{
    return h->name != NULL && h2o_lcstris(h->name, h->name_len, name, len);
}

static bool same(const char *base, size_t len, h2o_iovec_t v)
{
    return len == v.len && memcmp(base, v.base, len) == 0;
}

http_framing_t http_framing_judge(const char *buf, size_t len, h2o_iovec_t method, h2o_iovec_t path,
                                  const char **why)
{
    struct phr_header headers[H2O_MAX_HEADERS];
    size_t num_headers = H2O_MAX_HEADERS, method_len, path_len;
    const char *method_base, *path_base;
    int minor_version, cl_count = 0, te_count = 0;
    size_t cl = 0;
    bool folded = false;

    if (len > H2O_MAX_REQLEN)
        len = H2O_MAX_REQLEN; /* as far as h2o looks for a head */
    if (phr_parse_request(buf, len, &method_base, &method_len, &path_base, &path_len, &minor_version, headers,
                          &num_headers, 0) <= 0 ||
        !same(method_base, method_len, method) || !same(path_base, path_len, path))
        return HTTP_FRAMING_UNKNOWN;
    for (size_t i = 0; i < num_headers; i++) {
        const struct phr_header *h = &headers[i];
        if (h->name == NULL) {
            folded = true;
        } else if (name_is(h, H2O_STRLIT("transfer-encoding"))) {
            te_count++;
        } else if (name_is(h, H2O_STRLIT("content-length"))) {
            /* h2o_strtosize() is how h2o reads the first one; a list such as "5, 7" is no number */
            size_t v = h2o_strtosize(h->value, h->value_len);
            if (v == SIZE_MAX || (cl_count > 0 && v != cl)) {
                *why = "Conflicting Content-Length headers";
                return HTTP_FRAMING_AMBIGUOUS;
            }
            cl = v;
            cl_count++;
        }
    }
    if (te_count > 0 && cl_count > 0)
        *why = "Content-Length and Transfer-Encoding together";
    else if (te_count > 1)
        *why = "More than one Transfer-Encoding header";
    else if (folded && te_count + cl_count > 0)
        *why = "Folded header line in a request with a body";
    else
        return HTTP_FRAMING_OK;
    return HTTP_FRAMING_AMBIGUOUS;
}

int http_framing_check(h2o_req_t *req, const char **why)
{
    static atomic_bool warned;
    h2o_socket_t *sock;
    http_framing_t verdict = HTTP_FRAMING_UNKNOWN;

    /* No Content-Length and no Transfer-Encoding: h2o left entity NULL, and
     * nothing after the head can be read as a body. */
    if (req->entity.base == NULL)
        return CORE_OK;
    /* HTTP/1.x only (h2o's HTTP/2 is off): there the socket's data is the
     * connection, whose input starts with this request's head. */
    if (req->version < 0x200 && req->conn->callbacks->get_socket != NULL &&
        (sock = req->conn->callbacks->get_socket(req->conn)) != NULL && sock->data == (void *)req->conn &&
        sock->input != NULL)
        verdict = http_framing_judge(sock->input->bytes, sock->input->size, req->input.method,
                                     req->input.path, why);
    if (verdict == HTTP_FRAMING_OK)
        return CORE_OK;
    req->http1_is_persistent = 0;
    if (verdict == HTTP_FRAMING_AMBIGUOUS)
        return CORE_E_MALFORMED_REQUEST;
    /* a newer h2o that keeps its buffer elsewhere: still safe, one request per connection */
    if (!atomic_exchange(&warned, true))
        log_warn("request framing cannot be checked: closing each connection with a body after its answer");
    return CORE_OK;
}
