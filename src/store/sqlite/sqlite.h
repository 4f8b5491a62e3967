/*
 * Internals of the SQLite backend of store.h, shared by the files of
 * src/store/sqlite/ and by its unit tests; nothing outside src/store/ includes
 * this. A store_sqlite_t is one connection (opened with SQLITE_OPEN_NOMUTEX,
 * so it must stay on one thread at a time) plus its cache of prepared
 * statements. Every function here is for that connection's thread only.
 *
 * Statements are identified by the address of their SQL text: each file keeps
 * its SQL in `static const char SQL_X[]` arrays and passes SQL_X to
 * store_sqlite_prepare(), which prepares it on first use and returns the
 * cached statement afterwards. A statement is handed back with
 * store_sqlite_reset() (or through the step helpers, which reset it).
 */
#ifndef STORE_SQLITE_SQLITE_H
#define STORE_SQLITE_SQLITE_H

#include <sqlite3.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pool.h"
#include "mail/mail.h"
#include "store/admin.h"
#include "store/store.h"

#define STORE_SQLITE_BUSY_TIMEOUT_MS 5000

typedef struct store_sqlite_slot {
    const void *key; /* compared by address: the SQL text itself, or a key of a family of statements */
    sqlite3_stmt *stmt;
} store_sqlite_slot_t;

typedef struct store_sqlite {
    store_t base; /* first, so a store_t * is a store_sqlite_t * */
    sqlite3 *db;
    store_sqlite_slot_t *slots;
    size_t nslots;
    size_t cap;
    bool writing;   /* holds the process's writer mutex (conn.c) */
    bool batch;     /* inside store_batch_begin: each operation's transaction is a savepoint */
    bool savepoint; /* an operation's savepoint is open */
    bool batch_configured; /* batch_begin set the connection up for batches */
    bool snapshot;  /* inside store_snapshot_begin: reads join its transaction */
} store_sqlite_t;

static inline store_sqlite_t *store_sqlite_of(store_t *s)
{
    return (store_sqlite_t *)s;
}

/* conn.c */

/* Open (creating it and its parent directory) the database file at path and
 * set the connection up. *out is closed with store_close(). */
int store_sqlite_open(const char *path, store_t **out);

/* The cached statement for sql (a static array; see above). CORE_OK or
 * CORE_E_INTERNAL (logged). */
int store_sqlite_prepare(store_sqlite_t *s, const char *sql, sqlite3_stmt **out);

/* The same for SQL built at run time: key (any address that stays fixed,
 * one per distinct sql) finds the statement, sql prepares it the first time.
 * With sql NULL, *out is the cached statement or NULL (CORE_OK either way):
 * a caller builds the SQL only when it is not cached yet. */
int store_sqlite_prepare_keyed(store_sqlite_t *s, const void *key, const char *sql, sqlite3_stmt **out);

/* Make a cached statement ready for its next use. NULL is allowed. */
void store_sqlite_reset(sqlite3_stmt *stmt);

/* Turn a failed SQLite result code into a CORE_E_* code: the busy timeout
 * expired -> CORE_E_UNAVAILABLE (logged as a warning); a constraint ->
 * store_sqlite_constraint_code() (logged as a warning: the data, not the
 * database, is at fault); anything else -> CORE_E_INTERNAL logged with
 * sqlite3_errmsg() and op. Call it before the statement is reset, which
 * would replace the error message. */
int store_sqlite_fail(store_sqlite_t *s, int rc, const char *op);

/* The 4xx of an extended SQLITE_CONSTRAINT_* code: foreign key ->
 * CORE_E_NOT_FOUND (the row it points to is gone; callers say what that means
 * to them), check / not null / datatype -> CORE_E_VALIDATION, unique and the
 * rest -> CORE_E_CONFLICT. */
int store_sqlite_constraint_code(int rc);

/* For when a sqlite3_bind_*() call failed: reset stmt, then as
 * store_sqlite_fail() with the connection's error. */
int store_sqlite_bind_fail(store_sqlite_t *s, sqlite3_stmt *stmt, const char *op);

