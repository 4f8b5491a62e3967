/*
 * This file implements the outbox of the SQLite backend: the insert that
 * user.c and otp.c run inside their own transactions, so a change and the
 * email it causes commit together, and the sender's side (claim with a lease,
 * sent, retry, pending, purge). A claim leases rows instead of locking them,
 * so a sender that dies mid-delivery only delays its mail until the lease
 * ends. A sent or given-up row loses its body (it may carry a one-time code)
 * in the statement that marks it, and the purge deletes such rows later.
 */
#include "core/clock.h"
#include "core/error.h"
#include "store/sqlite/sqlite.h"

static const char SQL_INSERT[] = "INSERT INTO outbox (recipient, subject, body, created_at, next_attempt_at, "
                                 "traceparent) VALUES (?1, ?2, ?3, ?4, ?4, ?5)";
/* the WHERE repeats outbox_due's condition so the partial index serves it */
static const char SQL_DUE[] = "SELECT id, recipient, subject, body, attempts, created_at, traceparent FROM outbox "
                              "WHERE sent_at IS NULL AND gave_up = 0 AND next_attempt_at <= ?1 "
                              "AND (lease_until IS NULL OR lease_until <= ?1) "
                              "ORDER BY next_attempt_at, id LIMIT ?2";
static const char SQL_LEASE[] = "UPDATE outbox SET lease_until = ?2 WHERE id = ?1";
static const char SQL_SENT[] = "UPDATE outbox SET sent_at = ?2, lease_until = NULL, body = '' WHERE id = ?1";
static const char SQL_RETRY[] =
    "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?2, last_error = ?3, "
    "lease_until = NULL, gave_up = ?4, body = CASE WHEN ?4 THEN '' ELSE body END WHERE id = ?1";
/* the two conditions repeat the partial indexes outbox_sent_at and outbox_gave_up */
static const char SQL_PURGE[] =
    "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NOT NULL AND sent_at <= ?1 "
    "UNION ALL SELECT id FROM outbox WHERE gave_up = 1 AND created_at <= ?1 LIMIT ?2)";
/* mail an earlier release sent or gave up while rolled back keeps its body */
static const char SQL_BLANK[] =
    "UPDATE outbox SET body = '' WHERE id IN (SELECT id FROM outbox WHERE body <> '' "
    "AND (sent_at IS NOT NULL OR gave_up = 1) LIMIT ?1)";
static const char SQL_PENDING[] = "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND gave_up = 0";

