/*
 * lsf-server's command line: parse the subcommand and its options, load the
 * configuration, and dispatch to serve, migrate or healthcheck. Everything
 * else lives in the modules; this file only wires them together in start-up
 * order.
 */
#include <curl/curl.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/api.h"
#include "api/effects.h"
#include "api/cursor.h"
#include "auth/otp.h"
#include "auth/password.h"
#include "core/config.h"
#include "core/error.h"
#include "core/log.h"
#include "http/access_log.h"
#include "http/healthcheck.h"
#include "http/http.h"
#include "kv/kv.h"
#include "kv/redis.h"
#include "mail/outbox.h"
#include "ops/ops.h"
#include "store/postgres/postgres.h"
#include "store/store.h"
#include "trace/export.h"

#define EXIT_USAGE 2
#define HEALTHCHECK_TIMEOUT_MS 2000L

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LSF_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(LSF_ASAN)
/* LeakSanitizer reads this at exit. h2o 2.2.5 keeps per-thread buffer caches
 * (h2o_mem_alloc_recycle) and never frees a context's message queue; both are
 * library-internal and bounded, so they are not reported. Leaks of ours are. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:h2o_mem_alloc_recycle\nleak:h2o_multithread_create_queue\n";
}
#endif

static void usage(FILE *out)
{
    fprintf(out, "usage: lsf-server <command> [options]\n"
                 "\n"
                 "LSF Tasks API server (version " LSF_VERSION ", " LSF_GIT_REV ").\n"
                 "\n"
                 "commands:\n"
                 "  serve [--services LIST]  run the HTTP server (migrates the database first)\n"
                 "  migrate                  apply pending database migrations and exit\n"
                 "  healthcheck [--live]     GET /health/ready (or /health/live) on HOST:PORT; exit 0 on\n"
                 "                           200, else 1 (for a container HEALTHCHECK)\n"
                 "  backup --out FILE        write a backup of the database (manifest + checksum) to FILE\n"
                 "  restore FILE             check FILE and restore it (every earlier session ends)\n"
                 "  import --users F --tasks F  import users and tasks from the MERN app's MongoDB exports\n"
                 "  user export|delete EMAIL an account's data as JSON, or delete it with its tasks\n"
                 "  help                     show this text; `lsf-server COMMAND --help` for its options\n"
                 "  version                  print the version\n"
                 "\n"
                 "Configuration comes from the environment, and from ./.env (or the file named by\n"
                 "ENV_FILE) for variables the environment does not set. A bad value exits with\n"
                 "status 2 and a message naming the variable.\n"
                 "\n"
                 "environment:");
    core_config_print_help(out);
}

static void serve_usage(FILE *out)
{
    fprintf(out, "usage: lsf-server serve [--services LIST]\n"
                 "\n"
                 "Run the HTTP server on HOST:PORT until SIGTERM or SIGINT (then drain and exit 0, or 1\n"
                 "when SHUTDOWN_TIMEOUT_MS passes with requests still in flight).\n"
                 "SIGHUP reopens the access log.\n"
                 "\n"
                 "options:\n"
                 "  --services LIST  comma list of auth, user, tasks (default: all). A process answers\n"
                 "                   404 for the routes of services it does not run; / and /health always.\n"
                 "  -h, --help       show this text\n"
                 "\n"
                 "environment:");
    core_config_print_help(out);
}

static int parse_services(const char *list, unsigned *out)
{
    static const struct {
        const char *name;
        unsigned bit;
    } names[] = {{"auth", API_SERVICE_AUTH}, {"user", API_SERVICE_USER}, {"tasks", API_SERVICE_TASKS}};
    char *copy = strdup(list), *save = NULL;
    int rc = 0;

    *out = API_SERVICE_CORE;
    for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save)) {
        size_t i;
        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
            if (strcmp(tok, names[i].name) == 0)
                break;
        if (i == sizeof(names) / sizeof(names[0])) {
            fprintf(stderr, "lsf-server: --services: unknown service \"%s\" (expected auth, user, tasks)\n",
                    tok);
            rc = -1;
            break;
        }
        *out |= names[i].bit;
    }
    free(copy);
    return rc == 0 && *out == API_SERVICE_CORE ? -1 : rc;
}

static int load_config(core_config_t *cfg)
{
    const char *env_file = getenv("ENV_FILE");
    return core_config_load(cfg, env_file != NULL ? env_file : ".env");
}

/* Open a session and migrate; the session is returned for further use. */
static int open_migrated(const core_config_t *cfg, store_t **out)
{
    int applied = 0, rc;

    if ((rc = store_open(cfg->database_url, out)) != CORE_OK)
        return rc;
    if ((rc = store_migrate(*out, &applied)) != CORE_OK) {
        store_close(*out);
        *out = NULL;
        return rc;
    }
    if (applied > 0)
        log_info("database migrated", LOG_INT("applied", applied));
    return CORE_OK;
}

