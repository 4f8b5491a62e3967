/*
 * Internals of the PostgreSQL backend of store.h, shared by the files of
 * src/store/postgres/ and by its unit tests; nothing outside src/store/
 * includes this, except main.c for store_postgres_configure().
 *
 * Unlike SQLite, a store_t here holds no connection: every store_t opened
 * for one DATABASE_URL shares one process-wide cluster (pool.c) made of a
 * pool of connections to the primary and one pool per read replica. An
 * operation borrows a connection for its one transaction and gives it back,
 * so a hundred threads can share ten connections; when none frees up within
 * db_pool_acquire_timeout_ms the operation answers CORE_E_UNAVAILABLE (503)
 * instead of hanging.
 *
 * Queries use text parameters (store_pg_query()), prepared once per
 * connection; int64 values are formatted with store_pg_i64(). Results are
 * PGresult, cleared by the caller.
 */
#ifndef STORE_POSTGRES_POSTGRES_H
#define STORE_POSTGRES_POSTGRES_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"
#include "core/pool.h"
#include "mail/mail.h"
#include "store/admin.h"
#include "store/store.h"
#include "store/task_sql.h"

/* Type OIDs of the parameters we send (pg_type.h is not a client header). */
#define STORE_PG_TEXT 25
#define STORE_PG_INT8 20
#define STORE_PG_INT4 23

typedef struct store_pg_cluster store_pg_cluster_t;
typedef struct store_pg_pool store_pg_pool_t;

/* A borrowed connection: one of the process pool (blocking libpq), or, on a
 * fiber of an event loop, one of that loop's (async.c). */
typedef struct store_pg_conn {
    PGconn *pg;
    store_pg_pool_t *pool;
    int64_t idle_since; /* monotonic ms when last given back */
    bool broken;        /* the server went away or the session is unusable */
    bool async;         /* a loop's connection (async.c): statements suspend the fiber */
} store_pg_conn_t;

typedef struct store_pg {
    store_t base; /* first, so a store_t * is a store_pg_t * */
    store_pg_cluster_t *cluster;
} store_pg_t;

static inline store_pg_t *store_pg_of(store_t *s)
{
    return (store_pg_t *)s;
}

/* Where an operation may run: PRIMARY for writes and anything that must see
 * the latest commit; READ for a user's task reads, which go to a healthy
 * replica unless that user wrote within db_read_your_writes_ms (on this
 * instance, or on any other as the write hook of store.h tells). */
enum store_pg_target { STORE_PG_PRIMARY = 0, STORE_PG_READ };

/* pool.c */

/* Take the pool settings and replica list from cfg for clusters created
 * afterwards (copied; cfg may go away). Call once before the first
 * store_open() of a postgres:// URL; without it the config defaults apply
 * and there are no replicas. Not thread-safe against concurrent store_open. */
void store_postgres_configure(const core_config_t *cfg);

/* The cluster of url (created on first use, reference counted), and its
 * release; the last release closes every connection. */
int store_pg_cluster_get(const char *url, store_pg_cluster_t **out);
void store_pg_cluster_put(store_pg_cluster_t *c);

/* Borrow a connection for target (user_id: whose read it is, for
 * read-your-writes; may be NULL). Waits up to the acquire timeout for a free
 * slot, connects within the connect timeout when the pool may grow.
 * CORE_OK, or CORE_E_UNAVAILABLE (logged as a warning). Any thread. */
int store_pg_acquire(store_pg_cluster_t *c, enum store_pg_target target, const char *user_id,
                     store_pg_conn_t **out);

/* Give a connection back: a broken one, or one left inside a transaction
 * that cannot be rolled back, is closed and its slot freed. NULL is allowed. */
void store_pg_release(store_pg_conn_t *conn);

/* Whether c is a replica's connection (else the primary's). */
bool store_pg_conn_is_replica(const store_pg_conn_t *c);

/* Remember that user_id just wrote, so their reads go to the primary of
 * this process for db_read_your_writes_ms (only when the cluster has
 * replicas; other instances learn it through the write hook of store.h).
 * Call after the write committed. Any thread. */
