/*
 * Shared set-up of the PostgreSQL store tests. Each test binary starts one
 * throwaway server (tests/support/postgres.sh: initdb + pg_ctl in a temp
 * dir, a free loopback port) in its group setup and stops it in the group
 * teardown; LSF_TEST_PG_URL=postgres://... uses a running server instead.
 * Each test gets a fresh database (CREATE DATABASE), opened and migrated,
 * dropped on teardown. When the server binaries are missing every test is
 * skipped with a message saying so (in CI, ci.h, the group setup fails).
 */
#ifndef TEST_POSTGRES_FIXTURE_H
#define TEST_POSTGRES_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "ci.h"
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "core/pool.h"
#include "store/postgres/postgres.h"
#include "store/store.h"

typedef struct pg_server {
    char dir[256];  /* empty when not ours to stop */
    char url[256];  /* admin URL, database "postgres" */
    bool available;
} pg_server_t;

static pg_server_t pg_server;

typedef struct fixture {
    char name[64];
    char url[320];
    store_t *store;
    core_pool_t pool;
} fixture_t;

/* The settings tests run with unless they configure others. */
static inline core_config_t pg_test_config(void)
{
    core_config_t cfg;

    memset(&cfg, 0, sizeof(cfg));
    cfg.db_pool_max = 10;
    cfg.db_pool_min = 2;
    cfg.db_pool_idle_timeout_ms = 45000;
    cfg.db_pool_acquire_timeout_ms = 5000;
    cfg.db_connect_timeout_ms = 3000;
    cfg.db_statement_timeout_ms = 30000;
    cfg.db_read_your_writes_ms = 5000;
    cfg.database_replica_urls = "";
    return cfg;
}

/* cmocka group setup: a server for the whole file. */
static inline int pg_server_start(void **state)
{
    const char *given = getenv("LSF_TEST_PG_URL");
    const char *script = getenv("LSF_PG_SCRIPT");
    char cmd[512], line[600] = "";
    FILE *p;
    int status;

    (void)state;
    core_log_level = CORE_LOG_ERROR;
    if (given != NULL && *given != '\0') {
        snprintf(pg_server.url, sizeof(pg_server.url), "%s", given);
        pg_server.available = true;
        return 0;
    }
    snprintf(cmd, sizeof(cmd), "%s start", script != NULL ? script : "tests/support/postgres.sh");
    if ((p = popen(cmd, "r")) == NULL)
        return -1;
    if (fgets(line, sizeof(line), p) == NULL)
        line[0] = '\0';
    status = pclose(p);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 77) {
        if (unit_in_ci()) {
            print_error("CI=true: PostgreSQL server binaries not found (apt-get install postgresql)\n");
            return -1;
        }
        print_message("SKIP: PostgreSQL server binaries not found; PostgreSQL store tests skipped\n");
        return 0;
    }
    if (status != 0 || sscanf(line, "%255s %255s", pg_server.dir, pg_server.url) != 2) {
        print_error("cannot start a throwaway PostgreSQL (%s)\n", cmd);
        return -1;
    }
    pg_server.available = true;
    return 0;
}

static inline int pg_server_stop(void **state)
{
    const char *script = getenv("LSF_PG_SCRIPT");
    char cmd[600];

    (void)state;
    if (pg_server.dir[0] != '\0') {
        snprintf(cmd, sizeof(cmd), "%s stop %s", script != NULL ? script : "tests/support/postgres.sh",
                 pg_server.dir);
        if (system(cmd) != 0)
            print_error("could not stop %s\n", pg_server.dir);
    }
    return 0;
}

/* Run sql on a fresh admin connection to database db of the test server
 * ("postgres" for the admin one); 0 or -1 (printed). */
