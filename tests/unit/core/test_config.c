/*
 * Unit tests for src/core/config.c: defaults, every parser (ints, sizes,
 * milliseconds, booleans, choices, origins, TRUST_PROXY CIDRs), the error
 * line that names the bad variable, the JWT secret rules (required in
 * production, generated and persisted in development), the .env loader and
 * --help. Each test starts from an environment with every variable unset and
 * a fresh temporary DATA_DIR; stderr is captured to read the error line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/config.h"

#define SECRET32 "0123456789abcdef0123456789abcdef"
#define STRONG_SECRET "wZGqheVHYjE1lHV/dg1HVOvxSgn4YFm4v+ieUd7gMB1EcPSYp0FAsKATV89ADc96" /* openssl rand -base64 48 */

/* Every variable of the table in config.c, in order. */
static const char *const vars[] = {
    "LSF_ENV", "HOST", "PORT", "HTTP_THREADS", "WORKER_THREADS", "WORKER_QUEUE", "TASK_WRITE_BATCH", "BODY_LIMIT", "HEADER_LIMIT",
    "REQUEST_TIMEOUT_MS", "SHUTDOWN_TIMEOUT_MS", "DATA_DIR", "WEB_DIR", "DATABASE_URL", "JWT_SECRET", "JWT_SECRET_PREVIOUS",
    "COOKIE_SAMESITE", "ARGON2_OPSLIMIT", "ARGON2_MEMLIMIT", "ERROR_STATUS", "CORS_ORIGINS", "TRUST_PROXY",
    "RATE_LIMIT", "RATE_LIMIT_WINDOW_MS", "RATE_LIMIT_MAX", "AUTH_RATE_LIMIT_WINDOW_MS", "AUTH_RATE_LIMIT_MAX",
    "SMTP_URL", "SMTP_USER", "SMTP_PASS", "MAIL_FROM", "LOG_LEVEL", "ACCESS_LOG", "DATABASE_REPLICA_URLS",
    "DB_POOL_MAX", "DB_POOL_MIN", "DB_POOL_IDLE_TIMEOUT_MS", "DB_POOL_ACQUIRE_TIMEOUT_MS", "DB_CONNECT_TIMEOUT_MS",
    "DB_STATEMENT_TIMEOUT_MS", "DB_READ_YOUR_WRITES_MS", "REDIS_URL", "CACHE_USER_TTL_MS", "CACHE_STATS_TTL_MS",
    "REDIS_DOWN_RATE_LIMIT", "METRICS_HOST", "METRICS_PORT", "METRICS_TOKEN", "SHUTDOWN_GRACE_MS",
    "METRICS", "RATE_LIMIT_USER_MAX", "RATE_LIMIT_USER_WINDOW_MS", "RATE_LIMIT_IPV6_PREFIX",
    "OTP_SEND_MAX", "OTP_SEND_WINDOW_MS", "IDEMPOTENCY_TTL_MS", "OUTBOX_RETENTION_MS", "LIVENESS_STALL_MS",
    "TRASH_RETENTION_MS",
    "OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_HEADERS", "OTEL_EXPORTER_OTLP_TIMEOUT", "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES", "OTEL_TRACES_SAMPLER", "OTEL_TRACES_SAMPLER_ARG", "OTEL_BSP_SCHEDULE_DELAY",
    "OTEL_BSP_MAX_QUEUE_SIZE", "OTEL_BSP_MAX_EXPORT_BATCH_SIZE",
};
#define NVARS (sizeof(vars) / sizeof(vars[0]))

/* Variables the .env tests invent. */
static const char *const test_vars[] = {"LSF_UT_A", "LSF_UT_B", "LSF_UT_C", "LSF_UT_D", "LSF_UT_E",
                                        "LSF_UT_F", "LSF_UT_G", "LSF_UT_H", "LSF_UT_LONG", "LSF_UT_INJ"};

static char tmpdir[256];    /* fresh per test; DATA_DIR points here */
static char captured[8192]; /* stderr of the last load() */

static void rm_rf(const char *path)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", path);
}

static int setup(void **state)
{
    (void)state;
    for (size_t i = 0; i < NVARS; i++)
        unsetenv(vars[i]);
    for (size_t i = 0; i < sizeof(test_vars) / sizeof(test_vars[0]); i++)
        unsetenv(test_vars[i]);
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/lsf-ut-config-XXXXXX");
    if (mkdtemp(tmpdir) == NULL)
        return -1;
    setenv("DATA_DIR", tmpdir, 1);
    captured[0] = '\0';
    return 0;
}

static int teardown(void **state)
{
    struct stat st;
    (void)state;
    rm_rf(tmpdir);
    /* nothing may fall back to the default DATA_DIR ("data" in the cwd) */
    return stat("data", &st) == 0 ? -1 : 0;
}

/* core_config_load with stderr captured into `captured`. */
static int load_file(core_config_t *cfg, const char *env_file)
{
    char path[300];
    snprintf(path, sizeof(path), "%s/stderr.txt", tmpdir);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    FILE *f = fopen(path, "w+");
    assert_non_null(f);
    dup2(fileno(f), STDERR_FILENO);
    int rc = core_config_load(cfg, env_file);
    fflush(stderr);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(f);
    size_t n = fread(captured, 1, sizeof(captured) - 1, f);
    captured[n] = '\0';
    fclose(f);
    unlink(path);
    return rc;
}

static int load(core_config_t *cfg)
{
    return load_file(cfg, NULL);
}

/* Set name=value (saving the old value) / put the old value back. */
static char *env_push(const char *name, const char *value)
{
    const char *old = getenv(name);
    char *saved = old != NULL ? strdup(old) : NULL;
    setenv(name, value, 1);
    return saved;
}

