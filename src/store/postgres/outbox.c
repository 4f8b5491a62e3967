/*
 * This file implements the outbox of the PostgreSQL backend: the insert that
 * user.c and otp.c run inside their own transactions, so a change and the
 * email it causes commit together, and the sender's side. A claim is one
 * statement: it picks due rows with FOR UPDATE SKIP LOCKED (two senders, in
 * one process or several, never wait for or share a row) and sets their
 * lease, so a sender that dies mid-delivery only delays its mail until the
 * lease ends. A sent or given-up row loses its body (it may carry a one-time
 * code) in the statement that marks it; the purge deletes such rows later.
 */
#include <stdlib.h>

#include "core/clock.h"
#include "core/error.h"
#include "store/postgres/postgres.h"

static const char SQL_INSERT[] = "INSERT INTO outbox (recipient, subject, body, created_at, next_attempt_at, "
                                 "traceparent) VALUES ($1, $2, $3, $4, $4, $5)";
/* the WHERE repeats outbox_due's condition so the partial index serves it */
static const char SQL_CLAIM[] =
    "WITH due AS (SELECT id FROM outbox WHERE sent_at IS NULL AND NOT gave_up AND next_attempt_at <= $1 "
    "AND (lease_until IS NULL OR lease_until <= $1) ORDER BY next_attempt_at, id LIMIT $3 FOR UPDATE SKIP LOCKED), "
    "leased AS (UPDATE outbox o SET lease_until = $2 FROM due WHERE o.id = due.id "
    "RETURNING o.id, o.recipient, o.subject, o.body, o.attempts, o.created_at, o.next_attempt_at, o.traceparent) "
    "SELECT id, recipient, subject, body, attempts, created_at, traceparent FROM leased "
    "ORDER BY next_attempt_at, id";
static const char SQL_SENT[] = "UPDATE outbox SET sent_at = $2, lease_until = NULL, body = '' WHERE id = $1";
static const char SQL_RETRY[] = "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = $2, last_error = $3, "
                                "lease_until = NULL, gave_up = $4, body = CASE WHEN $4 THEN '' ELSE body END "
                                "WHERE id = $1";
/* the two conditions repeat the partial indexes outbox_sent_at and outbox_gave_up */
static const char SQL_PURGE[] =
    "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NOT NULL AND sent_at <= $1 "
    "UNION ALL SELECT id FROM outbox WHERE gave_up AND created_at <= $1 LIMIT $2)";
/* mail an earlier release sent or gave up while rolled back keeps its body */
static const char SQL_BLANK[] = "UPDATE outbox SET body = '' WHERE id IN (SELECT id FROM outbox WHERE body <> '' "
                                "AND (sent_at IS NOT NULL OR gave_up) LIMIT $1)";
static const char SQL_PENDING[] = "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND NOT gave_up";

int store_pg_outbox_insert(store_pg_conn_t *c, const mail_msg_t *msg)
{
    char at[24];
    const char *params[] = {msg->recipient, msg->subject, msg->body,
                            store_pg_i64(at, msg->created_at != 0 ? msg->created_at : core_clock_now_ms()),
                            msg->traceparent};
    return store_pg_query(c, SQL_INSERT, 5, params, NULL, "outbox insert", false, NULL, NULL);
}

int store_pg_outbox_claim(store_t *base, core_pool_t *pool, int64_t now, int64_t lease_ms, size_t max,
                          mail_msg_t *out, size_t *count)
{
    char n[24], until[24], lim[24];
    const char *params[] = {store_pg_i64(n, now), store_pg_i64(until, now + lease_ms),
                            store_pg_i64(lim, max > INT64_MAX ? INT64_MAX : (int64_t)max)};
    store_pg_conn_t *c;
    PGresult *res = NULL;
    int rc;

    *count = 0;
    if (max == 0)
        return CORE_OK;
    if ((rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_PRIMARY, NULL, &c)) != CORE_OK)
        return rc;
    if ((rc = store_pg_query(c, SQL_CLAIM, 3, params, NULL, "outbox claim", false, NULL, &res)) == CORE_OK) {
        for (int i = 0; i < PQntuples(res) && *count < max; i++) {
            mail_msg_t *m = &out[(*count)++];
            m->id = store_pg_get_i64(res, i, 0);
            m->recipient = store_pg_get_str(pool, res, i, 1);
            m->subject = store_pg_get_str(pool, res, i, 2);
            m->body = store_pg_get_str(pool, res, i, 3);
            m->attempts = (int)store_pg_get_i64(res, i, 4);
            m->created_at = store_pg_get_i64(res, i, 5);
            m->traceparent = store_pg_get_str(pool, res, i, 6);
        }
    }
    PQclear(res);
    store_pg_release(c);
    return rc;
}

/* Run an UPDATE of one row; CORE_E_NOT_FOUND when it matched none. */
static int update_one(store_t *base, const char *sql, int n, const char *const *params, const char *op)
{
    store_pg_conn_t *c;
    PGresult *res = NULL;
    int rc;

    if ((rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_PRIMARY, NULL, &c)) != CORE_OK)
        return rc;
    rc = store_pg_query(c, sql, n, params, NULL, op, false, NULL, &res);
    if (rc == CORE_OK && store_pg_changes(res) == 0)
        rc = CORE_E_NOT_FOUND;
    PQclear(res);
    store_pg_release(c);
    return rc;
}

int store_pg_outbox_sent(store_t *base, int64_t id, int64_t now)
{
    char i[24], n[24];
    const char *params[] = {store_pg_i64(i, id), store_pg_i64(n, now)};
    return update_one(base, SQL_SENT, 2, params, "outbox sent");
}

int store_pg_outbox_retry(store_t *base, int64_t id, int64_t next_attempt_at, const char *error, bool give_up)
{
    char i[24], next[24];
    const char *params[] = {store_pg_i64(i, id), store_pg_i64(next, next_attempt_at), error,
                            give_up ? "true" : "false"};
    return update_one(base, SQL_RETRY, 4, params, "outbox retry");
}

int store_pg_outbox_pending(store_t *base, int64_t *count)
{
    store_pg_conn_t *c;
    PGresult *res = NULL;
    int rc;

    *count = 0;
    if ((rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_PRIMARY, NULL, &c)) != CORE_OK)
        return rc;
    if ((rc = store_pg_query(c, SQL_PENDING, 0, NULL, NULL, "outbox pending", false, NULL, &res)) == CORE_OK)
        *count = store_pg_get_i64(res, 0, 0);
    PQclear(res);
    store_pg_release(c);
    return rc;
}

int store_pg_outbox_purge(store_t *base, int64_t before, int max, int *deleted)
{
    char b[24], n[24];
    const char *params[] = {store_pg_i64(b, before), store_pg_i64(n, max)};
    store_pg_conn_t *c;
    PGresult *res = NULL;
    int rc;

    *deleted = 0;
    if ((rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_PRIMARY, NULL, &c)) != CORE_OK)
        return rc;
    if ((rc = store_pg_query(c, SQL_BLANK, 1, params + 1, NULL, "outbox blank", false, NULL, &res)) == CORE_OK)
        *deleted = (int)store_pg_changes(res);
    PQclear(res);
    res = NULL;
    if (rc == CORE_OK &&
        (rc = store_pg_query(c, SQL_PURGE, 2, params, NULL, "outbox purge", false, NULL, &res)) == CORE_OK)
        *deleted += (int)store_pg_changes(res);
    PQclear(res);
    store_pg_release(c);
    return rc;
}
