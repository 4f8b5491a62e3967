/*
 * The storage interface. Handlers and background jobs talk to the database
 * only through these functions; there is no SQL outside src/store/. A backend
 * (sqlite/, later postgres/) fills a store_ops_t table, like redis'
 * ConnectionType hides TCP and TLS.
 *
 * A store_t is one session with the database, used by one thread at a time:
 * every event-loop and worker thread opens its own. Each function is one
 * transaction: when it also takes a mail_msg_t, the email enters the outbox
 * in that same transaction, so a change and the mail it causes are committed
 * together or not at all.
 *
 * Every function returns CORE_OK or a CORE_E_* code (core/error.h):
 * CORE_E_NOT_FOUND when a row is absent, CORE_E_UNAVAILABLE when the database
 * cannot be reached in time, CORE_E_INTERNAL for anything else (logged by the
 * backend). A constraint the data breaks is never CORE_E_INTERNAL: a foreign
 * key is CORE_E_NOT_FOUND (the row pointed to is gone), a unique index
 * CORE_E_CONFLICT (or the operation's own code, CORE_E_USER_EXISTS), a check
 * or not-null CORE_E_VALIDATION, so none reaches a client as a 500. Strings returned through out-parameters are allocated from the
 * caller's pool.
 *
 * Every write that changes state kept outside the database (caches, the
 * read-your-writes marks of other instances, revocations in the kv backend)
 * passes through the inline wrappers below, which report it once it has
 * committed to the process's write hook (store_hooks_set): that hook, not
 * the handlers, keeps that state in step. The store itself knows nothing of
 * the kv layer.
 */
#ifndef STORE_STORE_H
#define STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/error.h"
#include "core/pool.h"
#include "core/uuid.h"
#include "mail/mail.h"
#include "store/task.h"

typedef struct store store_t;

typedef struct store_user {
    char id[CORE_UUID_LEN + 1];
    const char *name;
    const char *email; /* normalized: trimmed, lowercase */
    const char *password_hash;
    bool is_account_verified;
    int64_t created_at; /* ms since the epoch */
    int64_t updated_at;
} store_user_t;

enum store_otp_purpose { STORE_OTP_VERIFY = 0, STORE_OTP_RESET = 1 };

#define STORE_OTP_HASH_LEN 32

typedef struct store_otp {
    uint8_t hash[STORE_OTP_HASH_LEN];
    int64_t expires_at;
    int attempts; /* including the attempt that returned this row */
} store_otp_t;

/* Idempotency-Key reservations (http/idempotency.c): one row per user and
 * key, holding the request's fingerprint and, once it answered, the answer. */
#define STORE_IDEM_FINGERPRINT_LEN 64 /* hex of a 32-byte hash */

typedef struct store_idem_key {
    const char *user_id;
    const char *key;         /* 1-255 printable ASCII characters */
    const char *fingerprint; /* STORE_IDEM_FINGERPRINT_LEN hex digits: method, path and body */
    int64_t token;           /* random: tells this reservation from one that later took the key over */
} store_idem_key_t;

enum store_idem_state {
    STORE_IDEM_RESERVED = 0, /* the key is the caller's now: run the request, then finish or release */
    STORE_IDEM_DONE,         /* the same request answered before: replay status and body */
    STORE_IDEM_RUNNING,      /* the same request holds the key now (or just took it over) */
    STORE_IDEM_MISMATCH,     /* the key was used with another request */
};

typedef struct store_idem_answer {
    enum store_idem_state state;
    int status;       /* STORE_IDEM_DONE: the status sent */
    const char *body; /* STORE_IDEM_DONE: the body sent, from the caller's pool */
    size_t body_len;
} store_idem_answer_t;

struct store_admin_ops; /* store/admin.h: backups, imports, account deletion */

typedef void (*store_token_revocation_cb)(void *ctx, const char *jti, int64_t expires_at);
typedef void (*store_user_revocation_cb)(void *ctx, const char *user_id, int64_t before_ms);

/* What a committed write changed, as reported to the write hook. */
enum store_write_kind {
    STORE_WROTE_TASKS,            /* a task of user_id was created, changed or deleted */
    STORE_WROTE_USER,             /* user_id's account row was created or changed */
    STORE_WROTE_TOKEN_REVOKED,    /* jti is revoked until `at` (ms) */
    STORE_WROTE_SESSIONS_REVOKED, /* user_id's tokens issued at or before `at` (ms) are revoked */
};

