/*
 * This file implements the SQLite connection behind a store_t: opening the
 * file (created private, 0600) with the pragmas the backend relies on (WAL
 * so readers never wait for the writer, a busy timeout so writers queue
 * instead of failing, foreign keys, secure delete), the per-connection cache
 * of prepared statements, transactions, and the mapping of SQLite result
 * codes onto CORE_E_* codes. The other files of src/store/sqlite/ build the
 * store operations from these pieces; the ops table that store_open() hands
 * out is assembled here. The step helpers make each statement a child span
 * of the request being traced (trace/scope.h), named by its op.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/mem.h"
#include "store/sqlite/sqlite.h"
#include "trace/scope.h"

static const char SQL_BEGIN[] = "BEGIN IMMEDIATE";
static const char SQL_COMMIT[] = "COMMIT";
static const char SQL_ROLLBACK[] = "ROLLBACK";
static const char SQL_PING[] = "SELECT count(*) FROM sqlite_master"; /* reads the file */
static const char SQL_READ_BEGIN[] = "BEGIN";
static const char SQL_SAVEPOINT[] = "SAVEPOINT op";
static const char SQL_RELEASE[] = "RELEASE op";
static const char SQL_ROLLBACK_TO[] = "ROLLBACK TO op";

int store_sqlite_constraint_code(int rc)
{
    switch (rc) {
    case SQLITE_CONSTRAINT_FOREIGNKEY:
        return CORE_E_NOT_FOUND; /* the row it points to is gone */
    case SQLITE_CONSTRAINT_CHECK:
    case SQLITE_CONSTRAINT_NOTNULL:
#ifdef SQLITE_CONSTRAINT_DATATYPE
    case SQLITE_CONSTRAINT_DATATYPE:
#endif
        return CORE_E_VALIDATION;
    default:
        return CORE_E_CONFLICT; /* unique, primary key, a trigger's RAISE */
    }
}

int store_sqlite_fail(store_sqlite_t *s, int rc, const char *op)
{
    int err = CORE_E_INTERNAL;

    if ((rc & 0xff) == SQLITE_CONSTRAINT) {
        /* the data broke a rule (a row deleted meanwhile, a duplicate): the
         * client's answer is a 4xx, and the database is fine */
        err = store_sqlite_constraint_code(rc);
        log_warn("sqlite: constraint failed", LOG_STR("op", op), LOG_INT("code", rc),
                 LOG_STR("error", sqlite3_errmsg(s->db)), LOG_STR("answer", core_error_name(err)));
        return err;
    }
    core_metrics_count(CORE_METRICS_DB_ERRORS);
    if ((rc & 0xff) == SQLITE_BUSY) {
        log_warn("sqlite: database busy", LOG_STR("op", op),
                 LOG_INT("timeout_ms", STORE_SQLITE_BUSY_TIMEOUT_MS));
        err = CORE_E_UNAVAILABLE;
    } else {
        /* SQLite's messages name tables and columns, never the values */
        log_error("sqlite: query failed", LOG_STR("op", op), LOG_INT("code", rc),
                  LOG_STR("error", sqlite3_errmsg(s->db)));
    }
    return err;
}

int store_sqlite_prepare(store_sqlite_t *s, const char *sql, sqlite3_stmt **out)
{
    return store_sqlite_prepare_keyed(s, sql, sql, out);
}

int store_sqlite_prepare_keyed(store_sqlite_t *s, const void *key, const char *sql, sqlite3_stmt **out)
{
    sqlite3_stmt *stmt = NULL;
    int rc, err = CORE_OK;

    /* a linear scan: a connection caches a few dozen statements at most */
    for (size_t i = 0; i < s->nslots; i++) {
        if (s->slots[i].key == key) {
            stmt = s->slots[i].stmt;
            goto out;
        }
    }
    if (sql == NULL) /* only asked whether it is cached */
        goto out;
    rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, NULL);
    if (rc != SQLITE_OK) {
        /* the SQL is ours, so this is a bug, not a data problem: show it */
        log_error("sqlite: prepare failed", LOG_STR("sql", sql), LOG_STR("error", sqlite3_errmsg(s->db)));
        sqlite3_finalize(stmt);
        stmt = NULL;
        err = (rc & 0xff) == SQLITE_BUSY ? CORE_E_UNAVAILABLE : CORE_E_INTERNAL;
        goto out;
    }
    if (s->nslots == s->cap) {
        s->cap = s->cap == 0 ? 32 : s->cap * 2;
        s->slots = core_realloc(s->slots, s->cap * sizeof(*s->slots));
    }
    s->slots[s->nslots++] = (store_sqlite_slot_t){.key = key, .stmt = stmt};
