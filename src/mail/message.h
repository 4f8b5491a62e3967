/*
 * Turning a mail_msg_t into the bytes of an RFC 5322 message, shared by the
 * SMTP sender and the .eml writer so both deliver the same thing. Headers:
 * Date, From, To, Subject (RFC 2047 encoded words when not ASCII),
 * Message-ID, MIME-Version, Content-Type text/plain UTF-8, a
 * Content-Transfer-Encoding (7bit, 8bit, or quoted-printable for lines longer
 * than SMTP allows) and Auto-Submitted. Lines end in CRLF; SMTP dot-stuffing
 * is left to libcurl. Thread-safe (libsodium must be initialized).
 */
#ifndef MAIL_MESSAGE_H
#define MAIL_MESSAGE_H

#include "core/pool.h"
#include "core/str.h"
#include "mail/mail.h"

/* The bare address of a From value ("LSF Tasks <no-reply@x.org>" ->
 * "no-reply@x.org", "a@b.org" -> itself), from pool; NULL when from holds no
 * usable address (empty, several, control characters, no '@'). */
const char *mail_message_address(core_pool_t *pool, const char *from);

/* True when s is one bare address that is safe in a header and an SMTP
 * command: one '@' with text on both sides, no spaces, control characters
 * or address syntax ("<>(),;:\\\"[]"). */
bool mail_message_address_ok(const char *s);

/* Render msg as sent by from (MAIL_FROM, "Name <addr>" or "addr") into *out,
 * allocated from pool. Date is msg->created_at (now when 0); the Message-ID is
 * random at the domain of from. Returns CORE_OK, or CORE_E_VALIDATION when a
 * header could be injected or is malformed: a recipient that is not one safe
 * address, a subject with control characters or invalid UTF-8, a from
 * without a usable address. */
int mail_message_render(core_pool_t *pool, const char *from, const mail_msg_t *msg, core_str_t *out);

#endif