void store_pg_note_write(store_pg_cluster_t *c, const char *user_id);

/* The read-your-writes window of c: db_read_your_writes_ms when it has
 * replicas, else 0 (reads all go to the primary). */
int64_t store_pg_cluster_ryw_ms(const store_pg_cluster_t *c);

/* Connections open now (idle and borrowed) in the primary pool, for tests. */
int store_pg_primary_open(store_pg_cluster_t *c);

/* What async.c needs of a pool: its URL, whether it is a replica's, its
 * settings, and that it failed (a replica is then skipped for a while). */
enum store_pg_setting {
    STORE_PG_SET_STATEMENT_TIMEOUT,
    STORE_PG_SET_CONNECT_TIMEOUT,
    STORE_PG_SET_ACQUIRE_TIMEOUT,
    STORE_PG_SET_LOOP_MAX, /* exclusive connections per event loop */
};
const char *store_pg_pool_url(const store_pg_pool_t *p);
bool store_pg_pool_is_replica(const store_pg_pool_t *p);
int64_t store_pg_pool_setting(const store_pg_pool_t *p, enum store_pg_setting which);
void store_pg_pool_mark_down(store_pg_pool_t *p);

/* PQconnectStartParams for url with the session settings (jit off,
 * statement_timeout, plan_cache_mode = force_generic_plan); NULL when out of
 * memory. The caller drives PQconnectPoll. */
PGconn *store_pg_connect_start(const char *url, const store_pg_pool_t *p);

/* The host part of url (never user or password) into out, for logs. */
void store_pg_url_host(const char *url, char *out, size_t cap);

/* Quiet NOTICEs on pg (a word too long to index is not ours to print). */
void store_pg_notice_quiet(PGconn *pg);

/* async.c: the event loop's connections */

/* This thread runs an event loop (loop): store operations called on its
 * fibers use the loop's connections from now on (store_loop_attach). */
struct st_h2o_evloop_t;
void store_pg_loop_attach(struct st_h2o_evloop_t *loop);

/* Close this thread's connections (its fibers have all ended). */
void store_pg_loop_detach(void);

/* True on a fiber of a thread with a loop attached. */
bool store_pg_async_active(void);

/* Borrow the loop's shared connection of p (exclusive: one of its
 * exclusive ones), waiting on the fiber at most the acquire timeout.
 * CORE_OK or CORE_E_UNAVAILABLE. */
int store_pg_async_acquire(store_pg_pool_t *p, bool exclusive, store_pg_conn_t **out);

/* Turn a borrowed shared connection into an exclusive one of the same pool
 * (for a transaction, or a session setting). CORE_OK or CORE_E_UNAVAILABLE. */
int store_pg_async_exclusive(store_pg_conn_t *c);

/* Give back what store_pg_async_acquire lent (rolling back a transaction
 * left open). */
void store_pg_async_release(store_pg_conn_t *c);

/* Run one statement on c and wait for it on the fiber: prepared (named,
 * prepared on this connection the first time) when prepare, else unnamed.
 * The result (the caller clears it; it may be an error result), or NULL
 * when the connection failed or the server did not answer in time (error
 * says why; c is then broken). */
PGresult *store_pg_async_exec(store_pg_conn_t *c, const char *sql, int n, const char *const *params,
                              const unsigned *types, bool prepare, char *error, size_t error_size);

/* conn.c */

/* Open a session (no connection is made until the first operation). */
int store_postgres_open(const char *url, store_t **out);

/* The statement cache of conn.c for a loop's connection (async.c): the name
 * of sql on pg into name, *is_new when it must be prepared first (it is
 * recorded as prepared now). CORE_OK, or CORE_E_UNAVAILABLE when it is not
 * to be prepared (the cache is full): run it unnamed. */
int store_pg_stmt_name(PGconn *pg, const char *sql, int n, const unsigned *types, char name[24], bool *is_new);

/* Forget name on pg: its prepare failed. */
void store_pg_stmt_forget(PGconn *pg, const char *name);