typedef struct store_write {
    enum store_write_kind kind;
    const char *user_id; /* NULL for STORE_WROTE_TOKEN_REVOKED */
    const char *jti;     /* STORE_WROTE_TOKEN_REVOKED only */
    int64_t at;
    int64_t ryw_ms; /* > 0: reads of user_id may go to replicas, which must not serve them for this long */
} store_write_t;

/* The process's write hook, and the question a backend with replicas asks
 * before it sends a user's read to one. */
typedef struct store_hooks {
    void *ctx;
    /* s committed w (s is free for another operation). Any thread that runs
     * store operations. */
    void (*written)(void *ctx, store_t *s, const store_write_t *w);
    /* *yes = user_id wrote within the read-your-writes window on any
     * instance. CORE_OK, or CORE_E_UNAVAILABLE when it cannot tell. */
    int (*wrote_recently)(void *ctx, const char *user_id, bool *yes);
} store_hooks_t;

typedef struct store_ops {
    const char *name; /* "sqlite" */
    void (*close)(store_t *s);
    int (*migrate)(store_t *s, int *applied);
    int (*ping)(store_t *s);
    /* Optional (NULL: not offered): one transaction around several operations. */
    int (*batch_begin)(store_t *s);
    int (*batch_end)(store_t *s);
    /* Optional: one read transaction around several reads (store_snapshot_begin). */
    int (*snapshot_begin)(store_t *s);
    void (*snapshot_end)(store_t *s);

    int (*user_create)(store_t *s, const store_user_t *user, const mail_msg_t *welcome);
    int (*user_find_by_email)(store_t *s, core_pool_t *pool, const char *email, store_user_t *out);
    int (*user_find_by_id)(store_t *s, core_pool_t *pool, const char *id, store_user_t *out);
    int (*user_exists)(store_t *s, const char *id, bool *exists);
    int (*user_set_password_hash)(store_t *s, const char *id, const char *password_hash);

    int (*otp_put)(store_t *s, const char *user_id, enum store_otp_purpose purpose,
                   const uint8_t hash[STORE_OTP_HASH_LEN], int64_t expires_at, const mail_msg_t *mail);
    int (*otp_attempt)(store_t *s, const char *user_id, enum store_otp_purpose purpose, int max_attempts,
                       store_otp_t *out);
    int (*user_verify)(store_t *s, const char *user_id, const uint8_t otp_hash[STORE_OTP_HASH_LEN]);
    int (*user_reset_password)(store_t *s, const char *user_id, const uint8_t otp_hash[STORE_OTP_HASH_LEN],
                               const char *password_hash);

    int (*token_revoke)(store_t *s, const char *jti, int64_t expires_at);
    int (*user_sessions_revoke)(store_t *s, const char *user_id, int64_t before_ms);
    int (*revocations_load)(store_t *s, int64_t now, store_token_revocation_cb token_cb,
                            store_user_revocation_cb user_cb, void *ctx);
    int (*revocations_purge)(store_t *s, int64_t now);
    int (*revocation_check)(store_t *s, const char *jti, const char *user_id, int64_t issued_at_ms, bool *revoked);

    int (*outbox_claim)(store_t *s, core_pool_t *pool, int64_t now, int64_t lease_ms, size_t max,
                        mail_msg_t *out, size_t *count);
    int (*outbox_sent)(store_t *s, int64_t id, int64_t now);
    int (*outbox_retry)(store_t *s, int64_t id, int64_t next_attempt_at, const char *error, bool give_up);
    int (*outbox_pending)(store_t *s, int64_t *count);
    int (*outbox_purge)(store_t *s, int64_t before, int max, int *deleted);

    int (*idempotency_begin)(store_t *s, core_pool_t *pool, const store_idem_key_t *k, int64_t now,
                             int64_t lease_ms, int64_t ttl_ms, store_idem_answer_t *out);
    int (*idempotency_finish)(store_t *s, const store_idem_key_t *k, int status, const char *body, size_t len);
    int (*idempotency_release)(store_t *s, const store_idem_key_t *k);
    int (*idempotency_purge)(store_t *s, int64_t now, int max, int *deleted);

    int (*task_create)(store_t *s, store_task_t *task);
    int (*task_get)(store_t *s, core_pool_t *pool, const char *user_id, const char *id, store_task_t *out);
    int (*task_update)(store_t *s, core_pool_t *pool, const char *user_id, const char *id,
                       const store_task_patch_t *patch, int64_t now_ms, store_task_t *out);
    int (*task_delete)(store_t *s, const char *user_id, const char *id);
    int (*task_restore)(store_t *s, core_pool_t *pool, const char *user_id, const char *id, int64_t since,
                        store_task_t *out);
    int (*task_trash_list)(store_t *s, core_pool_t *pool, const char *user_id, int64_t since, size_t limit,
                           int64_t offset, store_task_page_t *out);
    int (*task_trash_purge)(store_t *s, int64_t before, int max, int *deleted);
    int (*task_list)(store_t *s, core_pool_t *pool, const store_task_query_t *q, store_task_page_t *out);
    int (*task_stats)(store_t *s, const char *user_id, int64_t now_ms, store_task_stats_t *out);

    const struct store_admin_ops *admin; /* operator operations (store/admin.h) */
} store_ops_t;

