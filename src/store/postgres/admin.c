/*
 * This file implements the operator operations of store/admin.h for
 * PostgreSQL: row counts, backup with pg_dump and restore with pg_restore,
 * account deletion, the list of user ids and the bulk inserts of
 * `lsf-server import`.
 *
 * A backup exports the snapshot of a REPEATABLE READ transaction
 * (pg_export_snapshot()), counts the rows in it, and runs pg_dump in custom
 * format on that same snapshot while the transaction stays open, so the
 * counts describe the dump exactly. pg_dump and pg_restore get the
 * connection's parameters in their environment (PGHOST, PGPASSWORD, ...),
 * never on their command line, which other users can read in /proc. They
 * are found on PATH (Debian: postgresql-client).
 */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/error.h"
#include "core/log.h"
#include "core/mem.h"
#include "store/postgres/postgres.h"

extern char **environ;

static const char SQL_DELETE_USER[] = "DELETE FROM users WHERE id = $1 RETURNING email";
static const char SQL_DELETE_COUNTS[] = "DELETE FROM task_counts WHERE user_id = $1";
static const char SQL_DELETE_MAIL[] = "DELETE FROM outbox WHERE recipient = $1 AND sent_at IS NULL";
static const char SQL_USER_IDS[] = "SELECT id FROM users ORDER BY id";
static const char SQL_USER_EXISTS[] = "SELECT 1 FROM users WHERE id = $1";
static const char SQL_USER_INSERT[] =
    "INSERT INTO users (id, name, email, password_hash, is_account_verified, created_at, updated_at) "
    "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id";
/* in the tasks, or in the trash (deleted since the import that brought it: a re-run leaves it there) */
static const char SQL_TASK_EXISTS[] =
    "SELECT 1 FROM tasks WHERE user_id = $1 AND id = $2 UNION ALL SELECT 1 FROM task_trash WHERE user_id = $1 AND id = $2";
static const char SQL_TASK_INSERT[] = "SELECT lsf_task_insert($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)";

static int acquire(store_t *base, store_pg_conn_t **c)
{
    return store_pg_acquire(store_pg_of(base)->cluster, STORE_PG_PRIMARY, NULL, c);
}

/* Whether table exists (an older or empty schema lacks some). */
static int table_present(store_pg_conn_t *c, const char *table, bool *present)
{
    const char *params[] = {table};
    PGresult *res = NULL;
    int rc = store_pg_query_unprepared(c, "SELECT to_regclass($1) IS NOT NULL", 1, params, NULL, "counts", &res);

    *present = rc == CORE_OK && strcmp(PQgetvalue(res, 0, 0), "t") == 0;
    PQclear(res);
    return rc;
}

/* One count in c's current transaction. */
static int count_one(store_pg_conn_t *c, const char *sql, int64_t *out)
{
    PGresult *res = NULL;
    int rc = store_pg_query_unprepared(c, sql, 0, NULL, NULL, "counts", &res);

    if (rc == CORE_OK)
        *out = store_pg_get_i64(res, 0, 0);
    PQclear(res);
    return rc;
}

/* Counts in c's current transaction; tables a schema lacks count 0. */
static int count_in(store_pg_conn_t *c, store_counts_t *out)
{
    char sql[160];
    int64_t version = 0;
    bool present;
    int rc;

    memset(out, 0, sizeof(*out));
    if ((rc = table_present(c, "schema_migrations", &present)) != CORE_OK ||
        (present && (rc = count_one(c, "SELECT coalesce(max(version), 0) FROM schema_migrations", &version)) != CORE_OK))
        return rc;
    out->schema_version = (int)version;
    for (int i = 0; i < STORE_COUNT_N; i++) {
        if ((rc = table_present(c, store_count_names[i], &present)) != CORE_OK)
            return rc;
        snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s", store_count_names[i]);
        if (present && (rc = count_one(c, sql, &out->rows[i])) != CORE_OK)
            return rc;
    }
    return CORE_OK;
}

