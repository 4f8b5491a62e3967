/*
 * Delivery to an SMTP server (SMTP_URL) with libcurl: smtp:// upgrades with
 * STARTTLS when the server offers it, smtps:// is TLS from the first byte;
 * SMTP_USER and SMTP_PASS log in when set. Called by the outbox sender
 * thread only; blocks for at most the connect (10 s) and total (30 s)
 * timeouts. curl_global_init() must have run (main.c does it).
 */
#ifndef MAIL_SMTP_H
#define MAIL_SMTP_H

#include "core/config.h"
#include "core/pool.h"
#include "mail/mail.h"

#define MAIL_SMTP_CONNECT_TIMEOUT_MS 10000L
#define MAIL_SMTP_TIMEOUT_MS 30000L

/* Render msg (From: cfg->mail_from) and send it to msg->recipient through
 * cfg->smtp_url. Returns CORE_OK once the server accepted the message;
 * CORE_E_VALIDATION when the message cannot be rendered (retrying will not
 * help); CORE_E_UNAVAILABLE when the transfer failed; CORE_E_INTERNAL for a
 * bad SMTP_URL scheme or a libcurl failure. On failure *error gets a short
 * reason for the outbox (libcurl's message and the SMTP reply code), static
 * or from pool; it never holds the body or the password. */
int mail_smtp_deliver(const core_config_t *cfg, core_pool_t *pool, const mail_msg_t *msg, const char **error);

#endif