out:
    *out = stmt;
    return err;
}

void store_sqlite_reset(sqlite3_stmt *stmt)
{
    if (stmt != NULL) {
        sqlite3_reset(stmt);
        sqlite3_clear_bindings(stmt);
    }
}

int store_sqlite_bind_fail(store_sqlite_t *s, sqlite3_stmt *stmt, const char *op)
{
    int rc = store_sqlite_fail(s, sqlite3_extended_errcode(s->db), op);
    store_sqlite_reset(stmt);
    return rc;
}

int store_sqlite_step_done(store_sqlite_t *s, sqlite3_stmt *stmt, const char *op, int *constraint)
{
    trace_child_t span = trace_child_begin();
    int rc = sqlite3_step(stmt), err = CORE_OK;

    trace_child_end_db(&span, "sqlite", op, sqlite3_sql(stmt), rc != SQLITE_ROW && rc != SQLITE_DONE &&
                                                                 (rc & 0xff) != SQLITE_CONSTRAINT);

    if (rc == SQLITE_ROW || rc == SQLITE_DONE)
        goto out;
    if (constraint != NULL && (rc & 0xff) == SQLITE_CONSTRAINT) {
        *constraint = rc;
        err = CORE_E_CONFLICT;
        goto out;
    }
    err = store_sqlite_fail(s, rc, op);
out:
    store_sqlite_reset(stmt);
    return err;
}

int store_sqlite_step_row(store_sqlite_t *s, sqlite3_stmt *stmt, const char *op)
{
    /* one span per statement: its first step, not every row a loop reads */
    trace_child_t span = sqlite3_stmt_busy(stmt) ? (trace_child_t){0} : trace_child_begin();
    int rc = sqlite3_step(stmt), err = CORE_OK;

    trace_child_end_db(&span, "sqlite", op, sqlite3_sql(stmt), rc != SQLITE_ROW && rc != SQLITE_DONE);

    if (rc != SQLITE_ROW) {
        err = rc == SQLITE_DONE ? CORE_E_NOT_FOUND : store_sqlite_fail(s, rc, op);
        store_sqlite_reset(stmt);
    }
    return err;
}

static int run(store_sqlite_t *s, const char *sql, const char *op)
{
    sqlite3_stmt *stmt;
    int rc = store_sqlite_prepare(s, sql, &stmt);
    return rc != CORE_OK ? rc : store_sqlite_step_done(s, stmt, op, NULL);
}

/* This process's writers queue on a mutex, not in SQLite's busy handler:
 * that one sleeps 1, 2, 5, 10... ms between tries, and the event loop that
 * called it sleeps too, while a handoff here takes microseconds. Writers in
 * other processes on the same file still meet the busy timeout. One mutex
 * for every file (a process serves one database), taken with the busy
 * timeout, so a wait that cannot end (a thread beginning a second write on
 * another connection) is a "database busy" error, as it was before. */
static pthread_mutex_t writer = PTHREAD_MUTEX_INITIALIZER;

static int writer_take(store_sqlite_t *s)
{
    struct timespec until = core_clock_deadline(CLOCK_REALTIME, STORE_SQLITE_BUSY_TIMEOUT_MS);

    if (pthread_mutex_timedlock(&writer, &until) != 0)
        return store_sqlite_fail(s, SQLITE_BUSY, "begin");
    s->writing = true;
    return CORE_OK;
}

static void writer_give(store_sqlite_t *s)
{
    if (s->writing) {
        s->writing = false;
        pthread_mutex_unlock(&writer);
    }
}

/* run() without a trace span: a snapshot's BEGIN and COMMIT frame every
 * GET, most of which read little, and a span each would be noise. */
static int run_untraced(store_sqlite_t *s, const char *sql, const char *op)
{
    sqlite3_stmt *stmt;
    int rc = store_sqlite_prepare(s, sql, &stmt), step;

    if (rc != CORE_OK)
        return rc;
    if ((step = sqlite3_step(stmt)) != SQLITE_DONE)
        rc = store_sqlite_fail(s, step, op);
    store_sqlite_reset(stmt);
    return rc;
}

/* A deferred BEGIN: the read transaction starts with the first read. The
 * single-statement reads (the account check) then join it as well. */