/* Step a statement that returns no rows, then reset it. CORE_OK, or the
 * error of store_sqlite_fail(). When constraint is not NULL, a constraint
 * violation is expected: it returns CORE_E_CONFLICT without logging and puts
 * the extended code (SQLITE_CONSTRAINT_UNIQUE, ...) in *constraint for the
 * caller to translate. */
int store_sqlite_step_done(store_sqlite_t *s, sqlite3_stmt *stmt, const char *op, int *constraint);

/* Step a statement expected to return one row: CORE_OK with the row ready to
 * read (the caller resets the statement afterwards), or CORE_E_NOT_FOUND /
 * an error, the statement already reset. */
int store_sqlite_step_row(store_sqlite_t *s, sqlite3_stmt *stmt, const char *op);

/* BEGIN IMMEDIATE (waiting up to the busy timeout for the write lock), COMMIT,
 * and ROLLBACK (a no-op when SQLite already ended the transaction). */
int store_sqlite_begin(store_sqlite_t *s);
int store_sqlite_commit(store_sqlite_t *s);
void store_sqlite_rollback(store_sqlite_t *s);

/* A read transaction (BEGIN DEFERRED) so several SELECTs see one snapshot,
 * and its end (a no-op when none is open). */
int store_sqlite_read_begin(store_sqlite_t *s);
void store_sqlite_read_end(store_sqlite_t *s);

/* Column col of the current row copied into pool, NULL for SQL NULL. */
char *store_sqlite_column_str(core_pool_t *pool, sqlite3_stmt *stmt, int col);

/* migrate.c */
int store_sqlite_migrate(store_t *s, int *applied);

/* user.c */
int store_sqlite_user_create(store_t *s, const store_user_t *user, const mail_msg_t *welcome);
int store_sqlite_user_find_by_email(store_t *s, core_pool_t *pool, const char *email, store_user_t *out);
int store_sqlite_user_find_by_id(store_t *s, core_pool_t *pool, const char *id, store_user_t *out);
int store_sqlite_user_exists(store_t *s, const char *id, bool *exists);
int store_sqlite_user_set_password_hash(store_t *s, const char *id, const char *password_hash);

/* otp.c */
int store_sqlite_otp_put(store_t *s, const char *user_id, enum store_otp_purpose purpose,
                         const uint8_t hash[STORE_OTP_HASH_LEN], int64_t expires_at, const mail_msg_t *mail);
int store_sqlite_otp_attempt(store_t *s, const char *user_id, enum store_otp_purpose purpose,
                             int max_attempts, store_otp_t *out);
int store_sqlite_user_verify(store_t *s, const char *user_id, const uint8_t otp_hash[STORE_OTP_HASH_LEN]);
int store_sqlite_user_reset_password(store_t *s, const char *user_id,
                                     const uint8_t otp_hash[STORE_OTP_HASH_LEN], const char *password_hash);

/* revocation.c */
int store_sqlite_token_revoke(store_t *s, const char *jti, int64_t expires_at);
int store_sqlite_user_sessions_revoke(store_t *s, const char *user_id, int64_t before_ms);
int store_sqlite_revocations_load(store_t *s, int64_t now, store_token_revocation_cb token_cb,
                                  store_user_revocation_cb user_cb, void *ctx);
int store_sqlite_revocations_purge(store_t *s, int64_t now);
int store_sqlite_revocation_check(store_t *s, const char *jti, const char *user_id, int64_t issued_at_ms,
                                  bool *revoked);

/* Record the user-wide revocation inside the caller's transaction (never
 * moving before_ms backwards). */
int store_sqlite_user_revocation_put(store_sqlite_t *s, const char *user_id, int64_t before_ms);

/* outbox.c */
int store_sqlite_outbox_claim(store_t *s, core_pool_t *pool, int64_t now, int64_t lease_ms, size_t max,
                              mail_msg_t *out, size_t *count);
int store_sqlite_outbox_sent(store_t *s, int64_t id, int64_t now);
int store_sqlite_outbox_retry(store_t *s, int64_t id, int64_t next_attempt_at, const char *error,
                              bool give_up);
