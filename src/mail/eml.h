/*
 * Delivery without an SMTP server: each message is written as an .eml file
 * (the bytes SMTP would carry) under DATA_DIR/mail, for development, tests
 * and set-ups where another process picks the files up. The files carry
 * one-time codes: they are private to the server's user and deleted after
 * OUTBOX_RETENTION_MS, like the outbox rows. Called by the outbox sender
 * (its thread, or the main thread at its start) only; blocking file I/O.
 */
#ifndef MAIL_EML_H
#define MAIL_EML_H

#include <stdint.h>

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

/* At start: tighten every .eml file under cfg->data_dir/mail to 0600 (one
 * log line per file changed) and warn when the directory is open to others. */
void mail_eml_secure(const core_config_t *cfg);

/* Delete the .eml files under cfg->data_dir/mail whose name says they were
 * queued before before_ms (<created_at>-<id>.eml; other files are left
 * alone); *deleted gets how many. Nothing to do when the directory is
 * missing. */
void mail_eml_purge(const core_config_t *cfg, int64_t before_ms, int64_t *deleted);

#endif