static int snapshot_begin(store_t *base)
{
    store_sqlite_t *s = store_sqlite_of(base);
    int rc;

    if (s->batch || s->snapshot || !sqlite3_get_autocommit(s->db))
        return CORE_E_INTERNAL; /* already in a transaction: not nested */
    if ((rc = run_untraced(s, SQL_READ_BEGIN, "snapshot begin")) == CORE_OK)
        s->snapshot = true;
    return rc;
}

static void snapshot_end(store_t *base)
{
    store_sqlite_t *s = store_sqlite_of(base);

    if (!s->snapshot)
        return;
    s->snapshot = false;
    if (!sqlite3_get_autocommit(s->db))
        run_untraced(s, SQL_COMMIT, "snapshot end");
}

/* In a batch (store_batch_begin), an operation's begin, commit and rollback
 * are a savepoint's: the batch's transaction holds SQLite's write lock and
 * the writer mutex, and commits once for all its operations. */
int store_sqlite_begin(store_sqlite_t *s)
{
    int rc;

    if (s->batch) {
        if (sqlite3_get_autocommit(s->db)) /* an error ended the batch's transaction: no new one */
            return CORE_E_UNAVAILABLE;
        if ((rc = run(s, SQL_SAVEPOINT, "savepoint")) == CORE_OK)
            s->savepoint = true;
        return rc;
    }
    if (s->snapshot) /* a write in a read-only request: its snapshot ends here */
        snapshot_end(&s->base);
    if ((rc = writer_take(s)) == CORE_OK && (rc = run(s, SQL_BEGIN, "begin")) != CORE_OK)
        writer_give(s);
    return rc;
}

int store_sqlite_commit(store_sqlite_t *s)
{
    int rc = run(s, s->batch ? SQL_RELEASE : SQL_COMMIT, "commit");

    if (rc != CORE_OK)
        store_sqlite_rollback(s);
    s->savepoint = false;
    if (!s->batch)
        writer_give(s);
    return rc;
}

/* A batch or a snapshot reads in its own transaction. */
int store_sqlite_read_begin(store_sqlite_t *s)
{
    return s->batch || s->snapshot ? CORE_OK : run(s, SQL_READ_BEGIN, "read begin");
}

void store_sqlite_read_end(store_sqlite_t *s)
{
    if (!s->batch && !s->snapshot && !sqlite3_get_autocommit(s->db))
        run(s, SQL_COMMIT, "read end");
}

void store_sqlite_rollback(store_sqlite_t *s)
{
    if (s->batch) { /* undo this operation only; the batch goes on */
        if (s->savepoint && !sqlite3_get_autocommit(s->db)) {
            run(s, SQL_ROLLBACK_TO, "rollback");
            run(s, SQL_RELEASE, "rollback");
        }
        s->savepoint = false;
        return;
    }
    if (!sqlite3_get_autocommit(s->db))
        run(s, SQL_ROLLBACK, "rollback");
    writer_give(s);
}

/* A batch's savepoints keep each operation's original pages in a
 * sub-journal, which SQLite spills to a temporary file past 64 KiB; one task
 * insert changes about 100 KiB (indexes, counters, FTS). temp_store=MEMORY
 * keeps the sub-journals of this connection (the writer's, whose batches
 * are bounded by TASK_WRITE_BATCH) in memory. */
static int batch_begin(store_t *base)
{
    store_sqlite_t *s = store_sqlite_of(base);
    int rc;

    if (!s->batch_configured && (rc = run(s, "PRAGMA temp_store=MEMORY", "temp_store")) != CORE_OK)
        return rc;
    s->batch_configured = true;
    rc = store_sqlite_begin(s);

    s->batch = rc == CORE_OK;
    return rc;
}

/* COMMIT with synchronous=FULL: returns once the WAL frames are fsynced. */
static int batch_end(store_t *base)
{
    store_sqlite_t *s = store_sqlite_of(base);
    int rc = CORE_E_INTERNAL;

    s->batch = false;
    s->savepoint = false;
    if (sqlite3_get_autocommit(s->db)) /* SQLite rolled it all back after an error inside it */
        log_error("sqlite: a batch's transaction was rolled back by an error inside it");
    else
        rc = store_sqlite_commit(s);
    writer_give(s);
    return rc;
}

char *store_sqlite_column_str(core_pool_t *pool, sqlite3_stmt *stmt, int col)
{
    const unsigned char *text = sqlite3_column_text(stmt, col);
    return text == NULL
               ? NULL
               : core_pool_strndup(pool, (const char *)text, (size_t)sqlite3_column_bytes(stmt, col));
}

