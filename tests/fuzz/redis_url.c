/*
 * libFuzzer target: core_redis_url_parse (src/core/redis_url.c), REDIS_URL
 * as the operator writes it, through libcurl's URL API. The input is the
 * URL (up to a NUL). Properties of an accepted URL: not rediss://, at most
 * CORE_REDIS_URL_MAX bytes; host, port, database, user and password are
 * what an independent reading of the text gives (authority up to the first
 * '/', '?' or '#'; credentials up to its first '@', the user up to the first
 * ':', a lone part being the password; each part percent-decoded once; a
 * port of 1-65535, 6379 when absent; a path that is empty, "/", or "/" and a
 * database number up to 1,000,000); no control character in any part. The
 * reading follows libcurl where libcurl is lenient and it does no harm: a
 * '%' without two hex digits stands for itself, an empty "?" or "#" is
 * none, "." and ".." path segments are removed, an IPv4 address in another
 * form ("127.1") is written as a dotted quad, and an IPv6 zone starts at
 * "%25" or a lone '%'. Of a refused URL: an empty result, a message of
 * printable text, and the same message for the same URL with the letters
 * of its credentials changed, so it cannot quote them.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <string.h>
#include <strings.h>

#include "core/redis_url.h"
#include "fuzz.h"

#define ERR_SIZE 256

typedef struct reading {
    const char *user, *password; /* raw slices' starts, or NULL */
    size_t user_len, password_len;
    const char *host;
    size_t host_len;
    const char *port; /* after ':', or NULL */
    size_t port_len;
    const char *path;
    size_t path_len;
    const char *rest; /* after the path: "?query#fragment" */
    size_t cred_end;  /* offset of the '@' (0: none) */
} reading_t;

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* s[0..len) percent-decoded into out (len + 1 bytes, NUL-terminated); its
 * length. A '%' without two hex digits stands for itself, as libcurl reads it. */
static long decode(const char *s, size_t len, char *out)
{
    size_t n = 0;

    for (size_t i = 0; i < len; i++) {
        int h = i + 2 < len ? hexval(s[i + 1]) : -1, l = i + 2 < len ? hexval(s[i + 2]) : -1;
        if (s[i] == '%' && h >= 0 && l >= 0) {
            out[n++] = (char)(h * 16 + l);
            i += 2;
        } else {
            out[n++] = s[i];
        }
    }
    out[n] = '\0';
    return (long)n;
}

/* The independent reading of url (which starts with "redis://"). */
static void read_url(const char *url, reading_t *r)
{
    const char *a = url + 8, *end = a + strcspn(a, "/?#"), *at = memchr(a, '@', (size_t)(end - a));

    memset(r, 0, sizeof(*r));
    if (at != NULL) {
        const char *colon = memchr(a, ':', (size_t)(at - a));
        r->cred_end = (size_t)(at - url);
        if (colon != NULL) {
            r->user = a;
            r->user_len = (size_t)(colon - a);
            r->password = colon + 1;
            r->password_len = (size_t)(at - colon - 1);
        } else {
            r->password = a; /* the lone part */
            r->password_len = (size_t)(at - a);
        }
        a = at + 1;
    }
    r->host = a;
    if (*a == '[') {
        const char *close = memchr(a, ']', (size_t)(end - a));
        r->host_len = close != NULL ? (size_t)(close - a) + 1 : (size_t)(end - a);
    } else {
        const char *colon = memchr(a, ':', (size_t)(end - a));
        r->host_len = colon != NULL ? (size_t)(colon - a) : (size_t)(end - a);
    }
    if (a + r->host_len < end && a[r->host_len] == ':') {
        r->port = a + r->host_len + 1;
        r->port_len = (size_t)(end - r->port);
    }
    r->path = end;
    r->path_len = strcspn(end, "?#");
    r->rest = end + r->path_len;
}

static void check_part(const char *what, const char *got, const char *raw, size_t raw_len, const char *url)
{
    char *want = malloc(raw_len + 1);

    if (want == NULL)
        abort();
    FUZZ_CHECK(decode(raw, raw_len, want) >= 0, "\"%s\": %s \"%.*s\" accepted with a bad escape", url, what,
               (int)raw_len, raw);
    FUZZ_CHECK(got != NULL && strcmp(got, want) == 0, "\"%s\": %s is \"%s\", the text says \"%s\"", url, what,
               got ? got : "(none)", want);
    for (const char *p = got; *p; p++)
        FUZZ_CHECK((unsigned char)*p >= 0x20, "\"%s\": %s holds control character 0x%02x", url, what, *p);
    free(want);
}

