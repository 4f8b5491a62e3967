/*
 * Server configuration, read once at start-up from the environment (and an
 * optional .env file that never overrides variables already set). Every
 * variable is a row of one table in config.c: name, default, help text and
 * parser, so `--help` and validation cannot drift apart. A bad value is
 * reported naming the variable, and the command exits with status 2.
 * After core_config_load() the struct is read-only and shared by all threads.
 */
#ifndef CORE_CONFIG_H
#define CORE_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum core_env { CORE_ENV_DEVELOPMENT = 0, CORE_ENV_TEST, CORE_ENV_PRODUCTION };
enum core_error_status_mode { CORE_ERROR_STATUS_HTTP = 0, CORE_ERROR_STATUS_LEGACY };

typedef struct core_cidr {
    int family; /* AF_INET or AF_INET6 */
    uint8_t addr[16];
    int prefix;
} core_cidr_t;

typedef struct core_config {
    /* server */
    char *host;
    int port;
    int http_threads;   /* event-loop threads; 0 in the env means one per CPU */
    int worker_threads; /* pool for slow work (password hashing) */
    int worker_queue;   /* jobs that may wait for the pool before 503 */
    int task_write_batch; /* SQLite group commit: most task writes per transaction; 0 = off */
    size_t body_limit;
    size_t header_limit;
    int64_t request_timeout_ms; /* idle keep-alive and slow request reads end after this */
    int64_t shutdown_timeout_ms;
    int64_t liveness_stall_ms; /* /health/live fails when a loop's heartbeat is older */
    int64_t shutdown_grace_ms; /* after SIGTERM, keep accepting (answering Connection: close) this long */
    enum core_env env;
    char *data_dir;
    char *web_dir;

    /* storage */
    char *database_url;
    char *database_replica_urls; /* comma list of postgres:// URLs, "" for none */
    int db_pool_max;
    int db_pool_min;
    int64_t db_pool_idle_timeout_ms;
    int64_t db_pool_acquire_timeout_ms; /* waiting longer for a connection answers 503 */
    int64_t db_connect_timeout_ms;
    int64_t db_statement_timeout_ms;
    int64_t db_read_your_writes_ms; /* a user's reads go to the primary this long after their write */

    /* shared state */
    char *redis_url; /* NULL: in-process state */
    int64_t cache_user_ttl_ms;
    int64_t cache_stats_ttl_ms;
    int redis_down_rate_limit; /* 0 "local": per-process counters while Redis is down; 1 "open" */

    /* auth */
    char *jwt_secret;
    size_t jwt_secret_len;
    char *jwt_secret_previous; /* NULL, or the key before a rotation: its tokens stay valid until they expire */
    size_t jwt_secret_previous_len;
    char *cookie_samesite; /* "Lax", "Strict" or "None" */
    bool cookie_secure;
    unsigned long long argon2_opslimit;
    size_t argon2_memlimit;
    long otp_send_max;          /* one-time-code emails per account and purpose per window */
    int64_t otp_send_window_ms;

    /* http behaviour */
    enum core_error_status_mode error_status;
    char **cors_origins;
    size_t cors_origins_len;
    core_cidr_t *trust_proxy;
    size_t trust_proxy_len;
    int64_t idempotency_ttl_ms; /* how long an Idempotency-Key and its answer are kept */
    int64_t trash_retention_ms; /* a deleted task stays restorable this long, then is purged */

    /* rate limits (express-rate-limit semantics: fixed windows, src/http/ratelimit.h) */
    bool rate_limit_enabled;
    int64_t rate_limit_window_ms;
    long rate_limit_max;              /* per client IP (IPv6: per network), without a session */
    int64_t rate_limit_user_window_ms;
    long rate_limit_user_max;         /* per account, with a verified, unrevoked session */
    int rate_limit_ipv6_prefix;       /* bits of an IPv6 address that name one client */
    int64_t auth_rate_limit_window_ms;
    long auth_rate_limit_max;

    /* mail */
    char *smtp_url;
    char *smtp_user;
    char *smtp_pass;
    char *mail_from;
    int64_t outbox_retention_ms; /* delivered (or given-up) mail is deleted this long after */

    /* observability */
    char *metrics_host;
    int metrics_port;    /* 0: no metrics listener */
    char *metrics_token; /* NULL: /metrics is not served on the public port */
    bool metrics_enabled; /* METRICS=off: nothing is recorded (core_metrics_set_enabled) */

    /* tracing (OpenTelemetry, src/trace/): spans are recorded only with an endpoint */
    char *otel_endpoint;              /* OTLP/HTTP base URL; "/v1/traces" is appended; NULL: off */
    char *otel_exporter_headers;      /* "key=value,..." sent with every export (may hold credentials) */
    int64_t otel_exporter_timeout_ms;
    char *otel_service_name;          /* NULL: service.name of OTEL_RESOURCE_ATTRIBUTES, else "lsf-server" */
    char *otel_resource_attributes;   /* "key=value,...", percent-encoded values */
    int otel_sampler;                 /* enum trace_sampler (src/trace/sampler.h) */
    double otel_sampler_ratio;        /* OTEL_TRACES_SAMPLER_ARG, 0 to 1 */
    int64_t otel_bsp_schedule_delay_ms;
    int otel_bsp_max_queue_size;
    int otel_bsp_max_export_batch_size;

    /* logs */
    int log_level;
    char *access_log; /* path, or NULL when "off" */
} core_config_t;

/* Load .env (if env_file is not NULL and exists), then the environment, into
 * cfg. Returns 0, or -1 after printing "lsf-server: NAME: reason" to stderr.
 * In development and test, a missing JWT_SECRET is generated and persisted in
 * DATA_DIR/jwt-secret (with a warning). */
int core_config_load(core_config_t *cfg, const char *env_file);

/* Free what core_config_load allocated. */
void core_config_cleanup(core_config_t *cfg);

/* Print the table of variables (name, default, meaning) for --help. */
void core_config_print_help(FILE *out);

/* True when addr (a textual IPv4/IPv6 address) falls in one of the CIDRs. */
bool core_cidr_match(const core_cidr_t *cidrs, size_t n, const char *addr);

/* Parse "10.0.0.0/8", "::1", "127.0.0.1"; returns 0 or -1. */
int core_cidr_parse(const char *s, core_cidr_t *out);

/* Parse "1mb", "512kb", "1048576"; returns 0 or -1. */
int core_config_parse_size(const char *s, size_t *out);

/* Put the KEY=VALUE lines of path into the environment, never overriding a
 * variable already set. Returns 0, 1 when the file does not exist, or -1 after
 * printing the line that is not KEY=VALUE. */
int core_config_load_env_file(const char *path);

#endif