static int counts(store_t *base, store_counts_t *out)
{
    store_pg_conn_t *c;
    int rc;

    if ((rc = acquire(base, &c)) != CORE_OK)
        return rc;
    if ((rc = store_pg_run(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "counts")) == CORE_OK &&
        (rc = count_in(c, out)) == CORE_OK)
        rc = store_pg_commit(c);
    if (rc != CORE_OK)
        store_pg_rollback(c);
    store_pg_release(c);
    return rc;
}

/* The environment for a client program on c's server: ours, less any PG*
 * variable, plus c's host, port, user, password and database. Freed with
 * free_env(). */
static char **client_env(PGconn *pg)
{
    const struct {
        const char *name, *value;
    } vars[] = {{"PGHOST", PQhost(pg)}, {"PGPORT", PQport(pg)}, {"PGUSER", PQuser(pg)},
                {"PGPASSWORD", PQpass(pg)}, {"PGDATABASE", PQdb(pg)}};
    size_t n = 0, cap = 8;
    char **env;

    for (char **e = environ; *e != NULL; e++)
        cap++;
    env = core_calloc(cap, sizeof(*env));
    for (char **e = environ; *e != NULL; e++)
        if (strncmp(*e, "PG", 2) != 0)
            env[n++] = core_strdup(*e);
    for (size_t i = 0; i < sizeof(vars) / sizeof(vars[0]); i++) {
        if (vars[i].value == NULL || *vars[i].value == '\0')
            continue;
        size_t len = strlen(vars[i].name) + strlen(vars[i].value) + 2;
        env[n] = core_malloc(len);
        snprintf(env[n++], len, "%s=%s", vars[i].name, vars[i].value);
    }
    return env;
}

static void free_env(char **env)
{
    for (char **e = env; *e != NULL; e++) {
        explicit_bzero(*e, strlen(*e)); /* PGPASSWORD */
        free(*e);
    }
    free(env);
}

/* Run argv with env, stdout to out_fd (or ours when -1); CORE_OK when it
 * exits 0. Its stderr is ours, so its messages reach the operator. */
static int run_client(char *const argv[], char **env, int out_fd)
{
    posix_spawn_file_actions_t fa;
    pid_t pid;
    int status = 0, rc;

    posix_spawn_file_actions_init(&fa);
    if (out_fd >= 0)
        posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
    rc = posix_spawnp(&pid, argv[0], &fa, NULL, argv, env);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        log_error("cannot run a PostgreSQL client program (install postgresql-client)", LOG_STR("program", argv[0]),
                  LOG_STR("error", strerror(rc)));
        return CORE_E_INTERNAL;
    }
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR)
            return CORE_E_INTERNAL;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        log_error("PostgreSQL client program failed", LOG_STR("program", argv[0]),
                  LOG_INT("status", WIFEXITED(status) ? WEXITSTATUS(status) : -1));
        return CORE_E_INTERNAL;
    }
    return CORE_OK;
}