typedef struct store_deferred store_deferred_t;

struct store {
    const store_ops_t *ops;
    int64_t ryw_ms; /* > 0 when reads may go to replicas: see store_write_t */
    /* inside a batch: writes reported to the hook once it commits (store.c) */
    bool in_batch;
    store_deferred_t *deferred;
    size_t ndeferred, deferred_cap;
};

/* Group commit: between store_batch_begin and store_batch_end every
 * operation of s runs inside one transaction, each in a savepoint of its own
 * (an operation that fails is undone alone, the others stay), and nothing is
 * durable, seen by other sessions or reported to the write hook before
 * store_batch_end commits them all. Its error means none of them happened.
 * Only where store_batch_offered(s); the thread that owns s. */
static inline bool store_batch_offered(const store_t *s)
{
    return s->ops->batch_begin != NULL;
}

/* CORE_OK, or the error of a transaction that could not start (then no
 * batch is open). */
int store_batch_begin(store_t *s);

/* Commit the batch (durably where the backend says so), then report its
 * writes to the hook; CORE_OK or the commit's error (nothing reported). */
int store_batch_end(store_t *s);

/* A read-only request's operations in one read transaction: the access
 * checks (revocation, account) and the handler's reads see one state of the
 * database, and pay for one transaction instead of one each. true when one
 * was opened (the backend offers it and it began); end it with
 * store_snapshot_end before s serves anything else or waits. A write inside
 * it ends it first and runs as usual. The thread that owns s. */
static inline bool store_snapshot_begin(store_t *s)
{
    return s->ops->snapshot_begin != NULL && s->ops->snapshot_begin(s) == CORE_OK;
}

static inline void store_snapshot_end(store_t *s)
{
    s->ops->snapshot_end(s);
}

/* Use hooks (not copied: it must stay valid until replaced) from now on;
 * NULL removes them. Install before requests are served and remove after
 * they stopped, before what the hooks use goes away. */
void store_hooks_set(const store_hooks_t *hooks);

/* Report w, which s committed, to the write hook (no-op without one). */
void store__written(store_t *s, const store_write_t *w);

/* Whether user_id wrote within the window on any instance, through the
 * hook: true also when the hook cannot tell (the primary is never stale);
 * false without a hook. Any thread. */
bool store__wrote_recently(const char *user_id);

/* Report a write of kind by user_id when rc is CORE_OK; returns rc. */
static inline int store__wrote(store_t *s, int rc, enum store_write_kind kind, const char *user_id)
{
    if (rc == CORE_OK)
        store__written(s, &(store_write_t){.kind = kind, .user_id = user_id, .ryw_ms = s->ryw_ms});
    return rc;
}

/* Open a session for DATABASE_URL ("sqlite:PATH"). *out is closed with
 * store_close(). Does not migrate. Returns CORE_OK or an error (logged). */
int store_open(const char *url, store_t **out);

/* This thread runs the event loop `loop` (an h2o evloop): from now on, the
 * operations of a network backend (PostgreSQL) called on a fiber of this
 * thread (core/fiber.h) send their statements on the loop's own
 * connections and suspend the fiber until the answer, instead of blocking
 * the thread. Operations called outside a fiber, and SQLite's, stay
 * synchronous. Detach (closing those connections) once the loop's fibers
 * have all ended, on the same thread. */
struct st_h2o_evloop_t;
void store_loop_attach(struct st_h2o_evloop_t *loop);
void store_loop_detach(void);

/* Free what a batch kept (store.c). */
void store__free_deferred(store_t *s);

static inline void store_close(store_t *s)
{
    if (s != NULL) {
        store__free_deferred(s);
        s->ops->close(s);
    }
}

/* Apply pending migrations in order, each in its own transaction; *applied
 * gets how many ran. Safe to run while other processes hold the database. */
