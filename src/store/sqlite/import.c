/*
 * This file implements the bulk inserts of `lsf-server import` for SQLite
 * (store_import_users / store_import_tasks of store/admin.h). A batch is one
 * write transaction. Tasks take the bulk path: the insert trigger of
 * migration 0002 (one full-text, tag and counter write per row) is dropped
 * inside the transaction, the rows go in, the tag rows, counters and
 * full-text rows of the whole batch are written by three set-based
 * statements, and the trigger is put back from its own text before the
 * commit. No other connection ever sees the table without its trigger.
 * Each task must sort after its owner's latest task here, the order
 * invariant of task.c (createdAt order is id order). A task in its owner's
 * trash (deleted since an earlier run) counts as there already.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/sqlite/sqlite.h"
#include "store/task_sql.h"

#define IMPORT_CACHE_KIB 131072 /* page cache of the importing connection: indexes stay in memory */

static const char SQL_USER_EXISTS[] = "SELECT 1 FROM users WHERE id = ?1";
static const char SQL_USER_INSERT[] = "INSERT INTO users (id, name, email, password_hash, is_account_verified, "
                                      "created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
static const char SQL_TASK_EXISTS[] = "SELECT 1 FROM tasks WHERE id = ?1";
/* a task the user deleted since the import that brought it: a re-run leaves it in the trash */
static const char SQL_TASK_TRASHED[] = "SELECT 1 FROM task_trash WHERE user_id = ?1 AND id = ?2";
static const char SQL_LAST_ID[] = "SELECT id FROM tasks WHERE user_id = ?1 ORDER BY id DESC LIMIT 1";
static const char SQL_MAX_SEQ[] = "SELECT coalesce(max(seq), 0) FROM tasks";
static const char SQL_TRIGGER[] = "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'tasks_ai'";
/* a task already there (a re-run) changes nothing: no row, and the caller sees 0 changes */
static const char SQL_TASK_INSERT[] =
    "INSERT INTO tasks (id, user_id, title, description, status, priority, due_date, tags, completed_at, created_at, "
    "updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) ON CONFLICT (id) DO NOTHING";
/* What the trigger does per row, for every row of the batch (seq > ?1). */
static const char SQL_BATCH_TAGS[] =
    "INSERT INTO task_tags (user_id, tag, task_seq) SELECT t.user_id, j.value, t.seq FROM tasks t, json_each(t.tags) j "
    "WHERE t.seq > ?1";
static const char SQL_BATCH_COUNTS[] =
    "INSERT INTO task_counts (user_id, status, priority, n) SELECT user_id, status, priority, count(*) FROM tasks "
    "WHERE seq > ?1 GROUP BY user_id, status, priority ON CONFLICT (user_id, status, priority) DO UPDATE SET n = n + "
    "excluded.n";
static const char SQL_BATCH_FTS[] =
    "INSERT INTO tasks_fts (rowid, owner, title, description, tags) SELECT seq, replace(user_id, '-', ''), title, "
    "description, (SELECT coalesce(group_concat(value, ' '), '') FROM json_each(tasks.tags)) FROM tasks WHERE seq > ?1";

static bool exists(store_sqlite_t *s, const char *sql, const char *id, int *rc)
{
    sqlite3_stmt *st;

    if ((*rc = store_sqlite_prepare(s, sql, &st)) != CORE_OK)
        return false;
    sqlite3_bind_text(st, 1, id, -1, SQLITE_STATIC);
    *rc = store_sqlite_step_row(s, st, "import exists");
    store_sqlite_reset(st);
    if (*rc == CORE_E_NOT_FOUND) {
        *rc = CORE_OK;
        return false;
    }
    return *rc == CORE_OK;
}

/* Whether t is in its owner's trash. */
static bool trashed(store_sqlite_t *s, const store_task_t *t, int *rc)
{
    sqlite3_stmt *st;

    if ((*rc = store_sqlite_prepare(s, SQL_TASK_TRASHED, &st)) != CORE_OK)
        return false;
    sqlite3_bind_text(st, 1, t->user_id, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, t->id, -1, SQLITE_STATIC);
    *rc = store_sqlite_step_row(s, st, "import trashed");
    store_sqlite_reset(st);
    if (*rc == CORE_E_NOT_FOUND) {
        *rc = CORE_OK;
        return false;
    }
    return *rc == CORE_OK;
}

