/*
 * This file implements SMTP delivery for smtp.h with one libcurl easy handle
 * per message: the rendered message (message.c) is uploaded from memory,
 * libcurl speaks the protocol, dot-stuffs the data and negotiates TLS. Only
 * the smtp and smtps protocols are enabled, so a mistyped SMTP_URL cannot
 * make the sender talk HTTP. Verbose output stays off: it would print the
 * AUTH exchange and the body, which carries one-time passwords.
 */
#include "mail/smtp.h"

#include <curl/curl.h>
#include <strings.h>

#include "core/error.h"
#include "mail/message.h"

typedef struct {
    const char *p;
    size_t left;
} upload_t;

static size_t read_cb(char *dst, size_t size, size_t nitems, void *userdata)
{
    upload_t *up = userdata;
    size_t n = size * nitems < up->left ? size * nitems : up->left;

    memcpy(dst, up->p, n);
    up->p += n;
    up->left -= n;
    return n;
}

static bool has_scheme(const char *url, const char *scheme)
{
    return strncasecmp(url, scheme, strlen(scheme)) == 0;
}

/* The URL's host is this machine (a local relay, or a test's SMTP sink). */
static bool is_loopback(const char *url)
{
    CURLU *u = curl_url();
    char *host = NULL;
    bool local = false;

    if (curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK && curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK)
        local = strcmp(host, "localhost") == 0 || strncmp(host, "127.", 4) == 0 || strcmp(host, "[::1]") == 0;
    curl_free(host);
    curl_url_cleanup(u);
    return local;
}

static CURLcode configure(CURL *curl, const core_config_t *cfg, bool smtps, const char *from,
                          struct curl_slist *rcpt, upload_t *up, char *errbuf)
{
    CURLcode cc = CURLE_OK;

#define SET(opt, val)                                                                                        \
    do {                                                                                                     \
        if (cc == CURLE_OK)                                                                                  \
            cc = curl_easy_setopt(curl, opt, val);                                                           \
    } while (0)
    SET(CURLOPT_ERRORBUFFER, errbuf);
    SET(CURLOPT_URL, cfg->smtp_url);
    SET(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    /* with credentials to another machine, STARTTLS is required: "if offered"
     * would let a man in the middle strip it and read the password */
    bool creds = (cfg->smtp_user != NULL && *cfg->smtp_user != '\0') || strchr(cfg->smtp_url, '@') != NULL;
    SET(CURLOPT_USE_SSL, smtps || (creds && !is_loopback(cfg->smtp_url)) ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
    SET(CURLOPT_MAIL_FROM, from);
    SET(CURLOPT_MAIL_RCPT, rcpt);
    SET(CURLOPT_UPLOAD, 1L);
    SET(CURLOPT_READFUNCTION, read_cb);
    SET(CURLOPT_READDATA, up);
    SET(CURLOPT_CONNECTTIMEOUT_MS, MAIL_SMTP_CONNECT_TIMEOUT_MS);
    SET(CURLOPT_TIMEOUT_MS, MAIL_SMTP_TIMEOUT_MS);
    SET(CURLOPT_NOSIGNAL, 1L);
    if (cfg->smtp_user != NULL && *cfg->smtp_user != '\0')
        SET(CURLOPT_USERNAME, cfg->smtp_user);
    if (cfg->smtp_pass != NULL && *cfg->smtp_pass != '\0')
        SET(CURLOPT_PASSWORD, cfg->smtp_pass);
#undef SET
    return cc;
}

int mail_smtp_deliver(const core_config_t *cfg, core_pool_t *pool, const mail_msg_t *msg, const char **error)
{
    CURL *curl = NULL;
    struct curl_slist *rcpt = NULL;
    char errbuf[CURL_ERROR_SIZE] = "";
    core_str_t data;
    upload_t up;
    CURLcode cc;
    long reply = 0;
    bool smtps = has_scheme(cfg->smtp_url, "smtps://");
    int rc;

    if (!smtps && !has_scheme(cfg->smtp_url, "smtp://")) {
        *error = "SMTP_URL must start with smtp:// or smtps://";
        rc = CORE_E_INTERNAL;
        goto out;
    }
    if ((rc = mail_message_render(pool, cfg->mail_from, msg, &data)) != CORE_OK) {
        *error = "message refused: bad recipient, subject or MAIL_FROM";
        goto out;
    }
    up = (upload_t){data.base, data.len};
    /* render accepted both addresses, so neither can inject an SMTP command */
    const char *from = core_pool_printf(pool, "<%s>", mail_message_address(pool, cfg->mail_from));
    rcpt = curl_slist_append(NULL, core_pool_printf(pool, "<%s>", msg->recipient));
    curl = curl_easy_init();
    if (rcpt == NULL || curl == NULL || configure(curl, cfg, smtps, from, rcpt, &up, errbuf) != CURLE_OK) {
        *error = "libcurl cannot be set up for SMTP";
        rc = CORE_E_INTERNAL;
        goto out;
    }
    if ((cc = curl_easy_perform(curl)) != CURLE_OK) {
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply);
        const char *why = errbuf[0] != '\0' ? errbuf : curl_easy_strerror(cc);
        *error =
            reply > 0 ? core_pool_printf(pool, "%s (SMTP %ld)", why, reply) : core_pool_strdup(pool, why);
        rc = CORE_E_UNAVAILABLE;
    }
out:
    curl_easy_cleanup(curl);
    curl_slist_free_all(rcpt);
    return rc;
}