static inline int store_migrate(store_t *s, int *applied)
{
    return s->ops->migrate(s, applied);
}

/* A cheap round trip proving the database answers (for /health). */
static inline int store_ping(store_t *s)
{
    return s->ops->ping(s);
}

/* Insert user (id, name, email, password_hash, created_at set by the caller)
 * and queue the welcome mail. CORE_E_USER_EXISTS when the email is taken. */
static inline int store_user_create(store_t *s, const store_user_t *user, const mail_msg_t *welcome)
{
    return store__wrote(s, s->ops->user_create(s, user, welcome), STORE_WROTE_USER, user->id);
}

/* Look a user up by normalized email. CORE_E_NOT_FOUND when absent. */
static inline int store_user_find_by_email(store_t *s, core_pool_t *pool, const char *email, store_user_t *out)
{
    return s->ops->user_find_by_email(s, pool, email, out);
}

static inline int store_user_find_by_id(store_t *s, core_pool_t *pool, const char *id, store_user_t *out)
{
    return s->ops->user_find_by_id(s, pool, id, out);
}

/* *exists = a user row with this id is there: the cheap check that a valid
 * token still names an account (the access phase runs it on every
 * authenticated request, so a row deleted behind our back ends its sessions).
 * PostgreSQL may answer "yes" from a replica; a "no" always comes from the
 * primary (a replica may not have replayed a sign-up yet). CORE_OK or an
 * error. */
static inline int store_user_exists(store_t *s, const char *id, bool *exists)
{
    return s->ops->user_exists(s, id, exists);
}

/* Replace a password hash without other effects (bcrypt -> argon2id upgrade). */
static inline int store_user_set_password_hash(store_t *s, const char *id, const char *password_hash)
{
    return store__wrote(s, s->ops->user_set_password_hash(s, id, password_hash), STORE_WROTE_USER, id);
}

/* Replace the user's OTP of this purpose (attempts reset to 0) and queue the
 * mail carrying it. CORE_E_NOT_FOUND when the user does not exist. */
static inline int store_otp_put(store_t *s, const char *user_id, enum store_otp_purpose purpose,
                                const uint8_t hash[STORE_OTP_HASH_LEN], int64_t expires_at,
                                const mail_msg_t *mail)
{
    return s->ops->otp_put(s, user_id, purpose, hash, expires_at, mail);
}

/* Count one attempt against the user's OTP and return it, atomically: the
 * attempt is spent before the caller compares, so concurrent guesses cannot
 * exceed max_attempts. CORE_E_NOT_FOUND when there is no OTP or its
 * max_attempts are used up (the OTP is then void). */
static inline int store_otp_attempt(store_t *s, const char *user_id, enum store_otp_purpose purpose,
                                    int max_attempts, store_otp_t *out)
{
    return s->ops->otp_attempt(s, user_id, purpose, max_attempts, out);
}

/* Consume the verify OTP whose hash the caller checked and mark the account
 * verified. CORE_E_NOT_FOUND when that OTP was consumed meanwhile. */
static inline int store_user_verify(store_t *s, const char *user_id, const uint8_t otp_hash[STORE_OTP_HASH_LEN])
{
    return store__wrote(s, s->ops->user_verify(s, user_id, otp_hash), STORE_WROTE_USER, user_id);
}

/* Consume the reset OTP and set the new password hash. CORE_E_NOT_FOUND when
 * that OTP was consumed meanwhile. */
static inline int store_user_reset_password(store_t *s, const char *user_id,
                                            const uint8_t otp_hash[STORE_OTP_HASH_LEN], const char *password_hash)
{
    return store__wrote(s, s->ops->user_reset_password(s, user_id, otp_hash, password_hash), STORE_WROTE_USER,
                        user_id);
}

/* Durably record a revoked token id until it expires (ms). Idempotent. The
 * write hook then revokes it in the kv backend, so a logout is durable
 * before any instance refuses the token from memory. */
static inline int store_token_revoke(store_t *s, const char *jti, int64_t expires_at)
{
    int rc = s->ops->token_revoke(s, jti, expires_at);
    if (rc == CORE_OK)
        store__written(s, &(store_write_t){.kind = STORE_WROTE_TOKEN_REVOKED, .jti = jti, .at = expires_at});
    return rc;
}

/* Durably revoke every token of a user issued at or before before_ms (then
 * the write hook, as for store_token_revoke). */