static void big_cache(store_sqlite_t *s)
{
    char sql[64];
    snprintf(sql, sizeof(sql), "PRAGMA cache_size=-%d", IMPORT_CACHE_KIB);
    sqlite3_exec(s->db, sql, NULL, NULL, NULL);
}

int store_sqlite_import_users(store_t *base, const store_user_t *users, size_t n, int *results)
{
    store_sqlite_t *s = store_sqlite_of(base);
    sqlite3_stmt *st;
    int rc, constraint = 0;

    big_cache(s);
    if ((rc = store_sqlite_begin(s)) != CORE_OK)
        return rc;
    for (size_t i = 0; i < n; i++) {
        const store_user_t *u = &users[i];
        if (exists(s, SQL_USER_EXISTS, u->id, &rc) || rc != CORE_OK) {
            results[i] = STORE_IMPORT_EXISTS;
            if (rc != CORE_OK)
                goto fail;
            continue;
        }
        if ((rc = store_sqlite_prepare(s, SQL_USER_INSERT, &st)) != CORE_OK)
            goto fail;
        sqlite3_bind_text(st, 1, u->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, u->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, u->email, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, u->password_hash, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 5, u->is_account_verified);
        sqlite3_bind_int64(st, 6, u->created_at);
        sqlite3_bind_int64(st, 7, u->updated_at);
        rc = store_sqlite_step_done(s, st, "import user", &constraint);
        if (rc == CORE_E_CONFLICT && constraint == SQLITE_CONSTRAINT_UNIQUE) {
            results[i] = STORE_IMPORT_EMAIL_TAKEN; /* the id is free, so it is the email */
            rc = CORE_OK;
            continue;
        }
        if (rc != CORE_OK) {
            if (rc == CORE_E_CONFLICT)
                rc = store_sqlite_constraint_code(constraint);
            goto fail;
        }
        results[i] = STORE_IMPORT_INSERTED;
    }
    return store_sqlite_commit(s);
fail:
    store_sqlite_rollback(s);
    return rc;
}

static int run_i64(store_sqlite_t *s, const char *sql, int64_t arg, const char *op)
{
    sqlite3_stmt *st;
    int rc = store_sqlite_prepare(s, sql, &st);

    if (rc != CORE_OK)
        return rc;
    sqlite3_bind_int64(st, 1, arg);
    return store_sqlite_step_done(s, st, op, NULL);
}

static int one_i64(store_sqlite_t *s, const char *sql, int64_t *out)
{
    sqlite3_stmt *st;
    int rc = store_sqlite_prepare(s, sql, &st);

    if (rc == CORE_OK && (rc = store_sqlite_step_row(s, st, "import max seq")) == CORE_OK) {
        *out = sqlite3_column_int64(st, 0);
        store_sqlite_reset(st);
    }
    return rc;
}

/* The owner's latest task id into last ("" for none); *found whether the
 * owner exists. */
static int owner_state(store_sqlite_t *s, const char *user_id, bool *found, char last[CORE_UUID_LEN + 1])
{
    sqlite3_stmt *st;
    int rc;

    last[0] = '\0';
    *found = exists(s, SQL_USER_EXISTS, user_id, &rc);
    if (rc != CORE_OK || !*found)
        return rc;
    if ((rc = store_sqlite_prepare(s, SQL_LAST_ID, &st)) != CORE_OK)
        return rc;
    sqlite3_bind_text(st, 1, user_id, -1, SQLITE_STATIC);
    if ((rc = store_sqlite_step_row(s, st, "import last id")) == CORE_OK) {
        snprintf(last, CORE_UUID_LEN + 1, "%s", (const char *)sqlite3_column_text(st, 0));
        store_sqlite_reset(st);
    }
    return rc == CORE_E_NOT_FOUND ? CORE_OK : rc;
}

static void bind_time(sqlite3_stmt *st, int i, int64_t ms)
{
    if (ms == STORE_TIME_NONE)
        sqlite3_bind_null(st, i);
    else
        sqlite3_bind_int64(st, i, ms);
}

