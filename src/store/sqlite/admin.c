/*
 * This file implements the operator operations of store/admin.h for SQLite:
 * row counts, backup and restore through SQLite's online backup API, account
 * deletion and the list of user ids. The bulk import inserts are in
 * import.c.
 *
 * A backup holds one read transaction on the source for its whole copy and
 * copies BACKUP_STEP_PAGES pages per sqlite3_backup_step(): in WAL mode a
 * reader never blocks a writer, and since the snapshot is pinned, the writes
 * that commit meanwhile neither enter the copy nor make SQLite restart it.
 * The copy is a plain database file, created 0600 before SQLite opens it;
 * its row counts are read from the copy itself, so they describe exactly
 * what it holds.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/sqlite/sqlite.h"

#define BACKUP_STEP_PAGES 256 /* 1 MiB of 4 KiB pages per step */

const char *const store_count_names[STORE_COUNT_N] = {
#define STORE_COUNT_NAME(t) #t,
    STORE_COUNT_TABLES(STORE_COUNT_NAME)
#undef STORE_COUNT_NAME
};

static const char SQL_DELETE_USER[] = "DELETE FROM users WHERE id = ?1 RETURNING email";
static const char SQL_DELETE_COUNTS[] = "DELETE FROM task_counts WHERE user_id = ?1";
static const char SQL_DELETE_MAIL[] = "DELETE FROM outbox WHERE recipient = ?1 AND sent_at IS NULL";
static const char SQL_USER_IDS[] = "SELECT id FROM users ORDER BY id";

/* One integer from sql on db (not the statement cache: db may be a copy). */
static int query_i64(sqlite3 *db, const char *sql, int64_t *out)
{
    sqlite3_stmt *st = NULL;
    int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

    *out = 0;
    if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        *out = sqlite3_column_int64(st, 0);
        rc = SQLITE_OK;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_OK;
    }
    sqlite3_finalize(st);
    return rc;
}

static bool table_exists(sqlite3 *db, const char *name)
{
    char sql[160];
    int64_t n = 0;

    snprintf(sql, sizeof(sql), "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = '%s'", name);
    return query_i64(db, sql, &n) == SQLITE_OK && n > 0;
}

/* Counts of db inside the caller's read transaction; tables an older schema
 * lacks count 0. An SQLite result code. */