static int ping(store_t *base)
{
    store_sqlite_t *s = store_sqlite_of(base);
    sqlite3_stmt *stmt;
    int rc;

    if ((rc = store_sqlite_prepare(s, SQL_PING, &stmt)) == CORE_OK) {
        rc = store_sqlite_step_row(s, stmt, "ping");
        store_sqlite_reset(stmt);
    }
    return rc == CORE_E_NOT_FOUND ? CORE_E_INTERNAL : rc;
}

static void destroy(store_sqlite_t *s)
{
    writer_give(s); /* closing ends its transaction */
    for (size_t i = 0; i < s->nslots; i++)
        sqlite3_finalize(s->slots[i].stmt);
    if (s->db != NULL && sqlite3_close(s->db) != SQLITE_OK)
        log_error("sqlite: close failed", LOG_STR("error", sqlite3_errmsg(s->db)));
    free(s->slots);
    free(s);
}

static void close_store(store_t *base)
{
    destroy(store_sqlite_of(base));
}

static const store_ops_t ops = {
    .name = "sqlite",
    .close = close_store,
    .migrate = store_sqlite_migrate,
    .ping = ping,
    .batch_begin = batch_begin,
    .batch_end = batch_end,
    .snapshot_begin = snapshot_begin,
    .snapshot_end = snapshot_end,
    .user_create = store_sqlite_user_create,
    .user_find_by_email = store_sqlite_user_find_by_email,
    .user_find_by_id = store_sqlite_user_find_by_id,
    .user_exists = store_sqlite_user_exists,
    .user_set_password_hash = store_sqlite_user_set_password_hash,
    .otp_put = store_sqlite_otp_put,
    .otp_attempt = store_sqlite_otp_attempt,
    .user_verify = store_sqlite_user_verify,
    .user_reset_password = store_sqlite_user_reset_password,
    .token_revoke = store_sqlite_token_revoke,
    .user_sessions_revoke = store_sqlite_user_sessions_revoke,
    .revocations_load = store_sqlite_revocations_load,
    .revocations_purge = store_sqlite_revocations_purge,
    .revocation_check = store_sqlite_revocation_check,
    .outbox_claim = store_sqlite_outbox_claim,
    .outbox_sent = store_sqlite_outbox_sent,
    .outbox_retry = store_sqlite_outbox_retry,
    .outbox_pending = store_sqlite_outbox_pending,
    .outbox_purge = store_sqlite_outbox_purge,
    .idempotency_begin = store_sqlite_idempotency_begin,
    .idempotency_finish = store_sqlite_idempotency_finish,
    .idempotency_release = store_sqlite_idempotency_release,
    .idempotency_purge = store_sqlite_idempotency_purge,
    .task_create = store_sqlite_task_create,
    .task_get = store_sqlite_task_get,
    .task_update = store_sqlite_task_update,
    .task_delete = store_sqlite_task_delete,
    .task_restore = store_sqlite_task_restore,
    .task_trash_list = store_sqlite_task_trash_list,
    .task_trash_purge = store_sqlite_task_trash_purge,
    .task_list = store_sqlite_task_list,
    .task_stats = store_sqlite_task_stats,
    .admin = &store_sqlite_admin_ops,
};

/* journal_mode answers with the mode in force, which stays "delete" when WAL
 * is impossible (some network file systems): worth a warning, not a failure. */
static int set_wal(store_sqlite_t *s, const char *path)
{
    sqlite3_stmt *stmt = NULL;
    int rc = sqlite3_prepare_v2(s->db, "PRAGMA journal_mode=WAL", -1, &stmt, NULL), err = CORE_OK;

    /* Switching to WAL needs a moment of exclusive access, and SQLite may
     * answer BUSY here without calling the busy handler while another
     * process opens or migrates the same new file: retry for as long. */
    for (int waited = 0; stmt != NULL && (rc == SQLITE_OK || (rc & 0xff) == SQLITE_BUSY); waited += 10) {
        if (rc != SQLITE_OK) {
            if (waited >= STORE_SQLITE_BUSY_TIMEOUT_MS)
                break;
            sqlite3_reset(stmt);
            sqlite3_sleep(10);
        }
        if ((rc = sqlite3_step(stmt)) == SQLITE_ROW)
            break;
    }
    if (rc != SQLITE_ROW) {
        err = store_sqlite_fail(s, rc, "journal_mode");
        goto out;
    }
    const char *mode = (const char *)sqlite3_column_text(stmt, 0);
    if (mode == NULL || strcmp(mode, "wal") != 0)
        log_warn("sqlite: WAL unavailable, writers will block readers", LOG_STR("path", path),
                 LOG_STR("journal_mode", mode != NULL ? mode : "?"));
out:
    sqlite3_finalize(stmt);
    return err;
}