int store_sqlite_outbox_insert(store_sqlite_t *s, const mail_msg_t *msg)
{
    sqlite3_stmt *stmt;
    int64_t created_at = msg->created_at != 0 ? msg->created_at : core_clock_now_ms();
    int rc;

    if ((rc = store_sqlite_prepare(s, SQL_INSERT, &stmt)) != CORE_OK)
        goto out;
    if (sqlite3_bind_text(stmt, 1, msg->recipient, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(stmt, 2, msg->subject, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_text(stmt, 3, msg->body, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(stmt, 4, created_at) != SQLITE_OK ||
        sqlite3_bind_text(stmt, 5, msg->traceparent, -1, SQLITE_STATIC) != SQLITE_OK) {
        rc = store_sqlite_bind_fail(s, stmt, "outbox insert");
        goto out;
    }
    rc = store_sqlite_step_done(s, stmt, "outbox insert", NULL);
out:
    return rc;
}

/* Read up to max due rows into out; the statement is reset on return. */
static int select_due(store_sqlite_t *s, core_pool_t *pool, int64_t now, size_t max, mail_msg_t *out,
                      size_t *count)
{
    sqlite3_stmt *stmt;
    int rc;

    if ((rc = store_sqlite_prepare(s, SQL_DUE, &stmt)) != CORE_OK)
        goto out;
    if (sqlite3_bind_int64(stmt, 1, now) != SQLITE_OK ||
        sqlite3_bind_int64(stmt, 2, max > INT64_MAX ? INT64_MAX : (int64_t)max) != SQLITE_OK) {
        rc = store_sqlite_bind_fail(s, stmt, "outbox claim");
        goto out;
    }
    while (*count < max && (rc = store_sqlite_step_row(s, stmt, "outbox claim")) == CORE_OK) {
        mail_msg_t *m = &out[(*count)++];
        m->id = sqlite3_column_int64(stmt, 0);
        m->recipient = store_sqlite_column_str(pool, stmt, 1);
        m->subject = store_sqlite_column_str(pool, stmt, 2);
        m->body = store_sqlite_column_str(pool, stmt, 3);
        m->attempts = sqlite3_column_int(stmt, 4);
        m->created_at = sqlite3_column_int64(stmt, 5);
        m->traceparent = store_sqlite_column_str(pool, stmt, 6);
    }
    if (rc == CORE_E_NOT_FOUND)
        rc = CORE_OK;
    store_sqlite_reset(stmt);
out:
    return rc;
}

static int lease(store_sqlite_t *s, int64_t id, int64_t until)
{
    sqlite3_stmt *stmt;
    int rc;

    if ((rc = store_sqlite_prepare(s, SQL_LEASE, &stmt)) != CORE_OK)
        goto out;
    if (sqlite3_bind_int64(stmt, 1, id) != SQLITE_OK || sqlite3_bind_int64(stmt, 2, until) != SQLITE_OK) {
        rc = store_sqlite_bind_fail(s, stmt, "outbox lease");
        goto out;
    }
    rc = store_sqlite_step_done(s, stmt, "outbox lease", NULL);
out:
    return rc;
}

int store_sqlite_outbox_claim(store_t *base, core_pool_t *pool, int64_t now, int64_t lease_ms, size_t max,
                              mail_msg_t *out, size_t *count)
{
    store_sqlite_t *s = store_sqlite_of(base);
    int rc;

    *count = 0;
    if (max == 0)
        return CORE_OK;
    if ((rc = store_sqlite_begin(s)) != CORE_OK)
        return rc;
    if ((rc = select_due(s, pool, now, max, out, count)) != CORE_OK)
        goto out;
    for (size_t i = 0; i < *count; i++)
        if ((rc = lease(s, out[i].id, now + lease_ms)) != CORE_OK)
            goto out;
    rc = store_sqlite_commit(s);
out:
    if (rc != CORE_OK) {
        store_sqlite_rollback(s);
        *count = 0;
    }
    return rc;
}

static int update_one(store_sqlite_t *s, sqlite3_stmt *stmt, const char *op)
{
    int rc = store_sqlite_step_done(s, stmt, op, NULL);
    if (rc == CORE_OK && sqlite3_changes(s->db) == 0)
        rc = CORE_E_NOT_FOUND;
    return rc;
}

int store_sqlite_outbox_sent(store_t *base, int64_t id, int64_t now)
{
    store_sqlite_t *s = store_sqlite_of(base);
    sqlite3_stmt *stmt;
    int rc;

    if ((rc = store_sqlite_prepare(s, SQL_SENT, &stmt)) != CORE_OK)
        goto out;
    if (sqlite3_bind_int64(stmt, 1, id) != SQLITE_OK || sqlite3_bind_int64(stmt, 2, now) != SQLITE_OK) {
        rc = store_sqlite_bind_fail(s, stmt, "outbox sent");
        goto out;
    }
    rc = update_one(s, stmt, "outbox sent");
out:
    return rc;
}

int store_sqlite_outbox_retry(store_t *base, int64_t id, int64_t next_attempt_at, const char *error,
                              bool give_up)
{
    store_sqlite_t *s = store_sqlite_of(base);
    sqlite3_stmt *stmt;
    int rc;

    if ((rc = store_sqlite_prepare(s, SQL_RETRY, &stmt)) != CORE_OK)
        goto out;
    if (sqlite3_bind_int64(stmt, 1, id) != SQLITE_OK ||
        sqlite3_bind_int64(stmt, 2, next_attempt_at) != SQLITE_OK ||
        sqlite3_bind_text(stmt, 3, error, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int(stmt, 4, give_up) != SQLITE_OK) {
        rc = store_sqlite_bind_fail(s, stmt, "outbox retry");
        goto out;
    }
    rc = update_one(s, stmt, "outbox retry");
out:
    return rc;
}

int store_sqlite_outbox_pending(store_t *base, int64_t *count)
{
    store_sqlite_t *s = store_sqlite_of(base);
    sqlite3_stmt *stmt;
    int rc;

    *count = 0;
    if ((rc = store_sqlite_prepare(s, SQL_PENDING, &stmt)) != CORE_OK)
        goto out;
    if ((rc = store_sqlite_step_row(s, stmt, "outbox pending")) == CORE_OK)
        *count = sqlite3_column_int64(stmt, 0);
    store_sqlite_reset(stmt);
out:
    return rc;
}

int store_sqlite_outbox_purge(store_t *base, int64_t before, int max, int *deleted)
{
    store_sqlite_t *s = store_sqlite_of(base);
    sqlite3_stmt *stmt;
    int rc;

    *deleted = 0;
    if ((rc = store_sqlite_begin(s)) != CORE_OK)
        return rc;
    if ((rc = store_sqlite_prepare(s, SQL_BLANK, &stmt)) != CORE_OK)
        goto out;
    if (sqlite3_bind_int(stmt, 1, max) != SQLITE_OK) {
        rc = store_sqlite_bind_fail(s, stmt, "outbox blank");
        goto out;
    }
    if ((rc = store_sqlite_step_done(s, stmt, "outbox blank", NULL)) != CORE_OK)
        goto out;
    *deleted = sqlite3_changes(s->db);
    if ((rc = store_sqlite_prepare(s, SQL_PURGE, &stmt)) != CORE_OK)
        goto out;
    if (sqlite3_bind_int64(stmt, 1, before) != SQLITE_OK || sqlite3_bind_int(stmt, 2, max) != SQLITE_OK) {
        rc = store_sqlite_bind_fail(s, stmt, "outbox purge");
        goto out;
    }
    if ((rc = store_sqlite_step_done(s, stmt, "outbox purge", NULL)) == CORE_OK)
        *deleted += sqlite3_changes(s->db);
out:
    if (rc == CORE_OK)
        rc = store_sqlite_commit(s);
    else
        store_sqlite_rollback(s);
    if (rc != CORE_OK)
        *deleted = 0;
    return rc;
}