static void env_pop(const char *name, char *saved)
{
    if (saved != NULL)
        setenv(name, saved, 1);
    else
        unsetenv(name);
    free(saved);
}

/* Load with one variable set; expect failure with "lsf-server: NAME: " on stderr. */
static void expect_bad(const char *name, const char *value)
{
    core_config_t cfg;
    char *saved = env_push(name, value);
    int rc = load(&cfg);
    core_config_cleanup(&cfg);
    env_pop(name, saved);
    char want[128];
    snprintf(want, sizeof(want), "lsf-server: %s: ", name);
    if (rc != -1)
        fail_msg("%s=\"%s\" was accepted", name, value);
    if (strstr(captured, want) == NULL)
        fail_msg("%s=\"%s\": stderr does not name the variable: %s", name, value, captured);
}

/* Load with one variable set; expect success (cfg must be cleaned up by the caller). */
static void expect_ok(core_config_t *cfg, const char *name, const char *value)
{
    char *saved = env_push(name, value);
    int rc = load(cfg);
    env_pop(name, saved);
    if (rc != 0)
        fail_msg("%s=\"%s\" was refused: %s", name, value, captured);
}

static void test_defaults(void **state)
{
    core_config_t cfg;
    (void)state;
    unsetenv("DATA_DIR");
    setenv("JWT_SECRET", SECRET32, 1); /* nothing is written to ./data */
    assert_int_equal(load(&cfg), 0);
    assert_int_equal(cfg.env, CORE_ENV_DEVELOPMENT);
    assert_string_equal(cfg.host, "0.0.0.0");
    assert_int_equal(cfg.port, 4000);
    assert_true(cfg.http_threads >= 1);
    assert_int_equal(cfg.http_threads, (int)sysconf(_SC_NPROCESSORS_ONLN));
    assert_true(cfg.worker_threads >= 1);
    assert_int_equal(cfg.worker_queue, 256);
    assert_int_equal(cfg.body_limit, 1 << 20);
    assert_int_equal(cfg.header_limit, 16 << 10);
    assert_int_equal(cfg.request_timeout_ms, 10000);
    assert_int_equal(cfg.shutdown_timeout_ms, 30000);
    assert_int_equal(cfg.trash_retention_ms, INT64_C(30) * 86400000);
    assert_string_equal(cfg.data_dir, "data");
    assert_string_equal(cfg.web_dir, "web/dist");
    assert_string_equal(cfg.database_url, "sqlite:data/lsf.db");
    assert_string_equal(cfg.jwt_secret, SECRET32);
    assert_int_equal(cfg.jwt_secret_len, 32);
    assert_string_equal(cfg.cookie_samesite, "Lax");
    assert_false(cfg.cookie_secure);
    assert_int_equal(cfg.argon2_opslimit, 2);
    assert_int_equal(cfg.argon2_memlimit, 64 << 20);
    assert_int_equal(cfg.error_status, CORE_ERROR_STATUS_HTTP);
    assert_int_equal(cfg.cors_origins_len, 1);
    assert_string_equal(cfg.cors_origins[0], "http://localhost:5173");
    assert_int_equal(cfg.trust_proxy_len, 0);
    assert_true(cfg.rate_limit_enabled);
    assert_int_equal(cfg.rate_limit_window_ms, 900000);
    assert_int_equal(cfg.rate_limit_max, 100);
    assert_int_equal(cfg.auth_rate_limit_window_ms, 900000);
    assert_int_equal(cfg.auth_rate_limit_max, 5);
    assert_int_equal(cfg.rate_limit_user_max, 3000);
    assert_int_equal(cfg.rate_limit_user_window_ms, 900000);
    assert_int_equal(cfg.rate_limit_ipv6_prefix, 64);
    assert_int_equal(cfg.otp_send_max, 3);
    assert_int_equal(cfg.otp_send_window_ms, 900000);
    assert_null(cfg.smtp_url);
    assert_null(cfg.smtp_user);
    assert_null(cfg.smtp_pass);
    assert_string_equal(cfg.mail_from, "LSF Tasks <no-reply@lsf-tasks.local>");
    assert_int_equal(cfg.log_level, 1); /* info */
    assert_string_equal(cfg.access_log, "logs/access.log");
    assert_true(cfg.metrics_enabled);
    core_config_cleanup(&cfg);
    assert_null(cfg.host); /* cleanup zeroes the struct */
}

static void test_int_range(void **state)
{
    core_config_t cfg;
    (void)state;
    expect_ok(&cfg, "PORT", "65535");
    assert_int_equal(cfg.port, 65535);
    core_config_cleanup(&cfg);
    expect_ok(&cfg, "PORT", "1");
    assert_int_equal(cfg.port, 1);
    core_config_cleanup(&cfg);
    expect_ok(&cfg, "HTTP_THREADS", "3");
    assert_int_equal(cfg.http_threads, 3);
    core_config_cleanup(&cfg);
    expect_ok(&cfg, "RATE_LIMIT_MAX", "100000000");
    assert_int_equal(cfg.rate_limit_max, 100000000);
    core_config_cleanup(&cfg);
    expect_ok(&cfg, "ARGON2_OPSLIMIT", "32");
    assert_int_equal(cfg.argon2_opslimit, 32);
    core_config_cleanup(&cfg);

    static const char *const bad_ports[] = {"0", "65536", "-1", "abc", "", " 80", "80 ", "4000x", "0x50",
                                            "99999999999999999999999"};
    for (size_t i = 0; i < sizeof(bad_ports) / sizeof(bad_ports[0]); i++)
        expect_bad("PORT", bad_ports[i]);
    expect_bad("HTTP_THREADS", "257");
    expect_bad("WORKER_THREADS", "-1");
    expect_bad("WORKER_QUEUE", "0");
    expect_bad("RATE_LIMIT_MAX", "0");
    expect_bad("AUTH_RATE_LIMIT_MAX", "100000001");
    expect_bad("ARGON2_OPSLIMIT", "33");
    expect_bad("RATE_LIMIT_USER_MAX", "0");
    expect_ok(&cfg, "RATE_LIMIT_IPV6_PREFIX", "32");
    assert_int_equal(cfg.rate_limit_ipv6_prefix, 32);
    core_config_cleanup(&cfg);
    expect_ok(&cfg, "RATE_LIMIT_IPV6_PREFIX", "128");
    assert_int_equal(cfg.rate_limit_ipv6_prefix, 128);
    core_config_cleanup(&cfg);
    expect_bad("RATE_LIMIT_IPV6_PREFIX", "31");
    expect_bad("RATE_LIMIT_IPV6_PREFIX", "129");
    expect_bad("RATE_LIMIT_IPV6_PREFIX", "/64");
    /* the error says what is allowed and echoes (a bounded part of) the value */
    expect_bad("PORT", "70000");
    assert_non_null(strstr(captured, "1 to 65535"));
    assert_non_null(strstr(captured, "\"70000\""));
}

