/*
 * This file implements store_migrate() for SQLite: it brings the schema up to
 * the migrations compiled into the binary (store_sqlite_migrations[], made by
 * scripts/embed-sql.sh from src/store/migrations/sqlite/) and records each in
 * schema_migrations. Every migration runs in its own BEGIN IMMEDIATE
 * transaction that first checks again whether the version is recorded, so
 * two processes starting at once apply each migration exactly once: the
 * second waits for the write lock, then sees the version and skips it.
 */
#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "store/migration.h"
#include "store/sqlite/sqlite.h"

static const char SQL_CREATE[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL"
    ") STRICT";
static const char SQL_APPLIED[] = "SELECT 1 FROM schema_migrations WHERE version = ?1";
static const char SQL_RECORD[] =
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)";

static int is_applied(store_sqlite_t *s, int version, bool *applied)
{
    sqlite3_stmt *stmt;
    int rc;

    *applied = false;
    if ((rc = store_sqlite_prepare(s, SQL_APPLIED, &stmt)) != CORE_OK)
        goto out;
    if (sqlite3_bind_int(stmt, 1, version) != SQLITE_OK) {
        rc = store_sqlite_bind_fail(s, stmt, "migration check");
        goto out;
    }
    rc = store_sqlite_step_row(s, stmt, "migration check");
    store_sqlite_reset(stmt);
    *applied = rc == CORE_OK;
    if (rc == CORE_E_NOT_FOUND)
        rc = CORE_OK;
out:
    return rc;
}

static int record(store_sqlite_t *s, const store_migration_t *m)
{
    sqlite3_stmt *stmt;
    int rc;

    if ((rc = store_sqlite_prepare(s, SQL_RECORD, &stmt)) != CORE_OK)
        goto out;
    if (sqlite3_bind_int(stmt, 1, m->version) != SQLITE_OK ||
        sqlite3_bind_text(stmt, 2, m->name, -1, SQLITE_STATIC) != SQLITE_OK ||
        sqlite3_bind_int64(stmt, 3, core_clock_now_ms()) != SQLITE_OK) {
        rc = store_sqlite_bind_fail(s, stmt, "migration record");
        goto out;
    }
    rc = store_sqlite_step_done(s, stmt, "migration record", NULL);
out:
    return rc;
}

/* Apply m unless it is recorded; *ran says whether this call applied it. */
static int apply(store_sqlite_t *s, const store_migration_t *m, bool *ran)
{
    bool done;
    int rc;

    *ran = false;
    /* the cheap check without the write lock, for the usual "nothing to do" */
    if ((rc = is_applied(s, m->version, &done)) != CORE_OK || done)
        return rc;
    if ((rc = store_sqlite_begin(s)) != CORE_OK)
        return rc;
    /* another process may have applied it while we waited for the lock */
    if ((rc = is_applied(s, m->version, &done)) != CORE_OK || done)
        goto out;
    if (sqlite3_exec(s->db, m->sql, NULL, NULL, NULL) != SQLITE_OK) {
        log_error("sqlite: migration failed", LOG_INT("version", m->version), LOG_STR("name", m->name),
                  LOG_STR("error", sqlite3_errmsg(s->db)));
        rc = (sqlite3_extended_errcode(s->db) & 0xff) == SQLITE_BUSY ? CORE_E_UNAVAILABLE : CORE_E_INTERNAL;
        goto out;
    }
    if ((rc = record(s, m)) != CORE_OK)
        goto out;
    *ran = true;
out:
    if (rc == CORE_OK)
        rc = store_sqlite_commit(s);
    else
        store_sqlite_rollback(s);
    if (rc != CORE_OK)
        *ran = false;
    else if (*ran)
        log_info("migration applied", LOG_INT("version", m->version), LOG_STR("name", m->name));
    return rc;
}

int store_sqlite_migrate(store_t *base, int *applied)
{
    store_sqlite_t *s = store_sqlite_of(base);
    int rc = CORE_OK, last = 0;

    *applied = 0;
    if (sqlite3_exec(s->db, SQL_CREATE, NULL, NULL, NULL) != SQLITE_OK) {
        rc = store_sqlite_fail(s, sqlite3_extended_errcode(s->db), "schema_migrations");
        goto out;
    }
    for (size_t i = 0; i < store_sqlite_migrations_len; i++) {
        const store_migration_t *m = &store_sqlite_migrations[i];
        bool ran;

        if (m->version <= last) {
            log_error("sqlite: migrations out of order", LOG_INT("version", m->version),
                      LOG_STR("name", m->name));
            rc = CORE_E_INTERNAL;
            goto out;
        }
        last = m->version;
        if ((rc = apply(s, m, &ran)) != CORE_OK)
            goto out;
        *applied += ran;
    }
out:
    return rc;
}