static int cmd_migrate(const core_config_t *cfg)
{
    store_t *store;
    if (open_migrated(cfg, &store) != CORE_OK)
        return EXIT_FAILURE;
    store_close(store);
    return EXIT_SUCCESS;
}

/* The database file when DATABASE_URL is SQLite on a file, else NULL. On
 * PostgreSQL without Redis, processes cannot notice each other: say so. */
static const char *sqlite_path(const core_config_t *cfg)
{
    static const char scheme[] = "sqlite:";
    const char *path = NULL;

    if (strncmp(cfg->database_url, scheme, sizeof(scheme) - 1) == 0) {
        path = cfg->database_url + sizeof(scheme) - 1;
        if (*path == '\0' || strcmp(path, ":memory:") == 0)
            path = NULL;
    } else {
        log_warn(
            "PostgreSQL without REDIS_URL: caches, revocations and rate limits live in this process; run "
            "one instance, or give every instance the same REDIS_URL");
    }
    return path;
}

/* SHUTDOWN_TIMEOUT_MS passed with requests in flight (http.h): their threads
 * still use kv, the stores, the access log and the configuration, so nothing
 * is freed and no atexit handler runs under them; the process ends here. The
 * abandoned requests get no answer; mail already queued stays in the outbox
 * for the next start. */
static _Noreturn void exit_abandoned(void)
{
    log_info("stopped", LOG_INT("exit_status", EXIT_FAILURE));
    _exit(EXIT_FAILURE);
}

static int cmd_serve(const core_config_t *cfg, unsigned services)
{
    store_t *source = NULL, *mail_store = NULL;
    api_effects_t effects;
    bool effects_ready = false;
    kv_t *kv = NULL;
    int status = EXIT_FAILURE, rc;

    auth_password_configure(cfg->argon2_opslimit, cfg->argon2_memlimit);
    auth_otp_init(cfg->jwt_secret, cfg->jwt_secret_len);
    api_cursor_init(cfg->jwt_secret, cfg->jwt_secret_len);
    if (open_migrated(cfg, &source) != CORE_OK)
        goto out;
    api_effects_init(&effects, cfg, source); /* it owns the session now */
    effects_ready = true;
    rc = cfg->redis_url != NULL ? kv_redis_create(cfg, api_effects_kv_source(&effects), &kv)
                                : kv_memory_create(sqlite_path(cfg), &kv);
    if (rc != CORE_OK)
        goto out;
    /* writes reach caches, read-your-writes marks and kv's revocations from now on */
    store_hooks_set(api_effects_attach(&effects, kv));
    if (cfg->redis_url == NULL && api_effects_load_revocations(&effects) != CORE_OK)
        goto out;
    if (http_access_log_open(cfg->access_log) != 0)
        goto out;
    if (store_open(cfg->database_url, &mail_store) != CORE_OK ||
        mail_outbox_start(cfg, mail_store) != CORE_OK)
        goto out;
    mail_store = NULL;
    if (trace_export_start(cfg) != CORE_OK) {
        mail_outbox_stop();
        goto out;
    }
    if ((rc = http_server_run(cfg, kv, services)) == HTTP_SERVER_ABANDONED)
        exit_abandoned();
    if (rc == 0)
        status = EXIT_SUCCESS;
    mail_outbox_stop();
    trace_export_stop(); /* the loops and workers that finish spans have stopped */
out:
    store_hooks_set(NULL); /* before the kv backend behind them goes */
    store_close(mail_store);
    kv_destroy(kv);
    if (effects_ready)
        api_effects_cleanup(&effects);
    else
        store_close(source);
    http_access_log_close();
    log_info("stopped", LOG_INT("exit_status", status));
    return status;
}

/* One GET of a health route of the server this configuration describes:
 * 0 when it answers 200, else 1 (never 2, which Docker reserves). */
