/*
 * The outbox sender: one background thread that leases due emails from the
 * outbox table (store_outbox_claim), delivers them (smtp.c when SMTP_URL is
 * set, else eml.c writes .eml files under DATA_DIR/mail), and records the
 * result. Failures retry with exponential backoff (30 s doubling, capped at
 * 1 h) and give up after MAIL_OUTBOX_MAX_ATTEMPTS, so an SMTP outage or a
 * restart loses no email: unsent rows stay in the database. Mail it is done
 * with (sent or given up) keeps no body, and is deleted, with its .eml file,
 * after OUTBOX_RETENTION_MS.
 */
#ifndef MAIL_OUTBOX_H
#define MAIL_OUTBOX_H

#include "core/config.h"
#include "store/store.h"

#define MAIL_OUTBOX_MAX_ATTEMPTS 10
#define MAIL_OUTBOX_LEASE_MS (5LL * 60 * 1000)
#define MAIL_OUTBOX_POLL_MS 5000 /* also picks up mail queued by other instances */

/* Start the sender thread. It takes ownership of store (a session of its
 * own) and closes it on stop. Returns CORE_OK or CORE_E_INTERNAL. Call once,
 * from the main thread. */
int mail_outbox_start(const core_config_t *cfg, store_t *store);

/* Ask the sender to look at the outbox now instead of at its next poll.
 * Cheap, thread-safe, callable from event loops; a no-op when not started. */
void mail_outbox_wake(void);

/* Deliver what is due right now, then stop the thread and close its store.
 * Mail that cannot be sent stays queued for the next start. Main thread. */
void mail_outbox_stop(void);

#endif