int store_sqlite_outbox_pending(store_t *s, int64_t *count);
int store_sqlite_outbox_purge(store_t *s, int64_t before, int max, int *deleted);

/* Queue msg inside the caller's transaction, due at once (created_at, or now
 * when the caller left it 0). */
int store_sqlite_outbox_insert(store_sqlite_t *s, const mail_msg_t *msg);

/* idempotency.c */
int store_sqlite_idempotency_begin(store_t *s, core_pool_t *pool, const store_idem_key_t *k, int64_t now,
                                   int64_t lease_ms, int64_t ttl_ms, store_idem_answer_t *out);
int store_sqlite_idempotency_finish(store_t *s, const store_idem_key_t *k, int status, const char *body,
                                    size_t len);
int store_sqlite_idempotency_release(store_t *s, const store_idem_key_t *k);
int store_sqlite_idempotency_purge(store_t *s, int64_t now, int max, int *deleted);

/* task.c */
int store_sqlite_task_create(store_t *s, store_task_t *task);
int store_sqlite_task_get(store_t *s, core_pool_t *pool, const char *user_id, const char *id, store_task_t *out);
int store_sqlite_task_update(store_t *s, core_pool_t *pool, const char *user_id, const char *id,
                             const store_task_patch_t *patch, int64_t now_ms, store_task_t *out);
int store_sqlite_task_list(store_t *s, core_pool_t *pool, const store_task_query_t *q, store_task_page_t *out);
int store_sqlite_task_stats(store_t *s, const char *user_id, int64_t now_ms, store_task_stats_t *out);

/* A row of task.c's column list (id, user_id, title, description, status,
 * priority, due_date, tags, completed_at, created_at, updated_at from
 * column 0) into *t, strings into pool; deleted_at is left 0. */
void store_sqlite_task_read(core_pool_t *pool, sqlite3_stmt *st, store_task_t *t);

/* search.c: a user's search text compiled for the full-text index and for
 * testing rows in hand, with the same meaning (words ANDed, each a phrase of
 * the index's tokens whose last token is a prefix; case and accents folded). */
typedef struct store_sqlite_search store_sqlite_search_t;

/* Compile text, a search of user_id's tasks, using s's FTS5 tokenizer.
 * Returns CORE_OK with *out to free with store_sqlite_search_free(), or
 * with *out NULL when the text has no word that could match anything;
 * CORE_E_INTERNAL when out of memory. */
int store_sqlite_search_compile(store_sqlite_t *s, const char *user_id, const char *text,
                                store_sqlite_search_t **out);

/* The FTS5 expression (tasks_fts MATCH), restricted to the owner's rows;
 * owned by x. */
const char *store_sqlite_search_expr(const store_sqlite_search_t *x);

/* Whether store_sqlite_search_matches() can answer (the tokenizer could be
 * had); when it cannot, only the index can say what matches. */
bool store_sqlite_search_testable(const store_sqlite_search_t *x);

/* Whether a task with these columns (tags: the stored JSON array text) is a
 * match, exactly as the index would say. Not thread-safe on one x. */
bool store_sqlite_search_matches(store_sqlite_search_t *x, const char *title, const char *description,
                                 const char *tags_json);

/* Free x; NULL is fine. */
void store_sqlite_search_free(store_sqlite_search_t *x);

/* trash.c */
int store_sqlite_task_delete(store_t *s, const char *user_id, const char *id);
int store_sqlite_task_restore(store_t *s, core_pool_t *pool, const char *user_id, const char *id, int64_t since,
                              store_task_t *out);
int store_sqlite_task_trash_list(store_t *s, core_pool_t *pool, const char *user_id, int64_t since, size_t limit,
                                 int64_t offset, store_task_page_t *out);
int store_sqlite_task_trash_purge(store_t *s, int64_t before, int max, int *deleted);

/* admin.c: the operator operations of store/admin.h */
extern const store_admin_ops_t store_sqlite_admin_ops;

/* import.c */
int store_sqlite_import_users(store_t *s, const store_user_t *users, size_t n, int *results);
int store_sqlite_import_tasks(store_t *s, const store_task_t *tasks, size_t n, int *results);

#endif