static void test_size_parser(void **state)
{
    size_t n = 0;
    (void)state;
    assert_int_equal(core_config_parse_size("1mb", &n), 0);
    assert_int_equal(n, 1 << 20);
    assert_int_equal(core_config_parse_size("512kb", &n), 0);
    assert_int_equal(n, 512 << 10);
    assert_int_equal(core_config_parse_size("2GB", &n), 0);
    assert_true(n == 2ull << 30);
    assert_int_equal(core_config_parse_size("64Kb", &n), 0);
    assert_int_equal(n, 64 << 10);
    assert_int_equal(core_config_parse_size("0kb", &n), 0);
    assert_int_equal(n, 0);

    static const char *const bad[] = {"", "mb", "kb", "b", "1.5mb", "-1kb", "1 mb", " 1mb", "1tb", "1m", "1k",
                                      "abc", "17179869184gb" /* 2^64 bytes */, "99999999999999999999kb"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (core_config_parse_size(bad[i], &n) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
}

/* config.h documents "1048576" (bare bytes) and the "b" suffix as valid sizes. */
static void test_size_plain_bytes(void **state)
{
    size_t n = 0;
    (void)state;
    assert_int_equal(core_config_parse_size("1048576", &n), 0);
    assert_int_equal(n, 1048576);
    assert_int_equal(core_config_parse_size("2048b", &n), 0);
    assert_int_equal(n, 2048);
    assert_int_equal(core_config_parse_size("0", &n), 0);
    assert_int_equal(n, 0);
}

static void test_size_vars(void **state)
{
    core_config_t cfg;
    (void)state;
    expect_ok(&cfg, "BODY_LIMIT", "2mb");
    assert_int_equal(cfg.body_limit, 2 << 20);
    core_config_cleanup(&cfg);
    expect_ok(&cfg, "HEADER_LIMIT", "1kb");
    assert_int_equal(cfg.header_limit, 1024);
    core_config_cleanup(&cfg);
    expect_ok(&cfg, "ARGON2_MEMLIMIT", "4gb");
    assert_true(cfg.argon2_memlimit == 4ull << 30);
    core_config_cleanup(&cfg);

    expect_bad("BODY_LIMIT", "65mb"); /* above 64mb */
    expect_bad("BODY_LIMIT", "1023b");
    expect_bad("BODY_LIMIT", "lots");
    expect_bad("HEADER_LIMIT", "257kb");
    expect_bad("ARGON2_MEMLIMIT", "5gb");
    expect_bad("ARGON2_MEMLIMIT", "7kb");
    assert_non_null(strstr(captured, "(e.g. 1mb, 64kb)"));
}

static void test_ms_vars(void **state)
{
    core_config_t cfg;
    (void)state;
    expect_ok(&cfg, "REQUEST_TIMEOUT_MS", "100");
    assert_int_equal(cfg.request_timeout_ms, 100);
    core_config_cleanup(&cfg);
    expect_ok(&cfg, "SHUTDOWN_TIMEOUT_MS", "0");
    assert_int_equal(cfg.shutdown_timeout_ms, 0);
    core_config_cleanup(&cfg);
    expect_ok(&cfg, "RATE_LIMIT_WINDOW_MS", "604800000"); /* 7 days */
    assert_int_equal(cfg.rate_limit_window_ms, 604800000);
    core_config_cleanup(&cfg);

    expect_bad("REQUEST_TIMEOUT_MS", "99");
    expect_bad("REQUEST_TIMEOUT_MS", "600001");
    expect_bad("REQUEST_TIMEOUT_MS", "10s");
    /* the per-account window follows RATE_LIMIT_WINDOW_MS unless set */
    char *saved = env_push("RATE_LIMIT_WINDOW_MS", "60000");
    expect_ok(&cfg, "RATE_LIMIT_USER_WINDOW_MS", "");
    assert_int_equal(cfg.rate_limit_user_window_ms, 60000);
    core_config_cleanup(&cfg);
    expect_ok(&cfg, "RATE_LIMIT_USER_WINDOW_MS", "3600000");
    assert_int_equal(cfg.rate_limit_user_window_ms, 3600000);
    assert_int_equal(cfg.rate_limit_window_ms, 60000);
    core_config_cleanup(&cfg);
    env_pop("RATE_LIMIT_WINDOW_MS", saved);

    expect_bad("RATE_LIMIT_WINDOW_MS", "999");
    expect_bad("RATE_LIMIT_USER_WINDOW_MS", "999");
    expect_bad("RATE_LIMIT_USER_WINDOW_MS", "15m");
    expect_bad("AUTH_RATE_LIMIT_WINDOW_MS", "604800001");
    assert_non_null(strstr(captured, "milliseconds"));
}

static void test_bool(void **state)
{
    core_config_t cfg;
    (void)state;
    static const char *const no[] = {"off", "OFF", "false", "False", "0", "no"};
    static const char *const yes[] = {"on", "True", "1", "YES"};
    for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
        expect_ok(&cfg, "RATE_LIMIT", no[i]);
        assert_false(cfg.rate_limit_enabled);
        core_config_cleanup(&cfg);
    }
    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        expect_ok(&cfg, "RATE_LIMIT", yes[i]);
        assert_true(cfg.rate_limit_enabled);
        core_config_cleanup(&cfg);
    }
    expect_bad("RATE_LIMIT", "");
    expect_bad("RATE_LIMIT", "maybe");
    expect_bad("RATE_LIMIT", "on ");
    expect_bad("RATE_LIMIT", "2");
    expect_ok(&cfg, "METRICS", "off");
    assert_false(cfg.metrics_enabled);
    core_config_cleanup(&cfg);
    expect_bad("METRICS", "maybe");
}

