/*
 * The emails the accounts API sends, with the same subjects and wording as
 * the original app. Each fills *out with strings allocated from pool; out->id
 * is 0 until the outbox stores it. name, email and code must already be
 * validated (no CR or LF can reach a header: templates put only the
 * recipient address in headers, never the name).
 */
#ifndef MAIL_TEMPLATES_H
#define MAIL_TEMPLATES_H

#include "core/pool.h"
#include "mail/mail.h"

void mail_template_welcome(core_pool_t *pool, const char *name, const char *email, mail_msg_t *out);
void mail_template_verify_otp(core_pool_t *pool, const char *name, const char *email, const char *code,
                              mail_msg_t *out);
void mail_template_reset_otp(core_pool_t *pool, const char *name, const char *email, const char *code,
                             mail_msg_t *out);

#endif
