/*
 * This file implements store_migrate() for PostgreSQL: it brings the schema
 * up to the migrations compiled into the binary (store_postgres_migrations[],
 * made by scripts/embed-sql.sh from src/store/migrations/postgres/) and
 * records each in schema_migrations. Every migration runs in its own
 * transaction that first takes a transaction-scoped advisory lock and then
 * checks whether the version is recorded, so migrators started at once (two
 * servers, or `lsf-server migrate` during a deploy) apply each migration
 * exactly once: the others wait for the lock, then see the version and skip.
 * DDL is transactional in PostgreSQL, so a failed migration leaves nothing.
 */
#include <stdio.h>
#include <stdlib.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "store/migration.h"
#include "store/postgres/postgres.h"

/* Any constant shared by every migrator of this schema: "lsfmigr" in ASCII. */
static const char SQL_LOCK[] = "SELECT pg_advisory_xact_lock(7236850692716402)";
static const char SQL_CREATE[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "version integer PRIMARY KEY, name text NOT NULL, applied_at bigint NOT NULL)";
static const char SQL_APPLIED[] = "SELECT 1 FROM schema_migrations WHERE version = $1";
static const char SQL_RECORD[] = "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)";

static int is_applied(store_pg_conn_t *c, int version, bool *applied)
{
    char v[24];
    const char *params[] = {store_pg_i64(v, version)};
    PGresult *res;
    int rc = store_pg_query(c, SQL_APPLIED, 1, params, NULL, "migration check", false, NULL, &res);

    if (rc == CORE_OK) {
        *applied = PQntuples(res) > 0;
        PQclear(res);
    }
    return rc;
}

/* Run the (multi-statement) SQL of m on the simple query protocol. */
static int exec_script(store_pg_conn_t *c, const store_migration_t *m)
{
    PGresult *res = PQexec(c->pg, m->sql);
    int rc = CORE_OK;

    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK) {
        const char *primary = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
        log_error("postgres: migration failed", LOG_INT("version", m->version), LOG_STR("name", m->name),
                  LOG_STR("error", primary != NULL ? primary : PQerrorMessage(c->pg)));
        c->broken = PQstatus(c->pg) != CONNECTION_OK;
        rc = c->broken ? CORE_E_UNAVAILABLE : CORE_E_INTERNAL;
    }
    PQclear(res);
    return rc;
}

/* Apply m unless it is recorded; *ran says whether this call applied it. */
static int apply(store_pg_conn_t *c, const store_migration_t *m, bool *ran)
{
    char v[24], at[24];
    const char *params[] = {store_pg_i64(v, m->version), m->name, store_pg_i64(at, core_clock_now_ms())};
    bool done = false;
    int rc;

    *ran = false;
    if ((rc = store_pg_begin(c)) != CORE_OK)
        return rc;
    if ((rc = store_pg_run(c, SQL_LOCK, "migration lock")) != CORE_OK ||
        (rc = store_pg_run(c, SQL_CREATE, "schema_migrations")) != CORE_OK ||
        (rc = is_applied(c, m->version, &done)) != CORE_OK || done)
        goto out;
    if ((rc = exec_script(c, m)) != CORE_OK ||
        (rc = store_pg_query(c, SQL_RECORD, 3, params, NULL, "migration record", false, NULL, NULL)) != CORE_OK)
        goto out;
    *ran = true;
out:
    if (rc == CORE_OK)
        rc = store_pg_commit(c);
    else
        store_pg_rollback(c);
    if (rc != CORE_OK)
        *ran = false;
    else if (*ran)
        log_info("migration applied", LOG_INT("version", m->version), LOG_STR("name", m->name));
    return rc;
}

int store_pg_migrate(store_t *base, int *applied)
{
    store_pg_conn_t *c = NULL;
    int rc, last = 0;

    *applied = 0;
    if ((rc = store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_PRIMARY, NULL, &c)) != CORE_OK)
        goto out;
    for (size_t i = 0; i < store_postgres_migrations_len; i++) {
        const store_migration_t *m = &store_postgres_migrations[i];
        bool ran;

        if (m->version <= last) {
            log_error("postgres: migrations out of order", LOG_INT("version", m->version), LOG_STR("name", m->name));
            rc = CORE_E_INTERNAL;
            goto out;
        }
        last = m->version;
        if ((rc = apply(c, m, &ran)) != CORE_OK)
            goto out;
        *applied += ran;
    }
out:
    store_pg_release(c);
    return rc;
}
