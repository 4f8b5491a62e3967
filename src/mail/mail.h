/*
 * An email as the outbox stores it and the sender delivers it. Plain text,
 * UTF-8, one recipient. Strings belong to whoever filled the struct (usually a
 * request pool).
 */
#ifndef MAIL_MAIL_H
#define MAIL_MAIL_H

#include <stdint.h>

typedef struct mail_msg {
    int64_t id; /* outbox row id; 0 before it is stored */
    const char *recipient;
    const char *subject;
    const char *body;
    int attempts; /* delivery attempts so far */
    int64_t created_at;
    const char *traceparent; /* W3C traceparent of the traced request that queued it, or NULL */
} mail_msg_t;

#endif