/* The host libcurl gave, against the text's host (brackets off, "%25" of a zone as "%"). */
static void check_host(const char *got, const reading_t *r, const char *url)
{
    char *want = malloc(r->host_len + 1);
    unsigned char a[16], b[16];
    struct in_addr v4;

    if (want == NULL)
        abort();
    FUZZ_CHECK(got != NULL && got[0] != '\0', "\"%s\": empty host", url);
    const char *zone_at = strchr(got, '%');
    for (const char *p = got; *p;
         p++) /* a space only in an IPv6 zone ("%25a%20b"), which libcurl lets through */
        FUZZ_CHECK((unsigned char)*p >= 0x20 && (*p != ' ' || (zone_at != NULL && zone_at < p)),
                   "\"%s\": host holds byte 0x%02x", url, *p);
    if (r->host[0] == '[') {
        FUZZ_CHECK(r->host_len >= 2 && r->host[r->host_len - 1] == ']', "\"%s\": IPv6 host without ']'", url);
        /* the address, then a zone after '%' ("%25" as RFC 6874 spells it, or a lone '%' as libcurl also
         * takes) */
        const char *pct = memchr(r->host + 1, '%', r->host_len - 2);
        size_t addr_len = pct != NULL ? (size_t)(pct - r->host - 1) : r->host_len - 2;
        memcpy(want, r->host + 1, addr_len);
        want[addr_len] = '\0';
        char *zone = NULL, *gzone = strchr(got, '%');
        if (pct != NULL) {
            const char *z = pct + 1, *zend = r->host + r->host_len - 1;
            if (zend - z > 2 && z[0] == '2' && z[1] == '5') /* "%25" alone is the zone "25" */
                z += 2;
            zone = want + addr_len;
            *zone = '%';
            decode(z, (size_t)(zend - z), zone + 1);
        }
        FUZZ_CHECK((zone == NULL) == (gzone == NULL) && (zone == NULL || strcmp(zone, gzone) == 0),
                   "\"%s\": zone \"%s\", the text says \"%s\"", url, gzone ? gzone : "", zone ? zone : "");
        if (zone != NULL)
            *zone = *gzone = '\0';
        FUZZ_CHECK(inet_pton(AF_INET6, want, a) == 1 && inet_pton(AF_INET6, got, b) == 1 &&
                       memcmp(a, b, 16) == 0,
                   "\"%s\": host \"%s\" is not the address \"%s\"", url, got, want);
        if (gzone != NULL)
            *gzone = '%';
    } else {
        FUZZ_CHECK(decode(r->host, r->host_len, want) >= 0, "\"%s\": bad escape in the host", url);
        /* libcurl writes an IPv4 address of another form ("127.1", "0x7f.0.0.1") as dotted quad */
        if (strcmp(got, want) != 0)
            FUZZ_CHECK(inet_aton(want, &v4) == 1 && inet_pton(AF_INET, got, b) == 1 && memcmp(&v4, b, 4) == 0,
                       "\"%s\": host \"%s\", the text says \"%s\"", url, got, want);
    }
    free(want);
}

/* A segment "." or ".." in path[0..len). */
static bool dot_segments(const char *path, size_t len)
{
    for (size_t i = 0; i < len;) {
        size_t seg = i, n;
        while (i < len && path[i] != '/')
            i++;
        n = i - seg;
        if ((n == 1 && path[seg] == '.') || (n == 2 && path[seg] == '.' && path[seg + 1] == '.'))
            return true;
        i++;
    }
    return false;
}