static inline int pg_admin_exec_on(const char *db, const char *sql)
{
    char url[400];
    const char *slash = strrchr(pg_server.url, '/');
    PGconn *c;
    PGresult *r;
    int rc = 0;

    snprintf(url, sizeof(url), "%.*s/%s", (int)(slash - pg_server.url), pg_server.url, db);
    c = PQconnectdb(url);
    if (PQstatus(c) != CONNECTION_OK) {
        print_error("admin connect: %s", PQerrorMessage(c));
        PQfinish(c);
        return -1;
    }
    r = PQexec(c, sql);
    if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK) {
        print_error("%s: %s", sql, PQerrorMessage(c));
        rc = -1;
    }
    PQclear(r);
    PQfinish(c);
    return rc;
}

/* The URL of database db on the test server. */
static inline void pg_db_url(const char *db, char *out, size_t cap)
{
    const char *slash = strrchr(pg_server.url, '/');
    snprintf(out, cap, "%.*s/%s", (int)(slash - pg_server.url), pg_server.url, db);
}

static inline int pg_create_db(const char *name)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
    return pg_admin_exec_on("postgres", sql);
}

static inline int pg_drop_db(const char *name)
{
    char sql[160];
    snprintf(sql, sizeof(sql), "DROP DATABASE IF EXISTS %s WITH (FORCE)", name);
    return pg_admin_exec_on("postgres", sql);
}

/* A fresh database named lsf_t_<pid>_<n>, not migrated, into f. */
static inline int fixture_new_db(fixture_t *f)
{
    static int seq;
    snprintf(f->name, sizeof(f->name), "lsf_t_%ld_%d", (long)getpid(), ++seq);
    pg_db_url(f->name, f->url, sizeof(f->url));
    return pg_create_db(f->name);
}

/* cmocka setup: a migrated store on a new database; *state NULL (and the
 * test skipped by FIXTURE) when there is no server. */
static inline int fixture_setup(void **state)
{
    fixture_t *f;
    core_config_t cfg = pg_test_config();
    int applied = -1;

    *state = NULL;
    if (!pg_server.available)
        return 0;
    f = calloc(1, sizeof(*f));
    store_postgres_configure(&cfg);
    if (fixture_new_db(f) != 0 || store_postgres_open(f->url, &f->store) != CORE_OK ||
        store_migrate(f->store, &applied) != CORE_OK || applied < 1) {
        free(f);
        return -1;
    }
    core_pool_init(&f->pool);
    *state = f;
    return 0;
}

static inline int fixture_teardown(void **state)
{
    fixture_t *f = *state;

    if (f == NULL)
        return 0;
    store_close(f->store);
    core_pool_cleanup(&f->pool);
    pg_drop_db(f->name);
    free(f);
    return 0;
}

/* Declare f as the fixture of a test, or skip when there is no server. */
#define FIXTURE(f, state)                                                                                          \
    fixture_t *f = *(state);                                                                                       \
    if (f == NULL)                                                                                                 \
    skip()

/* One value (row 0, col 0) of sql on f's database, as int64 (-1 on error). */
static inline int64_t fixture_sql_i64(fixture_t *f, const char *sql)
{
    PGconn *c = PQconnectdb(f->url);
    PGresult *r = PQexec(c, sql);
    int64_t n = -1;

    if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
        n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
    else if (PQresultStatus(r) != PGRES_TUPLES_OK)
        print_error("%s: %s", sql, PQerrorMessage(c));
    PQclear(r);
    PQfinish(c);
    return n;
}

/* A user row with the given id suffix (0..9) and email, created at `at`. */
static inline store_user_t fixture_user(char id_digit, const char *email, int64_t at)
{
    store_user_t u = {0};

    snprintf(u.id, sizeof(u.id), "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c9%c", id_digit);
    u.name = "Alice";
    u.email = email;
    u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
    u.created_at = u.updated_at = at;
    return u;
}

static inline mail_msg_t fixture_mail(const char *recipient, const char *subject, int64_t at)
{
    return (mail_msg_t){.recipient = recipient, .subject = subject, .body = "Hello,\r\nbody\r\n", .created_at = at};
}

#endif
