/*
 * This file implements the HTTP side of `lsf-server healthcheck` (main.c):
 * it turns HOST and PORT into the URL the server can be reached on from
 * inside its own container or machine, and asks it once with libcurl. The
 * answer's body is read and dropped; only the status counts. Proxies from
 * the environment (http_proxy) are ignored: the server is local.
 */
#include "http/healthcheck.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

/* The host part of the URL: loopback for a wildcard, brackets for IPv6. */
static void url_host(const char *host, char *out, size_t len)
{
    if (host == NULL || *host == '\0' || strcmp(host, "0.0.0.0") == 0 || strcmp(host, "*") == 0)
        snprintf(out, len, "127.0.0.1");
    else if (strcmp(host, "::") == 0 || strcmp(host, "[::]") == 0)
        snprintf(out, len, "[::1]");
    else if (strchr(host, ':') != NULL && host[0] != '[')
        snprintf(out, len, "[%s]", host);
    else
        snprintf(out, len, "%s", host);
}

static size_t discard_cb(char *data, size_t size, size_t nmemb, void *userdata)
{
    (void)data;
    (void)userdata;
    return size * nmemb;
}

int http_healthcheck_get(const core_config_t *cfg, const char *path, long timeout_ms, char *why,
                         size_t why_len)
{
    char host[300], url[400];
    long status = 0;
    CURL *curl = curl_easy_init();

    snprintf(why, why_len, "%s", "");
    if (curl == NULL) {
        snprintf(why, why_len, "%s", "libcurl failed to initialize");
        return 0;
    }
    url_host(cfg->host, host, sizeof(host));
    snprintf(url, sizeof(url), "http://%s:%d%s", host, cfg->port, path);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
    curl_easy_setopt(curl, CURLOPT_PROXY, ""); /* never a proxy from the environment */
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
    curl_easy_setopt(curl, CURLOPT_USERAGENT, "lsf-server-healthcheck");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_cb);
    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    else
        snprintf(why, why_len, "%s: %s", url, curl_easy_strerror(rc));
    curl_easy_cleanup(curl);
    return (int)status;
}
