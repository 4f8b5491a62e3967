/*
 * Delivery without an SMTP server: each message is written as an .eml file
 * (the bytes SMTP would carry) under DATA_DIR/mail, for development, tests
 * and set-ups where another process picks the files up. Called by the
 * outbox sender thread only; blocking file I/O.
 */
#ifndef MAIL_EML_H
#define MAIL_EML_H

#include "core/config.h"
#include "core/pool.h"
#include "mail/mail.h"

/* Render msg (From: cfg->mail_from) and write it atomically, mode 0600, to
 * cfg->data_dir/mail/<created_at>-<id>.eml, creating the directory (0700).
 * Returns CORE_OK; CORE_E_VALIDATION when the message cannot be rendered
 * (retrying will not help); CORE_E_INTERNAL when the file cannot be written.
 * On failure *error gets a short reason (static or from pool) without the
 * body. */
int mail_eml_deliver(const core_config_t *cfg, core_pool_t *pool, const mail_msg_t *msg, const char **error);

#endif