static void test_choices(void **state)
{
    core_config_t cfg;
    (void)state;
    expect_ok(&cfg, "LSF_ENV", "test");
    assert_int_equal(cfg.env, CORE_ENV_TEST);
    core_config_cleanup(&cfg);
    expect_ok(&cfg, "ERROR_STATUS", "LEGACY");
    assert_int_equal(cfg.error_status, CORE_ERROR_STATUS_LEGACY);
    core_config_cleanup(&cfg);

    expect_bad("LSF_ENV", "staging");
    assert_non_null(strstr(captured, "development, test, production"));
    expect_bad("LSF_ENV", "");
    expect_bad("ERROR_STATUS", "express");
    expect_bad("LOG_LEVEL", "verbose");
    expect_bad("LOG_LEVEL", "INFO"); /* log levels are lowercase */

    expect_ok(&cfg, "LOG_LEVEL", "error");
    assert_int_equal(cfg.log_level, 3);
    core_config_cleanup(&cfg);
}

/* The OpenTelemetry variables: tracing is off by default; sampler names,
 * ratios, pairs and header fields are checked at start, and a refusal of
 * OTEL_EXPORTER_OTLP_HEADERS never quotes the value (it may be a token). */
static void test_otel(void **state)
{
    core_config_t cfg;
    (void)state;
    assert_int_equal(load(&cfg), 0);
    assert_null(cfg.otel_endpoint);
    assert_null(cfg.otel_service_name);
    assert_int_equal(cfg.otel_sampler, 0); /* parentbased_traceidratio */
    assert_true(cfg.otel_sampler_ratio == 1.0);
    assert_int_equal(cfg.otel_bsp_schedule_delay_ms, 5000);
    assert_int_equal(cfg.otel_bsp_max_queue_size, 2048);
    assert_int_equal(cfg.otel_bsp_max_export_batch_size, 512);
    assert_int_equal(cfg.otel_exporter_timeout_ms, 10000);
    core_config_cleanup(&cfg);

    expect_ok(&cfg, "OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318");
    assert_string_equal(cfg.otel_endpoint, "http://collector:4318");
    core_config_cleanup(&cfg);
    expect_ok(&cfg, "OTEL_TRACES_SAMPLER", "always_off");
    assert_int_equal(cfg.otel_sampler, 5);
    core_config_cleanup(&cfg);
    expect_ok(&cfg, "OTEL_TRACES_SAMPLER_ARG", "0.25");
    assert_true(cfg.otel_sampler_ratio == 0.25);
    core_config_cleanup(&cfg);
    expect_ok(&cfg, "OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20abc,x-tenant=7");
    core_config_cleanup(&cfg);
    expect_ok(&cfg, "OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=prod,note=a%0Ab");
    core_config_cleanup(&cfg);

    expect_bad("OTEL_EXPORTER_OTLP_ENDPOINT", "grpc://collector:4317");
    expect_bad("OTEL_TRACES_SAMPLER", "jaeger_remote");
    expect_bad("OTEL_TRACES_SAMPLER_ARG", "1.5");
    expect_bad("OTEL_TRACES_SAMPLER_ARG", "-0.1");
    expect_bad("OTEL_TRACES_SAMPLER_ARG", "half");
    expect_bad("OTEL_TRACES_SAMPLER_ARG", "nan");
    expect_bad("OTEL_RESOURCE_ATTRIBUTES", "noequals");
    expect_bad("OTEL_RESOURCE_ATTRIBUTES", "k=%zz");
    expect_bad("OTEL_BSP_MAX_QUEUE_SIZE", "0");
    expect_bad("OTEL_EXPORTER_OTLP_HEADERS", "Authorization=Bearer%20s3cr3t%0D%0AX-Evil:%201");
    assert_null(strstr(captured, "s3cr3t"));
    expect_bad("OTEL_EXPORTER_OTLP_HEADERS", "Bad Name=s3cr3t");
    assert_null(strstr(captured, "s3cr3t"));

    char *saved = env_push("OTEL_BSP_MAX_QUEUE_SIZE", "100");
    expect_bad("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "101");
    assert_non_null(strstr(captured, "OTEL_BSP_MAX_QUEUE_SIZE"));
    env_pop("OTEL_BSP_MAX_QUEUE_SIZE", saved);
}

static void test_samesite(void **state)
{
    core_config_t cfg;
    (void)state;
    expect_ok(&cfg, "COOKIE_SAMESITE", "strict");
    assert_string_equal(cfg.cookie_samesite, "Strict"); /* canonical spelling for the header */
    assert_false(cfg.cookie_secure);
    core_config_cleanup(&cfg);
    expect_ok(&cfg, "COOKIE_SAMESITE", "NONE");
    assert_string_equal(cfg.cookie_samesite, "None");
    assert_true(cfg.cookie_secure); /* browsers drop SameSite=None without Secure */
    core_config_cleanup(&cfg);
    expect_bad("COOKIE_SAMESITE", "Relaxed");
    expect_bad("COOKIE_SAMESITE", "Lax; Domain=evil.com");
}

static void test_strings_and_urls(void **state)
{
    core_config_t cfg;
    (void)state;
    expect_ok(&cfg, "ACCESS_LOG", "off");
    assert_null(cfg.access_log);
    core_config_cleanup(&cfg);
    expect_ok(&cfg, "ACCESS_LOG", "-");
    assert_string_equal(cfg.access_log, "-");
    core_config_cleanup(&cfg);
    expect_ok(&cfg, "SMTP_URL", "smtps://mail.example.com:465");
    assert_string_equal(cfg.smtp_url, "smtps://mail.example.com:465");
    core_config_cleanup(&cfg);
    expect_ok(&cfg, "DATABASE_URL", "sqlite:/var/lib/lsf/db.sqlite");
    assert_string_equal(cfg.database_url, "sqlite:/var/lib/lsf/db.sqlite");
    core_config_cleanup(&cfg);
    setenv("JWT_SECRET", SECRET32, 1); /* so nothing is written to "." */
    expect_ok(&cfg, "DATA_DIR", "");
    assert_string_equal(cfg.data_dir, ".");
    core_config_cleanup(&cfg);
    unsetenv("JWT_SECRET");

    expect_bad("DATABASE_URL", "data/lsf.db");
    expect_bad("DATABASE_URL", ""); /* empty: must not be empty */
    expect_bad("DATABASE_URL", "sqlite:");
    expect_ok(&cfg, "DATABASE_URL", "postgres://lsf:secret@db:5432/lsf");
    core_config_cleanup(&cfg);
    expect_bad("DATABASE_URL", "mysql://db/lsf"); /* not a backend this server has */
    expect_bad("REDIS_URL", "http://cache:6379");
    expect_bad("DB_POOL_MIN", "11"); /* more than DB_POOL_MAX's default 10 */
    expect_bad("SMTP_URL", "mail.example.com:587");
    expect_bad("SMTP_URL", "http://mail.example.com");
    /* the error shows the scheme, never the rest (it may hold a password) */
    expect_bad("SMTP_URL", "smtpx://user:hunter2@mail.example.com");
    assert_null(strstr(captured, "hunter2"));
    expect_ok(&cfg, "SMTP_URL", "smtp://user:pass@mail.example.com:587");
    assert_string_equal(cfg.smtp_url, "smtp://user:pass@mail.example.com:587");
    core_config_cleanup(&cfg);
}

static void test_origins(void **state)
{
    core_config_t cfg;
    (void)state;
    expect_ok(&cfg, "CORS_ORIGINS", " https://app.example.com ,http://localhost:3000,, ,\thttps://x.io:8443 ");
    assert_int_equal(cfg.cors_origins_len, 3);
    assert_string_equal(cfg.cors_origins[0], "https://app.example.com");
    assert_string_equal(cfg.cors_origins[1], "http://localhost:3000");
    assert_string_equal(cfg.cors_origins[2], "https://x.io:8443");
    core_config_cleanup(&cfg);
    expect_ok(&cfg, "CORS_ORIGINS", "");
    assert_int_equal(cfg.cors_origins_len, 0);
    core_config_cleanup(&cfg);
    expect_ok(&cfg, "CORS_ORIGINS", ",,,");
    assert_int_equal(cfg.cors_origins_len, 0);
    core_config_cleanup(&cfg);

    static const char *const bad[] = {"app.example.com", "https://app.example.com/", "ftp://a.example.com",
                                      "https://*.example.com", "*", "null", "http://ok.io,evil",
                                      "http://", "https:/a.io"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_bad("CORS_ORIGINS", bad[i]);
}

/* The error text promises "scheme and host, no path": an origin with a path
 * can never equal a browser's Origin header, so it must be refused at start. */
static void test_origin_with_path(void **state)
{
    (void)state;
    expect_bad("CORS_ORIGINS", "https://app.example.com/app");
    expect_bad("CORS_ORIGINS", "https://app.example.com?x=1");
}

static void test_cidr_parse_match(void **state)
{
    core_cidr_t c[4];
    (void)state;
    assert_int_equal(core_cidr_parse("10.0.0.0/8", &c[0]), 0);
    assert_int_equal(c[0].family, AF_INET);
    assert_int_equal(c[0].prefix, 8);
    assert_int_equal(core_cidr_parse("172.16.0.0/12", &c[1]), 0);
    assert_int_equal(core_cidr_parse("2001:db8::/32", &c[2]), 0);
    assert_int_equal(c[2].family, AF_INET6);
    assert_int_equal(core_cidr_parse("192.168.1.7", &c[3]), 0);
    assert_int_equal(c[3].prefix, 32);

    assert_true(core_cidr_match(c, 4, "10.255.0.1"));
    assert_true(core_cidr_match(c, 4, "172.31.255.255"));
    assert_false(core_cidr_match(c, 4, "172.32.0.0"));
    assert_false(core_cidr_match(c, 4, "172.15.255.255"));
    assert_true(core_cidr_match(c, 4, "2001:db8:ffff::1"));
    assert_true(core_cidr_match(c, 4, "2001:DB8::1"));
    assert_false(core_cidr_match(c, 4, "2001:db9::1"));
    assert_true(core_cidr_match(c, 4, "192.168.1.7"));
    assert_false(core_cidr_match(c, 4, "192.168.1.8"));
    assert_true(core_cidr_match(c, 4, "::ffff:10.1.2.3")); /* IPv4-mapped matches IPv4 ranges */
    assert_false(core_cidr_match(c, 4, "11.0.0.1"));
    /* not addresses */
    static const char *const junk[] = {"", "-", "10.0.0.1 ", " 10.0.0.1", "10.0.0.1/8", "10.0.0", "10.0.0.1:80",
                                       "[2001:db8::1]", "localhost", "10.0.0.256"};
    for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
        if (core_cidr_match(c, 4, junk[i]))
            fail_msg("\"%s\" matched", junk[i]);
    assert_false(core_cidr_match(c, 0, "10.0.0.1"));

    /* prefix 0 matches the whole family and nothing else */
    assert_int_equal(core_cidr_parse("0.0.0.0/0", &c[0]), 0);
    assert_true(core_cidr_match(c, 1, "203.0.113.9"));
    assert_false(core_cidr_match(c, 1, "2001:db8::1"));
    assert_int_equal(core_cidr_parse("::/0", &c[0]), 0);
    assert_true(core_cidr_match(c, 1, "2001:db8::1"));

    static const char *const bad[] = {"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/+8x",
                                      "::1/129", "1.2.3", "garbage", "10.0.0.0/ 8", "10.0.0.0/8/8",
                                      "loopback", /* only the list parser knows this word */
                                      "2001:db8:0000:0000:0000:0000:0000:0000:0000:0001/64" /* > 63 chars */};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        if (core_cidr_parse(bad[i], &c[0]) != -1)
            fail_msg("parsed \"%s\"", bad[i]);
}

static void test_trust_proxy(void **state)
{
    core_config_t cfg;
    (void)state;
    expect_ok(&cfg, "TRUST_PROXY", "loopback");
    assert_int_equal(cfg.trust_proxy_len, 2);
    assert_true(core_cidr_match(cfg.trust_proxy, cfg.trust_proxy_len, "127.0.0.1"));
    assert_true(core_cidr_match(cfg.trust_proxy, cfg.trust_proxy_len, "127.255.255.254"));
    assert_true(core_cidr_match(cfg.trust_proxy, cfg.trust_proxy_len, "::1"));
    assert_true(core_cidr_match(cfg.trust_proxy, cfg.trust_proxy_len, "::ffff:127.0.0.1"));
    assert_false(core_cidr_match(cfg.trust_proxy, cfg.trust_proxy_len, "128.0.0.1"));
    assert_false(core_cidr_match(cfg.trust_proxy, cfg.trust_proxy_len, "::2"));
    core_config_cleanup(&cfg);

    expect_ok(&cfg, "TRUST_PROXY", " 10.0.0.0/8 , fd00::/8,192.0.2.1 ");
    assert_int_equal(cfg.trust_proxy_len, 3);
    assert_true(core_cidr_match(cfg.trust_proxy, cfg.trust_proxy_len, "10.9.8.7"));
    assert_true(core_cidr_match(cfg.trust_proxy, cfg.trust_proxy_len, "fd12:3456::1"));
    assert_true(core_cidr_match(cfg.trust_proxy, cfg.trust_proxy_len, "192.0.2.1"));
    assert_false(core_cidr_match(cfg.trust_proxy, cfg.trust_proxy_len, "127.0.0.1"));
    core_config_cleanup(&cfg);

    /* several "loopback" items grow the array past its first size */
    expect_ok(&cfg, "TRUST_PROXY", "loopback,loopback,10.0.0.1,loopback,::1,loopback,loopback");
    assert_int_equal(cfg.trust_proxy_len, 12);
    assert_true(core_cidr_match(cfg.trust_proxy, cfg.trust_proxy_len, "10.0.0.1"));
    core_config_cleanup(&cfg);

    expect_bad("TRUST_PROXY", "10.0.0.0/33");
    expect_bad("TRUST_PROXY", "loopback,proxy.internal");
    assert_non_null(strstr(captured, "proxy.internal"));
    expect_bad("TRUST_PROXY", "LOOPBACK");
    expect_bad("TRUST_PROXY", "*");
}

static void test_production_secret(void **state)
{
    core_config_t cfg;
    char path[300];
    struct stat st;
    (void)state;
    setenv("LSF_ENV", "production", 1);
    assert_int_equal(load(&cfg), -1);
    core_config_cleanup(&cfg);
    assert_non_null(strstr(captured, "lsf-server: JWT_SECRET: "));
    snprintf(path, sizeof(path), "%s/jwt-secret", tmpdir);
    assert_int_not_equal(stat(path, &st), 0); /* nothing generated in production */

    setenv("JWT_SECRET", "0123456789abcdef0123456789abcde", 1); /* 31 bytes */
    assert_int_equal(load(&cfg), -1);
    core_config_cleanup(&cfg);
    assert_non_null(strstr(captured, "JWT_SECRET"));
    assert_non_null(strstr(captured, "32"));

    /* obviously weak ones are refused in production, naming the variable and the cure */
    static const char *const weak[] = {
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 40 x a: accepted before issue 10 */
        SECRET32,                                   /* a 16-character pattern twice */
        "abcdefghijklmnopqrstuvwxyz012345",
    };
    for (size_t i = 0; i < sizeof(weak) / sizeof(weak[0]); i++) {
        setenv("JWT_SECRET", weak[i], 1);
        assert_int_equal(load(&cfg), -1);
        core_config_cleanup(&cfg);
        assert_non_null(strstr(captured, "lsf-server: JWT_SECRET: too weak for production"));
        assert_non_null(strstr(captured, "openssl rand -base64 48"));
        assert_null(strstr(captured, weak[i])); /* the value is never echoed */
    }

    setenv("JWT_SECRET", STRONG_SECRET, 1);
    assert_int_equal(load(&cfg), 0);
    assert_int_equal(cfg.env, CORE_ENV_PRODUCTION);
    assert_true(cfg.cookie_secure);
    assert_int_equal(cfg.jwt_secret_len, 64);
    core_config_cleanup(&cfg);

    /* outside production a weak one is still allowed (test and dev setups) */
    unsetenv("LSF_ENV");
    setenv("JWT_SECRET", weak[0], 1);
    assert_int_equal(load(&cfg), 0);
    core_config_cleanup(&cfg);

    /* a short secret is refused in development too */
    unsetenv("LSF_ENV");
    setenv("JWT_SECRET", "short", 1);
    assert_int_equal(load(&cfg), -1);
    core_config_cleanup(&cfg);
}

static void test_dev_secret_persisted(void **state)
{
    core_config_t cfg;
    char path[300], first[128];
    struct stat st;
    (void)state;
    snprintf(path, sizeof(path), "%s/nested/dir", tmpdir);
    setenv("DATA_DIR", path, 1); /* created on demand */
    assert_int_equal(load(&cfg), 0);
    assert_int_equal(cfg.jwt_secret_len, 64);
    for (size_t i = 0; i < 64; i++)
        assert_non_null(strchr("0123456789abcdef", cfg.jwt_secret[i]));
    snprintf(first, sizeof(first), "%s", cfg.jwt_secret);
    core_config_cleanup(&cfg);

    snprintf(path, sizeof(path), "%s/nested/dir/jwt-secret", tmpdir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(st.st_size, 64);

    assert_int_equal(load(&cfg), 0);
    assert_string_equal(cfg.jwt_secret, first); /* same secret on the second start */
    core_config_cleanup(&cfg);

    setenv("LSF_ENV", "test", 1);
    assert_int_equal(load(&cfg), 0);
    assert_string_equal(cfg.jwt_secret, first);
    core_config_cleanup(&cfg);

    /* JWT_SECRET, when set, wins over the file */
    setenv("JWT_SECRET", SECRET32 "xyz", 1);
    assert_int_equal(load(&cfg), 0);
    assert_string_equal(cfg.jwt_secret, SECRET32 "xyz");
    core_config_cleanup(&cfg);
}

static void test_dev_secret_unwritable(void **state)
{
    core_config_t cfg;
    (void)state;
    setenv("DATA_DIR", "/dev/null/lsf", 1);
    assert_int_equal(load(&cfg), -1);
    core_config_cleanup(&cfg);
    assert_non_null(strstr(captured, "JWT_SECRET"));
}

static void test_dev_secret_file_too_short(void **state)
{
    core_config_t cfg;
    char path[300];
    (void)state;
    snprintf(path, sizeof(path), "%s/jwt-secret", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("  tooshort \n", f);
    fclose(f);
    assert_int_equal(load(&cfg), -1);
    core_config_cleanup(&cfg);
    assert_non_null(strstr(captured, "JWT_SECRET"));
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_env_file_syntax(void **state)
{
    char path[300];
    (void)state;
    snprintf(path, sizeof(path), "%s/.env", tmpdir);
    write_file(path, "# a comment\n"
                     "\n"
                     "   # indented comment\n"
                     "LSF_UT_A=plain\n"
                     "  LSF_UT_B = spaced value  \n"
                     "LSF_UT_C=\"double quoted # not a comment\"\n"
                     "LSF_UT_D='single quoted'\n"
                     "export LSF_UT_E=exported\n"
                     "LSF_UT_F=crlf\r\n"
                     "LSF_UT_G=\"unbalanced\n"
                     "LSF_UT_H=a=b=c\n");
    assert_int_equal(core_config_load_env_file(path), 0);
    assert_string_equal(getenv("LSF_UT_A"), "plain");
    assert_string_equal(getenv("LSF_UT_B"), "spaced value");
    assert_string_equal(getenv("LSF_UT_C"), "double quoted # not a comment");
    assert_string_equal(getenv("LSF_UT_D"), "single quoted");
    assert_string_equal(getenv("LSF_UT_E"), "exported");
    assert_string_equal(getenv("LSF_UT_F"), "crlf");
    assert_string_equal(getenv("LSF_UT_G"), "\"unbalanced");
    assert_string_equal(getenv("LSF_UT_H"), "a=b=c");
}

static void test_env_file_never_overrides(void **state)
{
    char path[300];
    (void)state;
    snprintf(path, sizeof(path), "%s/.env", tmpdir);
    write_file(path, "LSF_UT_A=from-file\nLSF_UT_B=from-file\nLSF_UT_C=\n");
    setenv("LSF_UT_A", "from-env", 1);
    setenv("LSF_UT_C", "set", 1);
    assert_int_equal(core_config_load_env_file(path), 0);
    assert_string_equal(getenv("LSF_UT_A"), "from-env");
    assert_string_equal(getenv("LSF_UT_B"), "from-file");
    assert_string_equal(getenv("LSF_UT_C"), "set");
}

static void test_env_file_errors(void **state)
{
    char path[300];
    (void)state;
    snprintf(path, sizeof(path), "%s/missing.env", tmpdir);
    assert_int_equal(core_config_load_env_file(path), 1);

    static const char *const bad[] = {"NOEQUALS\n", "=value\n", "1KEY=x\n", "BAD-KEY=x\n", "KEY WITH SPACE=x\n",
                                      "LSF_UT_A=ok\nthen garbage\n"};
    snprintf(path, sizeof(path), "%s/bad.env", tmpdir);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        write_file(path, bad[i]);
        fflush(stderr);
        int saved = dup(STDERR_FILENO);
        FILE *devnull = fopen("/dev/null", "w");
        dup2(fileno(devnull), STDERR_FILENO);
        int rc = core_config_load_env_file(path);
        dup2(saved, STDERR_FILENO);
        close(saved);
        fclose(devnull);
        if (rc != -1)
            fail_msg("accepted %s", bad[i]);
    }
}

/* A .env that cannot be read (here a directory: fopen succeeds, fgets fails
 * with EISDIR) is an error, not an empty file. */
static void test_env_file_read_error(void **state)
{
    (void)state;
    assert_int_equal(core_config_load_env_file(tmpdir), -1);
}

/* A line longer than the reader's buffer must not be split into two lines:
 * the tail of one value would be read as a KEY=VALUE of its own. */
static void test_env_file_long_line(void **state)
{
    char path[300];
    (void)state;
    size_t len = 9000;
    char *text = malloc(len + 64);
    assert_non_null(text);
    int n = snprintf(text, len, "LSF_UT_LONG=");
    memset(text + n, 'x', 4096 - (size_t)n - 1); /* fills the 4096-byte buffer exactly */
    snprintf(text + 4095, 64, "LSF_UT_INJ=injected\n");
    snprintf(path, sizeof(path), "%s/.env", tmpdir);
    write_file(path, text);
    free(text);
    fflush(stderr);
    int saved = dup(STDERR_FILENO);
    FILE *devnull = fopen("/dev/null", "w");
    dup2(fileno(devnull), STDERR_FILENO);
    int rc = core_config_load_env_file(path);
    dup2(saved, STDERR_FILENO);
    close(saved);
    fclose(devnull);
    assert_null(getenv("LSF_UT_INJ"));
    if (rc == 0) {
        const char *v = getenv("LSF_UT_LONG");
        assert_non_null(v);
        assert_int_equal(strlen(v), 4095 - 12 + strlen("LSF_UT_INJ=injected"));
    }
}

static void test_load_with_env_file(void **state)
{
    core_config_t cfg;
    char path[300];
    (void)state;
    snprintf(path, sizeof(path), "%s/.env", tmpdir);
    write_file(path, "PORT=5000\nRATE_LIMIT_MAX=7\nJWT_SECRET=\"" SECRET32 "\"\n");
    setenv("PORT", "6000", 1);
    assert_int_equal(load_file(&cfg, path), 0);
    assert_int_equal(cfg.port, 6000);
    assert_int_equal(cfg.rate_limit_max, 7);
    assert_string_equal(cfg.jwt_secret, SECRET32);
    core_config_cleanup(&cfg);

    /* a missing .env is fine */
    snprintf(path, sizeof(path), "%s/none.env", tmpdir);
    assert_int_equal(load_file(&cfg, path), 0);
    core_config_cleanup(&cfg);

    /* a broken .env stops the start and names the file */
    snprintf(path, sizeof(path), "%s/broken.env", tmpdir);
    write_file(path, "what is this\n");
    assert_int_equal(load_file(&cfg, path), -1);
    core_config_cleanup(&cfg);
    assert_non_null(strstr(captured, "broken.env"));

    /* a bad value from .env is reported like one from the environment */
    unsetenv("PORT");
    write_file(path, "PORT=eighty\n");
    assert_int_equal(load_file(&cfg, path), -1);
    core_config_cleanup(&cfg);
    assert_non_null(strstr(captured, "lsf-server: PORT: "));
}

static void test_print_help(void **state)
{
    char *buf = NULL;
    size_t size = 0;
    (void)state;
    FILE *out = open_memstream(&buf, &size);
    assert_non_null(out);
    core_config_print_help(out);
    fclose(out);
    for (size_t i = 0; i < NVARS; i++) {
        char want[64];
        snprintf(want, sizeof(want), "    %s ", vars[i]);
        if (strstr(buf, want) == NULL)
            fail_msg("--help does not list %s", vars[i]);
    }
    /* and no variable this test does not know about */
    size_t listed = 0;
    for (const char *line = buf; line != NULL && *line != '\0';) {
        if (strncmp(line, "    ", 4) == 0 && line[4] >= 'A' && line[4] <= 'Z')
            listed++;
        line = strchr(line, '\n');
        if (line != NULL)
            line++;
    }
    assert_int_equal(listed, NVARS);
    assert_non_null(strstr(buf, "(default: 4000)"));
    assert_non_null(strstr(buf, "(default: sqlite:data/lsf.db)"));
    assert_non_null(strstr(buf, "(default: http://localhost:5173)"));
    free(buf);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_defaults),
        T(test_int_range),
        T(test_size_parser),
        T(test_size_plain_bytes),
        T(test_size_vars),
        T(test_ms_vars),
        T(test_bool),
        T(test_choices),
        T(test_otel),
        T(test_samesite),
        T(test_strings_and_urls),
        T(test_origins),
        T(test_origin_with_path),
        T(test_cidr_parse_match),
        T(test_trust_proxy),
        T(test_production_secret),
        T(test_dev_secret_persisted),
        T(test_dev_secret_unwritable),
        T(test_dev_secret_file_too_short),
        T(test_env_file_syntax),
        T(test_env_file_never_overrides),
        T(test_env_file_errors),
        T(test_env_file_read_error),
        T(test_env_file_long_line),
        T(test_load_with_env_file),
        T(test_print_help),
    };
    /* run in an empty directory of our own, so a stray relative path cannot
     * touch the checkout */
    char cwd[] = "/tmp/lsf-ut-cwd-XXXXXX";
    if (mkdtemp(cwd) == NULL || chdir(cwd) != 0)
        return 1;
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    if (chdir("/") == 0)
        rm_rf(cwd);
    return failed;
}