/* Insert t; *inserted false when its id was there already. */
static int insert_task(store_sqlite_t *s, const store_task_t *t, bool *inserted)
{
    char *tags = store_task_tags_encode(t);
    sqlite3_stmt *st;
    int rc = store_sqlite_prepare(s, SQL_TASK_INSERT, &st);

    if (rc == CORE_OK) {
        sqlite3_bind_text(st, 1, t->id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, t->user_id, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, t->title, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, t->description, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 5, t->status);
        sqlite3_bind_int(st, 6, t->priority);
        bind_time(st, 7, t->due_date);
        sqlite3_bind_text(st, 8, tags, -1, SQLITE_STATIC);
        bind_time(st, 9, t->completed_at);
        sqlite3_bind_int64(st, 10, t->created_at);
        sqlite3_bind_int64(st, 11, t->updated_at);
        rc = store_sqlite_step_done(s, st, "import task", NULL);
    }
    *inserted = rc == CORE_OK && sqlite3_changes(s->db) > 0;
    free(tags);
    return rc;
}

/* The insert trigger's text, to drop it and put it back. */
static int trigger_text(store_sqlite_t *s, char **out)
{
    sqlite3_stmt *st;
    int rc = store_sqlite_prepare(s, SQL_TRIGGER, &st);

    *out = NULL;
    if (rc == CORE_OK && (rc = store_sqlite_step_row(s, st, "import trigger")) == CORE_OK) {
        *out = core_strdup((const char *)sqlite3_column_text(st, 0));
        store_sqlite_reset(st);
    }
    return rc;
}

static int exec(store_sqlite_t *s, const char *sql, const char *op)
{
    int rc = sqlite3_exec(s->db, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? CORE_OK : store_sqlite_fail(s, sqlite3_extended_errcode(s->db), op);
}

int store_sqlite_import_tasks(store_t *base, const store_task_t *tasks, size_t n, int *results)
{
    store_sqlite_t *s = store_sqlite_of(base);
    char owner[CORE_UUID_LEN + 1] = "", last[CORE_UUID_LEN + 1] = "", *trigger = NULL;
    bool owner_found = false;
    int64_t seq0 = 0;
    size_t inserted = 0;
    int rc;

    big_cache(s);
    if ((rc = store_sqlite_begin(s)) != CORE_OK)
        return rc;
    if ((rc = trigger_text(s, &trigger)) != CORE_OK || (rc = one_i64(s, SQL_MAX_SEQ, &seq0)) != CORE_OK ||
        (rc = exec(s, "DROP TRIGGER tasks_ai", "import drop trigger")) != CORE_OK)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        const store_task_t *t = &tasks[i];
        if (strcmp(owner, t->user_id) != 0) {
            snprintf(owner, sizeof(owner), "%s", t->user_id);
            if ((rc = owner_state(s, owner, &owner_found, last)) != CORE_OK)
                goto fail;
        }
        bool done = false;
        if (owner_found && (trashed(s, t, &rc) || rc != CORE_OK)) {
            if (rc != CORE_OK)
                goto fail;
            results[i] = STORE_IMPORT_EXISTS;
            continue;
        }
        if (owner_found && (last[0] == '\0' || strcmp(last, t->id) < 0)) {
            /* the common case: one statement, which also tells a re-run's rows */
            if ((rc = insert_task(s, t, &done)) != CORE_OK)
                goto fail;
            if (done) {
                memcpy(last, t->id, sizeof(last));
                results[i] = STORE_IMPORT_INSERTED;
                inserted++;
                continue;
            }
        }
        if (exists(s, SQL_TASK_EXISTS, t->id, &rc) || rc != CORE_OK) {
            results[i] = STORE_IMPORT_EXISTS;
            if (rc != CORE_OK)
                goto fail;
        } else {
            results[i] = owner_found ? STORE_IMPORT_NOT_AFTER : STORE_IMPORT_NO_USER;
        }
    }
    if (inserted > 0 && ((rc = run_i64(s, SQL_BATCH_COUNTS, seq0, "import counts")) != CORE_OK ||
                         (rc = run_i64(s, SQL_BATCH_TAGS, seq0, "import tags")) != CORE_OK ||
                         (rc = run_i64(s, SQL_BATCH_FTS, seq0, "import search")) != CORE_OK))
        goto fail;
    if ((rc = exec(s, trigger, "import restore trigger")) != CORE_OK)
        goto fail;
    free(trigger);
    return store_sqlite_commit(s);
fail:
    store_sqlite_rollback(s); /* the DROP TRIGGER goes with it */
    free(trigger);
    return rc;
}