/* A new session of ours on pg: NOTICEs quiet, and (generic) its statement
 * cache knows the session runs with plan_cache_mode = force_generic_plan. */
void store_pg_conn_prepare_session(PGconn *pg, bool generic);

/* Run sql with n text parameters (NULL for SQL NULL) typed by types (OIDs;
 * may be NULL to let the server infer them), as a statement prepared on
 * this connection the first time the same sql and types run on it, and run
 * with its generic plan, made once (conn.c says why). Build sql from a
 * bounded set of shapes, each with a plan good for any values: never put
 * values in it. CORE_OK with *res holding the
 * result (the caller PQclear()s it; res may be NULL to discard it).
 * Otherwise *res is NULL and: CORE_E_UNAVAILABLE when the connection failed
 * (marked broken) or the statement timed out; CORE_E_CONFLICT, unlogged,
 * when expect_conflict and a constraint failed (*sqlstate gets the SQLSTATE
 * when not NULL); the code of store_pg_constraint_code(), logged as a
 * warning, when a constraint failed unexpected; else CORE_E_INTERNAL, logged
 * with op. */
int store_pg_query(store_pg_conn_t *c, const char *sql, int n, const char *const *params, const unsigned *types,
                   const char *op, bool expect_conflict, char sqlstate[6], PGresult **res);

/* The 4xx of a class 23 SQLSTATE: foreign key -> CORE_E_NOT_FOUND (the row
 * it points to is gone; callers say what that means to them), not null and
 * check -> CORE_E_VALIDATION, unique and the rest -> CORE_E_CONFLICT. */
int store_pg_constraint_code(const char *sqlstate);

/* The same (expect_conflict false) as an unnamed statement, parsed and
 * planned for these parameter values on each call: for statements whose
 * best plan depends on the values. */
int store_pg_query_unprepared(store_pg_conn_t *c, const char *sql, int n, const char *const *params,
                              const unsigned *types, const char *op, PGresult **res);

/* The same as unprepared without parameters or result (BEGIN, SET, ...). */
int store_pg_run(store_pg_conn_t *c, const char *sql, const char *op);

/* BEGIN, COMMIT, and ROLLBACK (a no-op outside a transaction). */
int store_pg_begin(store_pg_conn_t *c);
int store_pg_commit(store_pg_conn_t *c);
void store_pg_rollback(store_pg_conn_t *c);

/* Rows changed by a command result. */
int64_t store_pg_changes(PGresult *res);

/* v in decimal into buf (at least 24 bytes); returns buf. */
const char *store_pg_i64(char buf[24], int64_t v);

/* The same, NULL for STORE_TIME_NONE. */
const char *store_pg_time(char buf[24], int64_t ms);

/* Field (row, col) as int64, STORE_TIME_NONE for SQL NULL. */
int64_t store_pg_get_i64(const PGresult *res, int row, int col);

/* Field (row, col) copied into pool, NULL for SQL NULL. */
char *store_pg_get_str(core_pool_t *pool, const PGresult *res, int row, int col);

/* migrate.c */
int store_pg_migrate(store_t *s, int *applied);

/* user.c */
int store_pg_user_create(store_t *s, const store_user_t *user, const mail_msg_t *welcome);
int store_pg_user_find_by_email(store_t *s, core_pool_t *pool, const char *email, store_user_t *out);
int store_pg_user_find_by_id(store_t *s, core_pool_t *pool, const char *id, store_user_t *out);
int store_pg_user_exists(store_t *s, const char *id, bool *exists);
int store_pg_user_set_password_hash(store_t *s, const char *id, const char *password_hash);

/* otp.c */
int store_pg_otp_put(store_t *s, const char *user_id, enum store_otp_purpose purpose,
                     const uint8_t hash[STORE_OTP_HASH_LEN], int64_t expires_at, const mail_msg_t *mail);
int store_pg_otp_attempt(store_t *s, const char *user_id, enum store_otp_purpose purpose, int max_attempts,
                         store_otp_t *out);