static int cmd_healthcheck(const core_config_t *cfg, const char *path)
{
    char why[512];
    int status = http_healthcheck_get(cfg, path, HEALTHCHECK_TIMEOUT_MS, why, sizeof(why));

    if (status == 200) {
        printf("%s: 200\n", path);
        return EXIT_SUCCESS;
    }
    if (status == 0)
        fprintf(stderr, "lsf-server healthcheck: %s\n", why);
    else
        fprintf(stderr, "lsf-server healthcheck: %s answered %d\n", path, status);
    return EXIT_FAILURE;
}

static const char backup_help[] =
    "usage: lsf-server backup --out FILE [--gzip]\n"
    "\n"
    "Write a consistent backup of DATABASE_URL to FILE (created 0600; never overwritten) while the\n"
    "servers keep running: SQLite through its online backup API, PostgreSQL through pg_dump in\n"
    "custom format (pg_dump must be on PATH). FILE holds a manifest (backend, schema version, row\n"
    "counts, payload size and SHA-256) and the payload; restore checks all of them.\n"
    "\n"
    "options:\n"
    "  -o, --out FILE  where to write the backup\n"
    "  -z, --gzip      compress the payload with gzip\n"
    "  -h, --help      show this text\n";

static const char restore_help[] =
    "usage: lsf-server restore [--force] [--check] FILE\n"
    "\n"
    "Restore a backup made by `lsf-server backup` into DATABASE_URL. FILE's size and SHA-256 are\n"
    "checked against its manifest first, and a truncated or altered file is refused. The restored\n"
    "row counts must be the manifest's; then the schema is migrated, and every session issued\n"
    "before the restore ends (revoked, with new cache generations in REDIS_URL's Redis), so no\n"
    "logout or password reset made since the backup is undone. Stop the servers first.\n"
    "\n"
    "options:\n"
    "  --force     replace a database that holds users or tasks (refused without it)\n"
    "  --check     only check FILE (manifest, size, checksum) and print its manifest\n"
    "  -h, --help  show this text\n";

static const char import_help[] =
    "usage: lsf-server import [--users FILE] [--tasks FILE] [--rejects FILE] [--jsonArray] [--dry-run]\n"
    "                        [--batch N] [--progress | --no-progress]\n"
    "\n"
    "Import the MERN app's users and tasks from MongoDB exports: mongoexport JSON (Extended JSON v2,\n"
    "relaxed or canonical; one document per line, or an array with --jsonArray, also detected) or\n"
    "mongodump .bson files (by the .bson extension). Each ObjectId becomes a UUIDv7 with the\n"
    "ObjectId's time, the same every run, so a re-run skips what is there and GET\n"
    "/api/tasks/<ObjectId> finds an imported task. Users keep their bcrypt hash (rehashed to\n"
    "argon2id at their first login); pending one-time codes are not imported. Refused documents go\n"
    "to the rejects file, one JSON line each with the reason. docs/OPERATIONS.md has the rules.\n"
    "\n"
    "options:\n"
    "  --users FILE     the users collection\n"
    "  --tasks FILE     the tasks collection (their users must be in --users or already here)\n"
    "  --rejects FILE   refused documents (default: import-rejects.jsonl); created 0600\n"
    "  --jsonArray      the JSON files are arrays (mongoexport --jsonArray)\n"
    "  --dry-run        read and check everything, write nothing to the database\n"
    "  --batch N        documents per transaction (default 10000)\n"
    "  --progress       a progress line on stderr (default when stderr is a terminal)\n"
    "  --no-progress    none\n"
    "  -h, --help       show this text\n";

static const char user_help[] =
    "usage: lsf-server user export EMAIL\n"
    "       lsf-server user delete EMAIL\n"
    "\n"
    "export  print the account's data (profile and every task) as JSON, as GET /api/user/export does\n"
    "delete  delete the account and every task of it, end its sessions and drop its cached answers\n"
    "        (the operator's DELETE /api/user; no password is asked)\n"
    "\n"
    "options:\n"
    "  -h, --help  show this text\n";

typedef struct ops_args {
    const char *path;
    bool gzip, force, check;
    const char *user_action;
    ops_import_options_t import;
} ops_args_t;

/* Parse the options of backup, restore, import and user into a; returns -1
 * to exit with *status (help or a usage error), 0 to run. */