static int configure(store_sqlite_t *s, const char *path)
{
    int rc;

    sqlite3_extended_result_codes(s->db, 1);
    /* first, so that the pragmas below also wait for a concurrent opener */
    sqlite3_busy_timeout(s->db, STORE_SQLITE_BUSY_TIMEOUT_MS);
    if ((rc = set_wal(s, path)) != CORE_OK)
        return rc;
    /* secure_delete: a blanked mail body or a deleted row is overwritten
     * with zeros, not left in the file's free space (Debian's build has it
     * on by default; this keeps it on whatever the build) */
    /* synchronous=FULL: in WAL mode a COMMIT returns once its frames are
     * fsynced, so an acknowledged write survives a power loss, not only a
     * crash of the process (NORMAL leaves the last commits in the page
     * cache); task writes share one fsync per batch (http/writer.h) */
    rc = sqlite3_exec(s->db, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA secure_delete=ON;",
                      NULL, NULL, NULL);
    return rc == SQLITE_OK ? CORE_OK : store_sqlite_fail(s, rc, "pragmas");
}

/* SQLite creates a database file 0644 (less the umask) and gives its -wal,
 * -shm and -journal the database file's mode, so a database created 0600
 * here keeps all four private. Files an older version left readable are
 * tightened (and logged, so once). The directory was created 0700 if
 * missing; an existing one that others can enter is only warned about, once
 * per process, since it may be shared on purpose. Every open (one per thread)
 * runs this: a few stat calls. An existing database is never opened here:
 * closing any descriptor of the file would drop the POSIX locks SQLite's
 * other connections in this process hold on it. */
static int make_private(const char *path)
{
    static const char *const companions[] = {"-wal", "-shm", "-journal"};
    static atomic_bool dir_checked;
    char other[4096];
    int fd;

    if (strcmp(path, ":memory:") == 0)
        return 0;
    if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) >= 0) {
        if (close(fd) != 0)
            return -1;
    } else if (errno != EEXIST || core_fs_tighten(path, 0600) != 0) {
        return -1;
    }
    for (size_t i = 0; i < sizeof(companions) / sizeof(companions[0]); i++) {
        snprintf(other, sizeof(other), "%s%s", path, companions[i]);
        core_fs_tighten(other, 0600);
    }
    if (!atomic_exchange(&dir_checked, true)) {
        const char *slash = strrchr(path, '/');
        if (slash == NULL)
            snprintf(other, sizeof(other), ".");
        else
            snprintf(other, sizeof(other), "%.*s", slash == path ? 1 : (int)(slash - path), path);
        core_fs_warn_open_dir(other);
    }
    return 0;
}

int store_sqlite_open(const char *path, store_t **out)
{
    store_sqlite_t *s = core_calloc(1, sizeof(*s));
    int rc, err = CORE_E_INTERNAL;

    *out = NULL;
    s->base.ops = &ops;
    if (*path == '\0') {
        log_error("sqlite: DATABASE_URL has no path (want sqlite:PATH)");
        goto out;
    }
    if (core_fs_mkdir_parent(path, 0700) != 0) {
        log_error("sqlite: cannot create the database directory", LOG_STR("path", path),
                  LOG_STR("error", strerror(errno)));
        goto out;
    }
    if (make_private(path) != 0) {
        log_error("sqlite: cannot create the database file private (0600)", LOG_STR("path", path),
                  LOG_STR("error", strerror(errno)));
        goto out;
    }
    rc =
        sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc != SQLITE_OK) {
        log_error("sqlite: cannot open the database", LOG_STR("path", path),
                  LOG_STR("error", s->db != NULL ? sqlite3_errmsg(s->db) : sqlite3_errstr(rc)));
        err = (rc & 0xff) == SQLITE_BUSY ? CORE_E_UNAVAILABLE : CORE_E_INTERNAL;
        goto out;
    }
    err = configure(s, path);
out:
    if (err == CORE_OK)
        *out = &s->base;
    else
        destroy(s);
    return err;
}