int store_pg_user_verify(store_t *s, const char *user_id, const uint8_t otp_hash[STORE_OTP_HASH_LEN]);
int store_pg_user_reset_password(store_t *s, const char *user_id, const uint8_t otp_hash[STORE_OTP_HASH_LEN],
                                 const char *password_hash);

/* revocation.c */
int store_pg_token_revoke(store_t *s, const char *jti, int64_t expires_at);
int store_pg_user_sessions_revoke(store_t *s, const char *user_id, int64_t before_ms);
int store_pg_revocations_load(store_t *s, int64_t now, store_token_revocation_cb token_cb,
                              store_user_revocation_cb user_cb, void *ctx);
int store_pg_revocations_purge(store_t *s, int64_t now);
int store_pg_revocation_check(store_t *s, const char *jti, const char *user_id, int64_t issued_at_ms,
                              bool *revoked);

/* Record the user-wide revocation inside the caller's transaction (never
 * moving before_ms backwards). */
int store_pg_user_revocation_put(store_pg_conn_t *c, const char *user_id, int64_t before_ms);

/* outbox.c */
int store_pg_outbox_claim(store_t *s, core_pool_t *pool, int64_t now, int64_t lease_ms, size_t max,
                          mail_msg_t *out, size_t *count);
int store_pg_outbox_sent(store_t *s, int64_t id, int64_t now);
int store_pg_outbox_retry(store_t *s, int64_t id, int64_t next_attempt_at, const char *error, bool give_up);
int store_pg_outbox_pending(store_t *s, int64_t *count);
int store_pg_outbox_purge(store_t *s, int64_t before, int max, int *deleted);

/* Queue msg inside the caller's transaction, due at once. */
int store_pg_outbox_insert(store_pg_conn_t *c, const mail_msg_t *msg);

/* idempotency.c */
int store_pg_idempotency_begin(store_t *s, core_pool_t *pool, const store_idem_key_t *k, int64_t now,
                               int64_t lease_ms, int64_t ttl_ms, store_idem_answer_t *out);
int store_pg_idempotency_finish(store_t *s, const store_idem_key_t *k, int status, const char *body, size_t len);
int store_pg_idempotency_release(store_t *s, const store_idem_key_t *k);
int store_pg_idempotency_purge(store_t *s, int64_t now, int max, int *deleted);

/* task.c */
int store_pg_task_create(store_t *s, store_task_t *task);
int store_pg_task_get(store_t *s, core_pool_t *pool, const char *user_id, const char *id, store_task_t *out);
int store_pg_task_update(store_t *s, core_pool_t *pool, const char *user_id, const char *id,
                         const store_task_patch_t *patch, int64_t now_ms, store_task_t *out);
int store_pg_task_stats(store_t *s, const char *user_id, int64_t now_ms, store_task_stats_t *out);

/* trash.c */
int store_pg_task_delete(store_t *s, const char *user_id, const char *id);
int store_pg_task_restore(store_t *s, core_pool_t *pool, const char *user_id, const char *id, int64_t since,
                          store_task_t *out);
int store_pg_task_trash_list(store_t *s, core_pool_t *pool, const char *user_id, int64_t since, size_t limit,
                             int64_t offset, store_task_page_t *out);
int store_pg_task_trash_purge(store_t *s, int64_t before, int max, int *deleted);

/* task_list.c */
int store_pg_task_list(store_t *s, core_pool_t *pool, const store_task_query_t *q, store_task_page_t *out);

/* A task row (the columns of STORE_PG_TASK_COLUMNS from col 0) into *t. */
#define STORE_PG_TASK_COLUMNS STORE_TASK_SQL_COLUMNS("to_json(tags)")
#define STORE_PG_TASK_NCOLUMNS STORE_TASK_SQL_NCOLUMNS
void store_pg_task_read(core_pool_t *pool, const PGresult *res, int row, store_task_t *t);

/* admin.c: the operator operations of store/admin.h */
extern const store_admin_ops_t store_pg_admin_ops;

#endif