static int count_db(sqlite3 *db, store_counts_t *out)
{
    char sql[128];
    int64_t v = 0;
    int rc = SQLITE_OK;

    memset(out, 0, sizeof(*out));
    if (table_exists(db, "schema_migrations") &&
        (rc = query_i64(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", &v)) != SQLITE_OK)
        return rc;
    out->schema_version = (int)v;
    for (int i = 0; i < STORE_COUNT_N; i++) {
        if (!table_exists(db, store_count_names[i]))
            continue;
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", store_count_names[i]);
        if ((rc = query_i64(db, sql, &out->rows[i])) != SQLITE_OK)
            return rc;
    }
    return SQLITE_OK;
}

static int counts(store_t *base, store_counts_t *out)
{
    store_sqlite_t *s = store_sqlite_of(base);
    int rc;

    if ((rc = store_sqlite_read_begin(s)) != CORE_OK)
        return rc;
    if ((rc = count_db(s->db, out)) != SQLITE_OK)
        rc = store_sqlite_fail(s, rc, "counts");
    store_sqlite_read_end(s);
    return rc;
}

/* Open path as a new private file (0600, O_EXCL) for SQLite to fill. */
static int create_private(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

    if (fd < 0 || close(fd) != 0) {
        log_error("backup: cannot create the copy", LOG_STR("path", path), LOG_STR("error", strerror(errno)));
        return CORE_E_INTERNAL;
    }
    return CORE_OK;
}

static int copy_fail(sqlite3 *db, int rc, const char *what)
{
    log_error("sqlite: copy failed", LOG_STR("step", what), LOG_INT("code", rc),
              LOG_STR("error", db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc)));
    return (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED ? CORE_E_UNAVAILABLE : CORE_E_INTERNAL;
}

/* Copy src into dst with the backup API, pages at a time. */
static int copy_pages(sqlite3 *dst, sqlite3 *src, int pages)
{
    sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
    int rc;

    if (b == NULL)
        return copy_fail(dst, sqlite3_errcode(dst), "backup init");
    do {
        rc = sqlite3_backup_step(b, pages);
    } while (rc == SQLITE_OK);
    int fin = sqlite3_backup_finish(b);
    if (rc != SQLITE_DONE)
        return copy_fail(dst, rc, "backup step");
    return fin == SQLITE_OK ? CORE_OK : copy_fail(dst, fin, "backup finish");
}

static int backup(store_t *base, const char *path, store_counts_t *out)
{
    store_sqlite_t *s = store_sqlite_of(base);
    sqlite3 *dst = NULL;
    int64_t ignored;
    int rc;

    if ((rc = create_private(path)) != CORE_OK)
        return rc;
    if ((rc = sqlite3_open_v2(path, &dst, SQLITE_OPEN_READWRITE, NULL)) != SQLITE_OK) {
        rc = copy_fail(dst, rc, "open copy");
        goto out;
    }
    /* pin the snapshot: every step copies from it, whatever commits meanwhile */
    if ((rc = store_sqlite_read_begin(s)) != CORE_OK)
        goto out;
    if (query_i64(s->db, "SELECT count(*) FROM sqlite_master", &ignored) != SQLITE_OK) {
        rc = store_sqlite_fail(s, sqlite3_extended_errcode(s->db), "backup snapshot");
        goto end;
    }
    if ((rc = copy_pages(dst, s->db, BACKUP_STEP_PAGES)) != CORE_OK)
        goto end;
    /* the copy keeps the source's WAL flag in its header; a single file it
     * is, so make it a rollback-journal database that needs no -wal */
    if (sqlite3_exec(dst, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) != SQLITE_OK ||
        (rc = count_db(dst, out)) != SQLITE_OK) {
        rc = copy_fail(dst, sqlite3_extended_errcode(dst), "count copy");
        goto end;
    }
    rc = CORE_OK;
end:
    store_sqlite_read_end(s);
out:
    if (dst != NULL && sqlite3_close(dst) != SQLITE_OK && rc == CORE_OK)
        rc = copy_fail(NULL, SQLITE_ERROR, "close copy");
    if (rc != CORE_OK)
        unlink(path);
    return rc;
}

static int restore(store_t *base, const char *path, bool force)
{
    store_sqlite_t *s = store_sqlite_of(base);
    store_counts_t now;
    sqlite3 *src = NULL;
    int64_t ok = 0;
    int rc;

    if ((rc = counts(base, &now)) != CORE_OK)
        return rc;
    if (!force && (now.rows[STORE_COUNT_users] > 0 || now.rows[STORE_COUNT_tasks] > 0)) {
        log_error("restore: the database is not empty (use --force to replace it)",
                  LOG_INT("users", now.rows[STORE_COUNT_users]), LOG_INT("tasks", now.rows[STORE_COUNT_tasks]));
        return CORE_E_CONFLICT;
    }
    if ((rc = sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL)) != SQLITE_OK) {
        rc = copy_fail(src, rc, "open backup");
        goto out;
    }
    /* the checksum said the bytes are the ones written; this says SQLite can read them */
    char *text = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(src, "PRAGMA quick_check", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        text = core_strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    ok = text != NULL && strcmp(text, "ok") == 0;
    if (!ok) {
        log_error("restore: the backup is not a sound database", LOG_STR("check", text != NULL ? text : "unreadable"));
        free(text);
        rc = CORE_E_VALIDATION;
        goto out;
    }
    free(text);
    rc = copy_pages(s->db, src, -1);
out:
    sqlite3_close(src);
    return rc;
}

static int user_delete(store_t *base, const char *user_id)
{
    store_sqlite_t *s = store_sqlite_of(base);
    sqlite3_stmt *st;
    char *email = NULL;
    int rc;

    if ((rc = store_sqlite_begin(s)) != CORE_OK)
        return rc;
    if ((rc = store_sqlite_prepare(s, SQL_DELETE_USER, &st)) != CORE_OK)
        goto fail;
    sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
    if ((rc = store_sqlite_step_row(s, st, "user delete")) != CORE_OK)
        goto fail;
    email = core_strdup((const char *)sqlite3_column_text(st, 0));
    /* finish the statement: the cascade (tasks, codes, keys) runs to its end */
    if ((rc = store_sqlite_step_done(s, st, "user delete", NULL)) != CORE_OK)
        goto fail;
    if ((rc = store_sqlite_prepare(s, SQL_DELETE_COUNTS, &st)) != CORE_OK)
        goto fail;
    sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
    if ((rc = store_sqlite_step_done(s, st, "user delete counts", NULL)) != CORE_OK)
        goto fail;
    /* mail not yet sent to the address (a welcome, a code) is not sent */
    if ((rc = store_sqlite_prepare(s, SQL_DELETE_MAIL, &st)) != CORE_OK)
        goto fail;
    sqlite3_bind_text(st, 1, email, -1, SQLITE_STATIC);
    if ((rc = store_sqlite_step_done(s, st, "user delete mail", NULL)) != CORE_OK)
        goto fail;
    rc = store_sqlite_commit(s);
    free(email);
    return rc;
fail:
    store_sqlite_rollback(s);
    free(email);
    return rc;
}

static int user_ids_each(store_t *base, store_user_id_cb cb, void *ctx)
{
    store_sqlite_t *s = store_sqlite_of(base);
    char (*ids)[CORE_UUID_LEN + 1] = NULL;
    size_t n = 0, cap = 0;
    sqlite3_stmt *st;
    int rc, step;

    if ((rc = store_sqlite_prepare(s, SQL_USER_IDS, &st)) != CORE_OK)
        return rc;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        if (n == cap) {
            cap = cap == 0 ? 1024 : cap * 2;
            ids = core_realloc(ids, cap * sizeof(*ids));
        }
        snprintf(ids[n++], CORE_UUID_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
    }
    if (step != SQLITE_DONE)
        rc = store_sqlite_fail(s, step, "user ids");
    store_sqlite_reset(st);
    for (size_t i = 0; rc == CORE_OK && i < n; i++)
        cb(ctx, ids[i]);
    free(ids);
    return rc;
}

const store_admin_ops_t store_sqlite_admin_ops = {
    .counts = counts,
    .backup = backup,
    .restore = restore,
    .user_delete = user_delete,
    .user_ids_each = user_ids_each,
    .import_users = store_sqlite_import_users,
    .import_tasks = store_sqlite_import_tasks,
};