static inline int store_user_sessions_revoke(store_t *s, const char *user_id, int64_t before_ms)
{
    int rc = s->ops->user_sessions_revoke(s, user_id, before_ms);
    if (rc == CORE_OK)
        store__written(s, &(store_write_t){.kind = STORE_WROTE_SESSIONS_REVOKED, .user_id = user_id, .at = before_ms});
    return rc;
}

/* Call token_cb for each unexpired revoked token and user_cb for each user
 * with a sessions-revoked mark younger than a token's lifetime. */
static inline int store_revocations_load(store_t *s, int64_t now, store_token_revocation_cb token_cb,
                                         store_user_revocation_cb user_cb, void *ctx)
{
    return s->ops->revocations_load(s, now, token_cb, user_cb, ctx);
}

/* Ask the database itself whether a token is revoked (by jti, or issued at or
 * before its user's sessions were revoked): the fallback of a shared kv
 * backend that cannot be reached, so an outage never lets a revoked token in. */
static inline int store_revocation_check(store_t *s, const char *jti, const char *user_id, int64_t issued_at_ms,
                                         bool *revoked)
{
    return s->ops->revocation_check(s, jti, user_id, issued_at_ms, revoked);
}

/* Delete revocations of tokens that have expired anyway. */
static inline int store_revocations_purge(store_t *s, int64_t now)
{
    return s->ops->revocations_purge(s, now);
}

/* Lease up to max due, unsent emails for lease_ms (so a crashed sender's mail
 * is picked up again later) into out[0..*count). */
static inline int store_outbox_claim(store_t *s, core_pool_t *pool, int64_t now, int64_t lease_ms, size_t max,
                                     mail_msg_t *out, size_t *count)
{
    return s->ops->outbox_claim(s, pool, now, lease_ms, max, out, count);
}

/* Mark an email sent and blank its body (the one copy of a one-time code
 * in clear), in one statement. */
static inline int store_outbox_sent(store_t *s, int64_t id, int64_t now)
{
    return s->ops->outbox_sent(s, id, now);
}

/* Record a failed attempt; retry at next_attempt_at, or never when give_up
 * (the body is then blanked, as for a sent email). */
static inline int store_outbox_retry(store_t *s, int64_t id, int64_t next_attempt_at, const char *error,
                                     bool give_up)
{
    return s->ops->outbox_retry(s, id, next_attempt_at, error, give_up);
}

/* Emails waiting to be sent (not sent, not given up). */
static inline int store_outbox_pending(store_t *s, int64_t *count)
{
    return s->ops->outbox_pending(s, count);
}

/* Delete up to max emails that were sent at or before `before`, or given up
 * and queued at or before it, and blank up to max bodies of sent or given-up
 * emails that still hold one; *deleted gets how many rows it deleted or
 * blanked (max or more means: call again). This release blanks a body when
 * it sends or gives up (outbox_sent, a give-up), so only the envelope waits
 * for the deletion; the blanking catches mail an earlier release, rolled
 * back to, sent with its body kept. */
static inline int store_outbox_purge(store_t *s, int64_t before, int max, int *deleted)
{
    return s->ops->outbox_purge(s, before, max, deleted);
}

/* Reserve k for one request, atomically (two requests with one key: one
 * gets RESERVED, the other RUNNING): out->state is RESERVED when the key is
 * new, expired (older than ttl_ms) or held by the same request whose lease
 * ended (its process died), and the key is then held until now + lease_ms
 * and kept until now + ttl_ms; DONE with the answer when the same request
 * answered; RUNNING while it runs; MISMATCH when the key was used with
 * another fingerprint. CORE_E_NOT_AUTHORIZED when the user does not exist. */
static inline int store_idempotency_begin(store_t *s, core_pool_t *pool, const store_idem_key_t *k, int64_t now,
                                          int64_t lease_ms, int64_t ttl_ms, store_idem_answer_t *out)
{
    return s->ops->idempotency_begin(s, pool, k, now, lease_ms, ttl_ms, out);
}

/* Store the answer of the request holding k (same token), for replays:
 * status and body (len bytes, NUL-terminated: JSON text). CORE_E_NOT_FOUND
 * when the reservation is gone (taken over or purged). */
static inline int store_idempotency_finish(store_t *s, const store_idem_key_t *k, int status, const char *body,
                                           size_t len)
{
    return s->ops->idempotency_finish(s, k, status, body, len);
}

/* Drop the reservation of k (same token, no answer stored yet), so a retry
 * runs the request again. CORE_E_NOT_FOUND when it is gone already. */