static void check_accepted(const char *url, const core_redis_url_t *u)
{
    reading_t r;
    long v;

    FUZZ_CHECK(strncasecmp(url, "redis://", 8) == 0, "\"%s\" accepted without redis://", url);
    FUZZ_CHECK(strlen(url) <= CORE_REDIS_URL_MAX, "accepted a URL of %zu bytes", strlen(url));
    read_url(url, &r);
    check_host(u->host, &r, url);

    v = 6379;
    if (r.port != NULL && r.port_len > 0) {
        v = 0;
        for (size_t i = 0; i < r.port_len; i++) {
            FUZZ_CHECK(isdigit((unsigned char)r.port[i]), "\"%s\": port \"%.*s\" accepted", url,
                       (int)r.port_len, r.port);
            v = v * 10 + (r.port[i] - '0');
            FUZZ_CHECK(v <= 65535, "\"%s\": port \"%.*s\" accepted", url, (int)r.port_len, r.port);
        }
    }
    FUZZ_CHECK(u->port == v && v >= 1 && v <= 65535, "\"%s\": port %d, the text says %ld", url, u->port, v);

    char *path = malloc(r.path_len + 1);
    if (path == NULL)
        abort();
    decode(r.path, r.path_len, path);
    v = 0;
    if (!dot_segments(r.path, r.path_len)) { /* libcurl removes "." and ".." (RFC 3986, 5.2.4) */
        FUZZ_CHECK(path[0] == '\0' || path[0] == '/', "\"%s\": path \"%s\" accepted", url, path);
        for (size_t i = 1; path[0] != '\0' && path[i] != '\0'; i++) {
            FUZZ_CHECK(isdigit((unsigned char)path[i]) && i <= 9, "\"%s\": path \"%s\" accepted", url, path);
            v = v * 10 + (path[i] - '0');
        }
    } else {
        v = u->db;
    }
    FUZZ_CHECK(u->db == v && v >= 0 && v <= 1000000, "\"%s\": database %d, the path says %ld", url, u->db, v);
    /* libcurl reports an empty query or fragment as none */
    FUZZ_CHECK(strcmp(r.rest, "") == 0 || strcmp(r.rest, "?") == 0 || strcmp(r.rest, "#") == 0 ||
                   strcmp(r.rest, "?#") == 0,
               "\"%s\": accepted with \"%s\" after the path", url, r.rest);
    free(path);

    if (r.password == NULL) {
        FUZZ_CHECK(u->user == NULL && u->password == NULL, "\"%s\": credentials without '@'", url);
    } else {
        check_part("password", u->password, r.password, r.password_len, url);
        if (r.user == NULL || r.user_len == 0)
            FUZZ_CHECK(u->user == NULL, "\"%s\": user \"%s\" where the text has none", url, u->user);
        else
            check_part("user", u->user, r.user, r.user_len, url);
    }
}

/* url with the letters of its credentials changed (a-f and A-F among
 * themselves, so escapes stay escapes; g-z and G-Z among themselves) */
static char *other_credentials(const char *url)
{
    char *o = strdup(url);
    reading_t r;

    if (o == NULL)
        abort();
    if (strncasecmp(url, "redis://", 8) == 0 || strncasecmp(url, "rediss://", 9) == 0) {
        size_t tls = url[5] != ':'; /* "rediss://": one more byte */
        read_url(url + tls, &r);
        size_t from = 8 + tls, to = r.cred_end + tls;
        for (size_t i = from; i < to; i++) {
            char c = o[i];
            if (c >= 'a' && c <= 'f')
                o[i] = (char)(c == 'f' ? 'a' : c + 1);
            else if (c >= 'A' && c <= 'F')
                o[i] = (char)(c == 'F' ? 'A' : c + 1);
            else if (c >= 'g' && c <= 'z')
                o[i] = (char)(c == 'z' ? 'g' : c + 1);
            else if (c >= 'G' && c <= 'Z')
                o[i] = (char)(c == 'Z' ? 'G' : c + 1);
        }
    }
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *url = fuzz_cstr(core_str((const char *)data, size));
    core_redis_url_t u;
    char err[ERR_SIZE];

    memset(err, 'x', sizeof(err));
    if (core_redis_url_parse(url, &u, err, sizeof(err)) == 0) {
        FUZZ_CHECK(strncasecmp(url, "rediss://", 9) != 0, "accepted rediss://");
        check_accepted(url, &u);
        core_redis_url_cleanup(&u);
        FUZZ_CHECK(u.host == NULL && u.password == NULL, "cleanup left strings");
    } else {
        FUZZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0', "no message for \"%s\"", url);
        for (const char *p = err; *p; p++)
            FUZZ_CHECK(*p >= 0x20 && *p < 0x7f, "message byte 0x%02x", (unsigned char)*p);
        FUZZ_CHECK(u.host == NULL && u.user == NULL && u.password == NULL, "a refusal left strings");
        char *o = other_credentials(url), err2[ERR_SIZE];
        core_redis_url_t u2;
        FUZZ_CHECK(core_redis_url_parse(o, &u2, err2, sizeof(err2)) == -1 && strcmp(err, err2) == 0,
                   "\"%s\" and \"%s\" (other credentials) get different answers: \"%s\"", url, o, err);
        free(o);
    }
    free(url);
    return 0;
}