static int parse_ops(const char *cmd, int argc, char **argv, ops_args_t *a, int *status)
{
    static const struct option backup_opts[] = {{"out", required_argument, NULL, 'o'},
                                                {"gzip", no_argument, NULL, 'z'},
                                                {"help", no_argument, NULL, 'h'},
                                                {NULL, 0, NULL, 0}};
    static const struct option restore_opts[] = {{"force", no_argument, NULL, 'f'},
                                                 {"check", no_argument, NULL, 'c'},
                                                 {"help", no_argument, NULL, 'h'},
                                                 {NULL, 0, NULL, 0}};
    static const struct option import_opts[] = {
        {"users", required_argument, NULL, 'u'},  {"tasks", required_argument, NULL, 't'},
        {"rejects", required_argument, NULL, 'r'}, {"jsonArray", no_argument, NULL, 'a'},
        {"dry-run", no_argument, NULL, 'n'},       {"batch", required_argument, NULL, 'b'},
        {"progress", no_argument, NULL, 'p'},      {"no-progress", no_argument, NULL, 'P'},
        {"help", no_argument, NULL, 'h'},          {NULL, 0, NULL, 0}};
    static const struct option user_opts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const char *help = strcmp(cmd, "backup") == 0    ? backup_help
                       : strcmp(cmd, "restore") == 0 ? restore_help
                       : strcmp(cmd, "import") == 0  ? import_help
                                                     : user_help;
    const struct option *opts = strcmp(cmd, "backup") == 0    ? backup_opts
                                : strcmp(cmd, "restore") == 0 ? restore_opts
                                : strcmp(cmd, "import") == 0  ? import_opts
                                                              : user_opts;
    int c;

    memset(a, 0, sizeof(*a));
    a->import.rejects_path = "import-rejects.jsonl";
    a->import.batch = 10000;
    a->import.progress = isatty(STDERR_FILENO);
    optind = 2;
    while ((c = getopt_long(argc, argv, strcmp(cmd, "backup") == 0 ? "ho:z" : "h", opts, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(help, stdout); *status = EXIT_SUCCESS; return -1;
        case 'o': a->path = optarg; break;
        case 'z': a->gzip = true; break;
        case 'f': a->force = true; break;
        case 'c': a->check = true; break;
        case 'u': a->import.users_path = optarg; break;
        case 't': a->import.tasks_path = optarg; break;
        case 'r': a->import.rejects_path = optarg; break;
        case 'a': a->import.json_array = true; break;
        case 'n': a->import.dry_run = true; break;
        case 'p': a->import.progress = true; break;
        case 'P': a->import.progress = false; break;
        case 'b': {
            char *end;
            long n = strtol(optarg, &end, 10);
            if (*end != '\0' || n < 1 || n > 1000000) {
                fprintf(stderr, "lsf-server import: --batch must be 1 to 1000000\n");
                *status = EXIT_USAGE;
                return -1;
            }
            a->import.batch = (int)n;
            break;
        }
        default: fputs(help, stderr); *status = EXIT_USAGE; return -1;
        }
    }
    int rest = argc - optind;
    bool ok;
    if (strcmp(cmd, "backup") == 0) {
        ok = rest == 0 && a->path != NULL;
    } else if (strcmp(cmd, "restore") == 0) {
        ok = rest == 1;
        a->path = ok ? argv[optind] : NULL;
    } else if (strcmp(cmd, "import") == 0) {
        ok = rest == 0 && (a->import.users_path != NULL || a->import.tasks_path != NULL);
    } else {
        ok = rest == 2 && (strcmp(argv[optind], "export") == 0 || strcmp(argv[optind], "delete") == 0);
        if (ok) {
            a->user_action = argv[optind];
            a->path = argv[optind + 1];
        }
    }
    if (!ok) {
        fputs(help, stderr);
        *status = EXIT_USAGE;
        return -1;
    }
    return 0;
}

static int run_ops(const char *cmd, const core_config_t *cfg, const ops_args_t *a)
{
    if (strcmp(cmd, "backup") == 0)
        return ops_backup(cfg, a->path, a->gzip);
    if (strcmp(cmd, "restore") == 0)
        return ops_restore(cfg, a->path, a->force, a->check);
    if (strcmp(cmd, "import") == 0)
        return ops_import(cfg, &a->import);
    if (strcmp(a->user_action, "export") == 0)
        return ops_user_export(cfg, a->path);
    return ops_user_delete(cfg, a->path);
}

static bool is_ops(const char *cmd)
{
    return strcmp(cmd, "backup") == 0 || strcmp(cmd, "restore") == 0 || strcmp(cmd, "import") == 0 ||
           strcmp(cmd, "user") == 0;
}

int main(int argc, char **argv)
{
    core_config_t cfg;
    const char *cmd = argc > 1 ? argv[1] : "help";
    unsigned services = API_SERVICE_CORE | API_SERVICE_AUTH | API_SERVICE_USER | API_SERVICE_TASKS;
    const char *health_path = "/health/ready";
    ops_args_t ops_args;
    int status;

    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        usage(stdout);
        return EXIT_SUCCESS;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        if (argc > 2 && strcmp(argv[2], "--help") == 0) {
            printf("usage: lsf-server version\n\nprint the version and the commit it was built from\n");
            return EXIT_SUCCESS;
        }
        printf("lsf-server %s (%s)\n", LSF_VERSION, LSF_GIT_REV);
        return EXIT_SUCCESS;
    }
    if (strcmp(cmd, "serve") == 0) {
        static const struct option opts[] = {
            {"services", required_argument, NULL, 's'}, {"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
        int c;
        optind = 2;
        while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
            if (c == 'h') {
                serve_usage(stdout);
                return EXIT_SUCCESS;
            }
            if (c != 's' || parse_services(optarg, &services) != 0) {
                serve_usage(stderr);
                return EXIT_USAGE;
            }
        }
        if (optind < argc) {
            fprintf(stderr, "lsf-server serve: unexpected argument \"%s\"\n", argv[optind]);
            return EXIT_USAGE;
        }
    } else if (strcmp(cmd, "migrate") == 0) {
        if (argc > 2) {
            bool help = strcmp(argv[2], "--help") == 0;
            fprintf(help ? stdout : stderr, "usage: lsf-server migrate\n");
            return help ? EXIT_SUCCESS : EXIT_USAGE;
        }
    } else if (strcmp(cmd, "healthcheck") == 0) {
        if (argc == 3 && strcmp(argv[2], "--help") == 0) {
            printf("usage: lsf-server healthcheck [--live]\n\n"
                   "GET /health/ready (with --live: /health/live) of the server on HOST:PORT; exit 0 on 200,\n"
                   "else 1 with the reason on stderr (a container's HEALTHCHECK).\n");
            return EXIT_SUCCESS;
        }
        if (argc > 3 || (argc == 3 && strcmp(argv[2], "--live") != 0)) {
            fprintf(stderr, "usage: lsf-server healthcheck [--live]\n");
            return EXIT_USAGE;
        }
        if (argc == 3)
            health_path = "/health/live";
    } else if (is_ops(cmd)) {
        if (parse_ops(cmd, argc, argv, &ops_args, &status) != 0)
            return status;
    } else {
        fprintf(stderr, "lsf-server: unknown command \"%s\"\n\n", cmd);
        usage(stderr);
        return EXIT_USAGE;
    }

    if (sodium_init() < 0) {
        fprintf(stderr, "lsf-server: libsodium failed to initialize\n");
        return EXIT_FAILURE;
    }
    if (strcmp(cmd, "healthcheck") == 0 && getenv("JWT_SECRET") == NULL) {
        /* It needs only HOST and PORT: a throwaway secret keeps the config
         * from generating one into DATA_DIR (or requiring one in production). */
        unsigned char raw[32];
        char hex[65];
        randombytes_buf(raw, sizeof(raw));
        sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
        setenv("JWT_SECRET", hex, 0);
        sodium_memzero(hex, sizeof(hex));
    }
    if (load_config(&cfg) != 0) /* a healthcheck reports unhealthy, not a usage error */
        return strcmp(cmd, "healthcheck") == 0 ? EXIT_FAILURE : EXIT_USAGE;
    store_postgres_configure(&cfg); /* pool sizes, timeouts and replicas for postgres:// */
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (strcmp(cmd, "serve") == 0)
        status = cmd_serve(&cfg, services);
    else if (strcmp(cmd, "healthcheck") == 0)
        status = cmd_healthcheck(&cfg, health_path);
    else if (is_ops(cmd))
        status = run_ops(cmd, &cfg, &ops_args);
    else
        status = cmd_migrate(&cfg);
    curl_global_cleanup();
    core_config_cleanup(&cfg);
    return status;
}
