/*
 * This file implements redis_url.h on libcurl's URL API (curl_url), which
 * splits the URL by RFC 3986 and percent-decodes each part (refusing control
 * characters after decoding). What curl leaves open is checked here: the
 * scheme and its "//", no empty host, a port in 1..65535, a path that is
 * empty or one database number, no query or fragment.
 */
#include "core/redis_url.h"

#include <curl/curl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/mem.h"

#define DEFAULT_PORT 6379
#define DB_MAX 1000000
#define SCHEME "redis://"
#define FORM "redis://[[user]:password@]host[:port][/db]"

__attribute__((format(printf, 3, 4))) static int fail(char *err, size_t err_size, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(err, err_size, fmt, ap);
    va_end(ap);
    return -1;
}

/* Digits only, within [min, max]. */
static bool parse_uint(const char *s, long min, long max, int *out)
{
    long v = 0;
    size_t len = strlen(s);

    if (len == 0 || len > 9)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v < min || v > max)
        return false;
    *out = (int)v;
    return true;
}

/* Part `what` of u, decoded, into *out (malloc'd; NULL when absent).
 * Returns false for a part that is present but not valid. The host is not
 * decoded again: libcurl decodes it when it parses the URL (7.88), and a
 * second decoding read "a%2540b" as "a@b". */
static bool get_part(CURLU *u, CURLUPart what, char **out)
{
    char *v = NULL;
    CURLUcode rc = curl_url_get(u, what, &v, what == CURLUPART_HOST ? 0 : CURLU_URLDECODE);

    *out = NULL;
    if (rc == CURLUE_OK) {
        *out = core_strdup(v);
        curl_free(v);
        return true;
    }
    return rc == CURLUE_NO_USER || rc == CURLUE_NO_PASSWORD || rc == CURLUE_NO_PORT || rc == CURLUE_NO_QUERY ||
           rc == CURLUE_NO_FRAGMENT || rc == CURLUE_NO_ZONEID || rc == CURLUE_NO_OPTIONS;
}

/* The host as hiredis takes it: IPv6 brackets off, "%zone" on. */
static char *host_of(const char *host, const char *zone)
{
    size_t len = strlen(host);
    char *out;

    if (len >= 2 && host[0] == '[' && host[len - 1] == ']') {
        host++;
        len -= 2;
    }
    out = core_malloc(len + (zone != NULL ? strlen(zone) + 1 : 0) + 1);
    memcpy(out, host, len);
    out[len] = '\0';
    if (zone != NULL) {
        strcat(out, "%");
        strcat(out, zone);
    }
    return out;
}

int core_redis_url_parse(const char *url, core_redis_url_t *out, char *err, size_t err_size)
{
    CURLU *u = NULL;
    char *host = NULL, *zone = NULL, *port = NULL, *path = NULL, *query = NULL, *fragment = NULL, *options = NULL;
    int rc = -1;

    memset(out, 0, sizeof(*out));
    out->port = DEFAULT_PORT;
    if (strncasecmp(url, "rediss://", 9) == 0) {
        rc = fail(err, err_size, "rediss:// (TLS) is not supported by this build (hiredis without TLS): use "
                                 "redis:// on a private network, or a TLS tunnel such as stunnel or spiped");
        goto out;
    }
    if (strlen(url) > CORE_REDIS_URL_MAX) {
        rc = fail(err, err_size, "must be at most %d bytes", CORE_REDIS_URL_MAX);
        goto out;
    }
    /* curl would also take "redis:/host" or "redis:///3"; only the full form is ours */
    if (strncasecmp(url, SCHEME, strlen(SCHEME)) != 0 || url[strlen(SCHEME)] == '\0' ||
        strchr("/?#@", url[strlen(SCHEME)]) != NULL) {
        rc = fail(err, err_size, "must be " FORM);
        goto out;
    }
    if ((u = curl_url()) == NULL) {
        rc = fail(err, err_size, "out of memory");
        goto out;
    }
    if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) != CURLUE_OK) {
        rc = fail(err, err_size, "is not a valid URL of the form " FORM
                                 " (percent-encode '@', ':', '/', '%%' and '#' in a user or password)");
        goto out;
    }
    if (!get_part(u, CURLUPART_USER, &out->user) || !get_part(u, CURLUPART_PASSWORD, &out->password)) {
        rc = fail(err, err_size, "the user or password is not valid percent-encoding (or holds a control character)");
        goto out;
    }
    if (!get_part(u, CURLUPART_HOST, &host) || !get_part(u, CURLUPART_ZONEID, &zone) ||
        !get_part(u, CURLUPART_PORT, &port) || !get_part(u, CURLUPART_PATH, &path) ||
        !get_part(u, CURLUPART_QUERY, &query) || !get_part(u, CURLUPART_FRAGMENT, &fragment) ||
        !get_part(u, CURLUPART_OPTIONS, &options) || host == NULL || host[0] == '\0') {
        rc = fail(err, err_size, "must be " FORM);
        goto out;
    }
    if (query != NULL || fragment != NULL || options != NULL) {
        rc = fail(err, err_size, "must be " FORM ", without ?query, #fragment or ;options");
        goto out;
    }
    if (port != NULL && !parse_uint(port, 1, 65535, &out->port)) {
        rc = fail(err, err_size, "port must be from 1 to 65535");
        goto out;
    }
    if (path != NULL && strcmp(path, "/") != 0 && strcmp(path, "") != 0 &&
        (path[0] != '/' || !parse_uint(path + 1, 0, DB_MAX, &out->db))) {
        rc = fail(err, err_size, "the path must be empty or a database number from 0 to %d", DB_MAX);
        goto out;
    }
    /* "redis://secret@host": the lone part is the password, as redis-cli reads it */
    if (out->password == NULL && out->user != NULL) {
        out->password = out->user;
        out->user = NULL;
    } else if (out->user != NULL && out->user[0] == '\0') {
        free(out->user);
        out->user = NULL;
    }
    out->host = host_of(host, zone);
    rc = 0;
out:
    if (rc != 0)
        core_redis_url_cleanup(out);
    curl_url_cleanup(u);
    free(host);
    free(zone);
    free(port);
    free(path);
    free(query);
    free(fragment);
    free(options);
    return rc;
}

static void free_secret(char *s)
{
    if (s != NULL)
        sodium_memzero(s, strlen(s));
    free(s);
}

void core_redis_url_cleanup(core_redis_url_t *out)
{
    free(out->host);
    free_secret(out->user);
    free_secret(out->password);
    memset(out, 0, sizeof(*out));
}
