/*
 * libFuzzer target: http_framing_judge (src/http/framing.c), the verdict on
 * a request head's body framing, read with h2o's own parser. The input is
 * the connection's input buffer; the method and path passed are its first
 * two space-separated words, as h2o would hand them over. Properties: a
 * sentence exactly for an ambiguous head; another path is never this head
 * (unknown); what follows a complete head never changes the verdict;
 * adding Content-Length and Transfer-Encoding to a complete head always
 * makes it ambiguous; and for a head in the strict form (request line,
 * "Name: value" lines with CRLF, no folds) the verdict is the one RFC 9112
 * section 6.3 gives, counted here without the parser.
 */
#include <string.h>
#include <strings.h>

#include "http/framing.h"
#include "fuzz.h"

#define EXTRA_HEADERS "Content-Length: 1\r\nTransfer-Encoding: chunked\r\n"
#define TAIL "\r\n\r\nContent-Length: 1\r\nContent-Length: 2\r\nTransfer-Encoding: x\r\n\r\n"

static const char *const names[] = {"OK", "AMBIGUOUS", "UNKNOWN"};

static http_framing_t judge(const char *buf, size_t len, h2o_iovec_t method, h2o_iovec_t path)
{
    const char *why = NULL;
    http_framing_t v = http_framing_judge(buf, len, method, path, &why);

    FUZZ_CHECK(v == HTTP_FRAMING_OK || v == HTTP_FRAMING_AMBIGUOUS || v == HTTP_FRAMING_UNKNOWN, "verdict %d",
               v);
    FUZZ_CHECK((v == HTTP_FRAMING_AMBIGUOUS) == (why != NULL && why[0] != '\0'),
               "verdict %s with sentence \"%s\"", names[v], why ? why : "(none)");
    return v;
}

static bool tchar(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* The verdict for a head in the strict form, or -1 when buf does not start
 * with one (or the answer would depend on details left out here). */
static int strict_verdict(const char *buf, size_t len)
{
    const char *p = buf, *end = buf + len;
    int cl_count = 0, te_count = 0, lines = 0;
    unsigned long long cl = 0;
    bool bad_cl = false;

    while (p < end && tchar(*p))
        p++;
    if (p == buf || p >= end || *p++ != ' ')
        return -1;
    const char *path = p;
    while (p<end && * p> ' ' && *p < 0x7f)
        p++;
    if (p == path || end - p < 11 ||
        (memcmp(p, " HTTP/1.0\r\n", 11) != 0 && memcmp(p, " HTTP/1.1\r\n", 11) != 0))
        return -1;
    p += 11;
    for (;;) {
        if (end - p >= 2 && p[0] == '\r' && p[1] == '\n')
            break;
        const char *name = p;
        while (p < end && tchar(*p))
            p++;
        size_t name_len = (size_t)(p - name);
        if (name_len == 0 || p >= end || *p++ != ':')
            return -1;
        while (p < end && (*p == ' ' || *p == '\t')) /* OWS */
            p++;
        const char *value = p;
        while (p < end && ((*p > ' ' && *p < 0x7f) || *p == ' ' || *p == '\t'))
            p++;
        size_t value_len = (size_t)(p - value);
        if (end - p < 2 || p[0] != '\r' || p[1] != '\n' ||
            (value_len > 0 && (value[value_len - 1] == ' ' || value[value_len - 1] == '\t')))
            return -1;
        p += 2;
        if (++lines > 100) /* past H2O_MAX_HEADERS */
            return -1;
        if (name_len == 17 && strncasecmp(name, "transfer-encoding", 17) == 0) {
            te_count++;
        } else if (name_len == 14 && strncasecmp(name, "content-length", 14) == 0) {
            unsigned long long v = 0;
            if (value_len >= 19)
                return -1; /* where h2o's limit lies */
            bool digits = value_len > 0;
            for (size_t i = 0; i < value_len; i++) {
                digits &= value[i] >= '0' && value[i] <= '9';
                v = v * 10 + (unsigned long long)(value[i] - '0');
            }
            if (!digits || (cl_count > 0 && v != cl))
                bad_cl = true;
            cl = v;
            cl_count++;
        }
    }
    if (bad_cl || (te_count > 0 && cl_count > 0) || te_count > 1)
        return HTTP_FRAMING_AMBIGUOUS;
    return HTTP_FRAMING_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    const char *sp1 = memchr(buf, ' ', size);

    if (sp1 == NULL)
        return 0;
    const char *path = sp1 + 1, *sp2 = memchr(path, ' ', size - (size_t)(path - buf));
    if (sp2 == NULL)
        return 0;
    h2o_iovec_t m = h2o_iovec_init(buf, (size_t)(sp1 - buf)), pa = h2o_iovec_init(path, (size_t)(sp2 - path));
    core_str_t copy = fuzz_copy(core_str(buf, size));
    http_framing_t v = judge(copy.base, copy.len, m, pa);

    char *longer = malloc(pa.len + 1);
    if (longer == NULL)
        abort();
    memcpy(longer, pa.base, pa.len);
    longer[pa.len] = 'x';
    FUZZ_CHECK(judge(copy.base, copy.len, m, h2o_iovec_init(longer, pa.len + 1)) == HTTP_FRAMING_UNKNOWN,
               "a head judged for a path it does not have");
    free(longer);

    int want = strict_verdict(buf, size);
    if (want >= 0)
        FUZZ_CHECK((int)v == want, "strict head judged %s, RFC 9112 says %s", names[v], names[want]);

    if (v != HTTP_FRAMING_UNKNOWN) {
        /* what follows the head: the same verdict */
        size_t n = size + sizeof(TAIL) - 1;
        char *more = malloc(n);
        if (more == NULL)
            abort();
        memcpy(more, buf, size);
        memcpy(more + size, TAIL, sizeof(TAIL) - 1);
        http_framing_t after = judge(more, n, m, pa);
        FUZZ_CHECK(after == v, "bytes after the head turned %s into %s", names[v], names[after]);
        free(more);

        /* both framings named right after the request line: ambiguous */
        const char *nl = memchr(buf, '\n', size);
        size_t at = (size_t)(nl - buf) + 1, lines = 0;
        n = size + sizeof(EXTRA_HEADERS) - 1;
        more = malloc(n);
        if (more == NULL)
            abort();
        memcpy(more, buf, at);
        memcpy(more + at, EXTRA_HEADERS, sizeof(EXTRA_HEADERS) - 1);
        memcpy(more + at + sizeof(EXTRA_HEADERS) - 1, buf + at, size - at);
        for (size_t i = 0; i < size; i++)
            lines += buf[i] == '\n';
        http_framing_t both =
            judge(more, n, h2o_iovec_init(more, m.len), h2o_iovec_init(more + (pa.base - buf), pa.len));
        FUZZ_CHECK(both == HTTP_FRAMING_AMBIGUOUS || (both == HTTP_FRAMING_UNKNOWN && lines >= 98),
                   "a %s head with Content-Length and Transfer-Encoding added is %s", names[v], names[both]);
        free(more);
    }
    fuzz_free(copy);
    return 0;
}