static int backup(store_t *base, const char *path, store_counts_t *out)
{
    store_pg_conn_t *c;
    PGresult *res = NULL;
    char snapshot[128] = "", arg[160];
    char **env = NULL;
    int fd = -1, rc;

    if ((rc = acquire(base, &c)) != CORE_OK)
        return rc;
    if ((rc = store_pg_run(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", "backup")) != CORE_OK ||
        (rc = store_pg_query_unprepared(c, "SELECT pg_export_snapshot()", 0, NULL, NULL, "backup", &res)) != CORE_OK)
        goto out;
    snprintf(snapshot, sizeof(snapshot), "%s", PQgetvalue(res, 0, 0));
    PQclear(res);
    if ((rc = count_in(c, out)) != CORE_OK)
        goto out;
    if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
        log_error("backup: cannot create the dump", LOG_STR("path", path), LOG_STR("error", strerror(errno)));
        rc = CORE_E_INTERNAL;
        goto out;
    }
    snprintf(arg, sizeof(arg), "--snapshot=%s", snapshot);
    char *argv[] = {"pg_dump", "--format=custom", "--no-owner", "--no-privileges", arg, NULL};
    env = client_env(c->pg);
    rc = run_client(argv, env, fd);
    if (rc == CORE_OK && fsync(fd) != 0)
        rc = CORE_E_INTERNAL;
out:
    if (fd >= 0 && close(fd) != 0 && rc == CORE_OK)
        rc = CORE_E_INTERNAL;
    if (rc != CORE_OK && fd >= 0)
        unlink(path);
    store_pg_rollback(c); /* read only: nothing to commit */
    store_pg_release(c);
    if (env != NULL)
        free_env(env);
    return rc;
}

static int restore(store_t *base, const char *path, bool force)
{
    store_counts_t now;
    store_pg_conn_t *c;
    char **env = NULL;
    int rc;

    if ((rc = counts(base, &now)) != CORE_OK)
        return rc;
    if (!force && (now.rows[STORE_COUNT_users] > 0 || now.rows[STORE_COUNT_tasks] > 0)) {
        log_error("restore: the database is not empty (use --force to replace it)",
                  LOG_INT("users", now.rows[STORE_COUNT_users]), LOG_INT("tasks", now.rows[STORE_COUNT_tasks]));
        return CORE_E_CONFLICT;
    }
    if ((rc = acquire(base, &c)) != CORE_OK)
        return rc;
    /* the dump recreates every object of ours (and the extensions it uses) */
    if ((rc = store_pg_run(c, "DROP SCHEMA public CASCADE", "restore")) == CORE_OK &&
        (rc = store_pg_run(c, "CREATE SCHEMA public", "restore")) == CORE_OK) {
        char *file = core_strdup(path);
        char *argv[] = {"pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
                        "--dbname", PQdb(c->pg), file, NULL};
        env = client_env(c->pg);
        rc = run_client(argv, env, -1);
        free_env(env);
        free(file);
    }
    c->broken = true; /* its prepared statements name objects that are gone */
    store_pg_release(c);
    return rc;
}

static int user_delete(store_t *base, const char *user_id)
{
    const char *params[] = {user_id, NULL};
    store_pg_conn_t *c;
    PGresult *res = NULL;
    char *email = NULL;
    int rc;

    if ((rc = acquire(base, &c)) != CORE_OK)
        return rc;
    if ((rc = store_pg_begin(c)) != CORE_OK)
        goto out;
    if ((rc = store_pg_query(c, SQL_DELETE_USER, 1, params, NULL, "user delete", false, NULL, &res)) != CORE_OK)
        goto out;
    if (PQntuples(res) == 0) {
        rc = CORE_E_NOT_FOUND;
        goto out;
    }
    email = core_strdup(PQgetvalue(res, 0, 0));
    params[0] = email;
    if ((rc = store_pg_query(c, SQL_DELETE_MAIL, 1, params, NULL, "user delete mail", false, NULL, NULL)) !=
        CORE_OK)
        goto out;
    params[0] = user_id;
    if ((rc = store_pg_query(c, SQL_DELETE_COUNTS, 1, params, NULL, "user delete counts", false, NULL, NULL)) ==
        CORE_OK)
        rc = store_pg_commit(c);
    if (rc == CORE_OK)
        store_pg_note_write(store_pg_of(base)->cluster, user_id);
out:
    PQclear(res);
    if (rc != CORE_OK)
        store_pg_rollback(c);
    store_pg_release(c);
    free(email);
    return rc;
}

static int user_ids_each(store_t *base, store_user_id_cb cb, void *ctx)
{
    store_pg_conn_t *c;
    PGresult *res = NULL;
    int rc;

    if ((rc = acquire(base, &c)) != CORE_OK)
        return rc;
    rc = store_pg_query(c, SQL_USER_IDS, 0, NULL, NULL, "user ids", false, NULL, &res);
    store_pg_release(c); /* before the callbacks, which may want a connection */
    for (int i = 0; rc == CORE_OK && i < PQntuples(res); i++)
        cb(ctx, PQgetvalue(res, i, 0));
    PQclear(res);
    return rc;
}

static bool exists(store_pg_conn_t *c, const char *sql, int n, const char *const *params, int *rc)
{
    PGresult *res = NULL;
    bool found;

    *rc = store_pg_query(c, sql, n, params, NULL, "import exists", false, NULL, &res);
    found = *rc == CORE_OK && PQntuples(res) > 0;
    PQclear(res);
    return found;
}

static int import_users(store_t *base, const store_user_t *users, size_t n, int *results)
{
    store_pg_conn_t *c;
    int rc;

    if ((rc = acquire(base, &c)) != CORE_OK)
        return rc;
    if ((rc = store_pg_begin(c)) != CORE_OK)
        goto out;
    for (size_t i = 0; i < n && rc == CORE_OK; i++) {
        const store_user_t *u = &users[i];
        char created[24], updated[24];
        const char *params[] = {u->id, u->name, u->email, u->password_hash, u->is_account_verified ? "true" : "false",
                                store_pg_i64(created, u->created_at), store_pg_i64(updated, u->updated_at)};
        PGresult *res = NULL;

        if ((rc = store_pg_query(c, SQL_USER_INSERT, 7, params, NULL, "import user", false, NULL, &res)) != CORE_OK)
            break;
        bool inserted = PQntuples(res) > 0;
        PQclear(res);
        if (inserted)
            results[i] = STORE_IMPORT_INSERTED;
        else /* ON CONFLICT DO NOTHING: the id, or else the email */
            results[i] = exists(c, SQL_USER_EXISTS, 1, params, &rc) ? STORE_IMPORT_EXISTS : STORE_IMPORT_EMAIL_TAKEN;
    }
    if (rc == CORE_OK)
        rc = store_pg_commit(c);
out:
    if (rc != CORE_OK)
        store_pg_rollback(c);
    store_pg_release(c);
    return rc;
}

/* One task through lsf_task_insert() (migration 0003: id order per user). */
static int import_task(store_pg_conn_t *c, const store_task_t *t, int *result)
{
    char status[24], priority[24], due[24], completed[24], created[24], updated[24];
    char *tags = store_task_tags_encode(t);
    const char *params[] = {t->id, t->user_id, t->title, t->description, store_pg_i64(status, t->status),
                            store_pg_i64(priority, t->priority), store_pg_time(due, t->due_date), tags,
                            store_pg_time(completed, t->completed_at), store_pg_i64(created, t->created_at),
                            store_pg_i64(updated, t->updated_at)};
    PGresult *res = NULL;
    int rc = store_pg_query(c, SQL_TASK_INSERT, 11, params, NULL, "import task", false, NULL, &res);

    if (rc == CORE_OK)
        *result = PQgetisnull(res, 0, 0) ? STORE_IMPORT_INSERTED : STORE_IMPORT_NOT_AFTER;
    PQclear(res);
    free(tags);
    return rc;
}

static int import_tasks(store_t *base, const store_task_t *tasks, size_t n, int *results)
{
    char owner[CORE_UUID_LEN + 1] = "";
    bool owner_found = false;
    store_pg_conn_t *c;
    int rc;

    if ((rc = acquire(base, &c)) != CORE_OK)
        return rc;
    if ((rc = store_pg_begin(c)) != CORE_OK)
        goto out;
    for (size_t i = 0; i < n && rc == CORE_OK; i++) {
        const store_task_t *t = &tasks[i];
        const char *params[] = {t->user_id, t->id};
        if (strcmp(owner, t->user_id) != 0) {
            snprintf(owner, sizeof(owner), "%s", t->user_id);
            if (!(owner_found = exists(c, SQL_USER_EXISTS, 1, params, &rc)) && rc != CORE_OK)
                break;
        }
        if (exists(c, SQL_TASK_EXISTS, 2, params, &rc) || rc != CORE_OK)
            results[i] = STORE_IMPORT_EXISTS;
        else if (!owner_found)
            results[i] = STORE_IMPORT_NO_USER;
        else
            rc = import_task(c, t, &results[i]);
    }
    if (rc == CORE_OK)
        rc = store_pg_commit(c);
out:
    if (rc != CORE_OK)
        store_pg_rollback(c);
    store_pg_release(c);
    return rc;
}

const store_admin_ops_t store_pg_admin_ops = {
    .counts = counts,
    .backup = backup,
    .restore = restore,
    .user_delete = user_delete,
    .user_ids_each = user_ids_each,
    .import_users = import_users,
    .import_tasks = import_tasks,
};