static inline int store_idempotency_release(store_t *s, const store_idem_key_t *k)
{
    return s->ops->idempotency_release(s, k);
}

/* Delete up to max keys whose ttl ended at or before now; *deleted gets how
 * many. */
static inline int store_idempotency_purge(store_t *s, int64_t now, int max, int *deleted)
{
    return s->ops->idempotency_purge(s, now, max, deleted);
}

/* Insert a task (fields set by the caller, tags validated). With an empty id
 * the store assigns id, created_at and updated_at (store_task_stamp). SQLite
 * does so inside its write transaction after the user's latest task, so a
 * reader never sees a task appear before one it has already seen in
 * createdAt order; PostgreSQL stamps before the insert, so two creates of
 * one user racing on two connections may commit out of that order.
 * CORE_E_NOT_FOUND when task->user_id has no account (the foreign key). */
static inline int store_task_create(store_t *s, store_task_t *task)
{
    return store__wrote(s, s->ops->task_create(s, task), STORE_WROTE_TASKS, task->user_id);
}

/* The task id of user_id. CORE_E_NOT_FOUND when it does not exist or belongs
 * to another user: the two cases are indistinguishable to callers. */
static inline int store_task_get(store_t *s, core_pool_t *pool, const char *user_id, const char *id,
                                 store_task_t *out)
{
    return s->ops->task_get(s, pool, user_id, id, out);
}

/* Read, patch (store_task_patch_apply) and write back in one transaction;
 * *out is the task as stored. CORE_E_NOT_FOUND as for store_task_get. */
static inline int store_task_update(store_t *s, core_pool_t *pool, const char *user_id, const char *id,
                                    const store_task_patch_t *patch, int64_t now_ms, store_task_t *out)
{
    return store__wrote(s, s->ops->task_update(s, pool, user_id, id, patch, now_ms, out), STORE_WROTE_TASKS,
                        user_id);
}

/* Move the task id of user_id to the trash, in one transaction, stamped
 * deleted_at = now (the store's clock): it leaves lists, search, counts and
 * stats. A task already in the trash under that id is replaced.
 * CORE_E_NOT_FOUND as for store_task_get (a task in the trash is not found). */
static inline int store_task_delete(store_t *s, const char *user_id, const char *id)
{
    return store__wrote(s, s->ops->task_delete(s, user_id, id), STORE_WROTE_TASKS, user_id);
}

/* Move the task id of user_id, deleted after `since` (ms), back from the
 * trash with its id and fields as they were; *out is the task as stored.
 * Idempotent: a task that is not in the trash but live answers CORE_OK
 * with the task. CORE_E_NOT_FOUND when neither (never deleted, someone
 * else's, or in the trash since `since` or before: expired);
 * CORE_E_CONFLICT when a live task holds its id (an import). */
static inline int store_task_restore(store_t *s, core_pool_t *pool, const char *user_id, const char *id,
                                     int64_t since, store_task_t *out)
{
    return store__wrote(s, s->ops->task_restore(s, pool, user_id, id, since, out), STORE_WROTE_TASKS, user_id);
}

/* One page of user_id's trash deleted after `since`, last deleted first
 * (deleted_at, then id, descending), each task with deleted_at set; total
 * counts them all, more is set when a task follows. limit 1..STORE_TASK_PAGE_MAX. */
static inline int store_task_trash_list(store_t *s, core_pool_t *pool, const char *user_id, int64_t since,
                                        size_t limit, int64_t offset, store_task_page_t *out)
{
    return s->ops->task_trash_list(s, pool, user_id, since, limit, offset, out);
}

/* Delete up to max tasks of any user that went to the trash at or before
 * `before`; *deleted gets how many (max means: call again). Nothing a user
 * can see changes (they are neither listed nor restorable any more), so
 * the write hook is not told. */
static inline int store_task_trash_purge(store_t *s, int64_t before, int max, int *deleted)
{
    return s->ops->task_trash_purge(s, before, max, deleted);
}

/* One page of q->user_id's tasks matching q, in q's order. */
static inline int store_task_list(store_t *s, core_pool_t *pool, const store_task_query_t *q,
                                  store_task_page_t *out)
{
    return s->ops->task_list(s, pool, q, out);
}

/* Counts for GET /api/tasks/stats, from per-user counters where possible. */
static inline int store_task_stats(store_t *s, const char *user_id, int64_t now_ms, store_task_stats_t *out)
{
    return s->ops->task_stats(s, user_id, now_ms, out);
}

#endif
