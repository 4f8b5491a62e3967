/*
 * This file implements the three emails of templates.h with the subjects and
 * sentences of the original Express app, after a "Hello <name>," line. It
 * only builds strings in the caller's pool: the outbox stores the result and
 * message.c turns it into an RFC 5322 message (CRLF, encodings) at delivery.
 * Only the subject and the recipient address reach headers; the name and the
 * code stay in the body.
 */
#include "mail/templates.h"

#include "core/clock.h"
#include "trace/scope.h"

/* The body's first line; a missing name still gives a greeting. */
static const char *greeting(core_pool_t *pool, const char *name)
{
    if (name == NULL || *name == '\0')
        return "Hello,";
    return core_pool_printf(pool, "Hello %s,", name);
}

static void fill(core_pool_t *pool, const char *email, const char *subject, const char *body, mail_msg_t *out)
{
    out->id = 0;
    out->recipient = core_pool_strdup(pool, email);
    out->subject = subject;
    out->body = body;
    out->attempts = 0;
    out->created_at = core_clock_now_ms();
    out->traceparent = trace_scope_traceparent(pool); /* the delivery span links back to this request */
}

void mail_template_welcome(core_pool_t *pool, const char *name, const char *email, mail_msg_t *out)
{
    const char *body =
        core_pool_printf(pool,
                         "%s\n\nWelcome to LSF Tasks website. Your account has been created with "
                         "email id: %s\n",
                         greeting(pool, name), email);
    fill(pool, email, "Welcome to LSF Tasks", body, out);
}

void mail_template_verify_otp(core_pool_t *pool, const char *name, const char *email, const char *code,
                              mail_msg_t *out)
{
    const char *body = core_pool_printf(pool, "%s\n\nYour OTP is %s. Verify your account using this OTP.\n",
                                        greeting(pool, name), code);
    fill(pool, email, "Account Verification OTP", body, out);
}

void mail_template_reset_otp(core_pool_t *pool, const char *name, const char *email, const char *code,
                             mail_msg_t *out)
{
    const char *body = core_pool_printf(pool,
                                        "%s\n\nYour OTP for resetting your password is %s. Use this OTP to "
                                        "proceed with resetting your password.\n",
                                        greeting(pool, name), code);
    fill(pool, email, "Password Reset OTP", body, out);
}
