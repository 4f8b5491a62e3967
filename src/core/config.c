/*
 * This file implements configuration loading for config.h. The `rows` table
 * is the single description of every environment variable: the loader walks
 * it to parse and validate, and --help walks it to document.
 */
#include "core/config.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/fs.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "core/redis_url.h"
#include "core/secret.h"
#include "core/str.h"
#include "trace/otlp.h"

typedef struct row row_t;
typedef int (*parse_cb)(const row_t *row, const char *value, core_config_t *cfg);

struct row {
    const char *name; /* NULL for a section heading */
    const char *def;  /* NULL: unset by default */
    const char *help;
    parse_cb parse;
    size_t offset;
    long long min, max;
    const char *const *choices;
};

#define FIELD(cfg, row, type) ((type *)((char *)(cfg) + (row)->offset))

static char errbuf[256];

__attribute__((format(printf, 1, 2))) static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errbuf, sizeof(errbuf), fmt, ap);
    va_end(ap);
    return -1;
}

static int parse_str(const row_t *row, const char *v, core_config_t *cfg)
{
    char **f = FIELD(cfg, row, char *);
    free(*f);
    *f = (v != NULL && *v != '\0') ? core_strdup(v) : NULL;
    return 0;
}

static int parse_int(const row_t *row, const char *v, core_config_t *cfg)
{
    long long n;
    if (core_str_to_i64(core_str_c(v), row->min, row->max, &n) != 0) {
        snprintf(errbuf, sizeof(errbuf), "must be an integer from %lld to %lld, got \"%.40s\"", row->min,
                 row->max, v);
        return -1;
    }
    *FIELD(cfg, row, int) = (int)n;
    return 0;
}

static int parse_long(const row_t *row, const char *v, core_config_t *cfg)
{
    long long n;
    if (core_str_to_i64(core_str_c(v), row->min, row->max, &n) != 0) {
        snprintf(errbuf, sizeof(errbuf), "must be an integer from %lld to %lld, got \"%.40s\"", row->min,
                 row->max, v);
        return -1;
    }
    *FIELD(cfg, row, long) = (long)n;
    return 0;
}

static int parse_ms(const row_t *row, const char *v, core_config_t *cfg)
{
    long long n;
    if (core_str_to_i64(core_str_c(v), row->min, row->max, &n) != 0) {
        snprintf(errbuf, sizeof(errbuf), "must be milliseconds from %lld to %lld, got \"%.40s\"", row->min,
                 row->max, v);
        return -1;
    }
    *FIELD(cfg, row, int64_t) = n;
    return 0;
}

/* Milliseconds, or empty for "not set" (0; finish() fills in the default). */
static int parse_ms_or_unset(const row_t *row, const char *v, core_config_t *cfg)
{
    if (*v == '\0') {
        *FIELD(cfg, row, int64_t) = 0;
        return 0;
    }
    return parse_ms(row, v, cfg);
}

static int parse_ull(const row_t *row, const char *v, core_config_t *cfg)
{
    long long n;
    if (core_str_to_i64(core_str_c(v), row->min, row->max, &n) != 0) {
        snprintf(errbuf, sizeof(errbuf), "must be an integer from %lld to %lld, got \"%.40s\"", row->min,
                 row->max, v);
        return -1;
    }
    *FIELD(cfg, row, unsigned long long) = (unsigned long long)n;
    return 0;
}

int core_config_parse_size(const char *s, size_t *out)
{
    static const struct {
        const char *suffix;
        unsigned long long mult;
    } units[] = {{"gb", 1ull << 30}, {"mb", 1ull << 20}, {"kb", 1ull << 10}, {"b", 1}, {"", 1}};
    size_t len = strlen(s);

    for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
        size_t sl = strlen(units[u].suffix);
        if (len <= sl || strcasecmp(s + len - sl, units[u].suffix) != 0)
            continue;
        long long n;
        unsigned long long lim = SIZE_MAX / units[u].mult; /* SIZE_MAX itself is -1 as a long long */
        if (lim > INT64_MAX)
            lim = INT64_MAX;
        if (core_str_to_i64(core_str(s, len - sl), 0, (long long)lim, &n) != 0)
            return -1;
        *out = (size_t)n * units[u].mult;
        return 0;
    }
    return -1;
}

static int parse_size(const row_t *row, const char *v, core_config_t *cfg)
{
    size_t n;
    if (core_config_parse_size(v, &n) != 0 || (long long)n < row->min || (long long)n > row->max) {
        snprintf(errbuf, sizeof(errbuf), "must be a size from %lld to %lld bytes (e.g. 1mb, 64kb), got \"%.40s\"",
                 row->min, row->max, v);
        return -1;
    }
    *FIELD(cfg, row, size_t) = n;
    return 0;
}

static int parse_bool(const row_t *row, const char *v, core_config_t *cfg)
{
    static const char *const yes[] = {"1", "true", "yes", "on"}, *const no[] = {"0", "false", "no", "off"};
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(v, yes[i]) == 0 || strcasecmp(v, no[i]) == 0) {
            *FIELD(cfg, row, bool) = strcasecmp(v, yes[i]) == 0;
            return 0;
        }
    }
    return fail("must be true or false, got \"%.40s\"", v);
}

/* An enum field is stored as the index of the value in row->choices. */
static int parse_choice(const row_t *row, const char *v, core_config_t *cfg)
{
    for (int i = 0; row->choices[i] != NULL; i++) {
        if (strcasecmp(v, row->choices[i]) == 0) {
            *FIELD(cfg, row, int) = i;
            return 0;
        }
    }
    char list[128] = "";
    for (int i = 0; row->choices[i] != NULL; i++) {
        strncat(list, i ? ", " : "", sizeof(list) - strlen(list) - 1);
        strncat(list, row->choices[i], sizeof(list) - strlen(list) - 1);
    }
    snprintf(errbuf, sizeof(errbuf), "must be one of %s, got \"%.40s\"", list, v);
    return -1;
}

static int parse_samesite(const row_t *row, const char *v, core_config_t *cfg)
{
    int i;
    for (i = 0; row->choices[i] != NULL; i++)
        if (strcasecmp(v, row->choices[i]) == 0)
            break;
    if (row->choices[i] == NULL)
        return fail("must be one of Lax, Strict, None, got \"%.40s\"", v);
    free(cfg->cookie_samesite);
    cfg->cookie_samesite = core_strdup(row->choices[i]);
    return 0;
}

/* Split a comma-separated list, trimming blanks and dropping empty items. */
static char **split_list(const char *v, size_t *n)
{
    char **items = NULL;
    *n = 0;
    const char *p = v;
    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        core_str_t item = core_str_trim(core_str(p, len));
        if (item.len > 0) {
            items = core_realloc(items, (*n + 1) * sizeof(*items));
            items[(*n)++] = core_strndup(item.base, item.len);
        }
        p += len + (comma != NULL);
    }
    return items;
}

static void free_list(char **items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

static int parse_origins(const row_t *row, const char *v, core_config_t *cfg)
{
    size_t n;
    char **items = split_list(v, &n);
    (void)row;
    for (size_t i = 0; i < n; i++) {
        bool ok = strncmp(items[i], "http://", 7) == 0 || strncmp(items[i], "https://", 8) == 0;
        const char *host = ok ? strstr(items[i], "://") + 3 : "";
        if (!ok || *host == '\0' || strpbrk(host, "/?#*") != NULL) {
            snprintf(errbuf, sizeof(errbuf),
                     "each origin must look like https://app.example.com (scheme and host, no path or "
                     "wildcard), got \"%.60s\"",
                     items[i]);
            free_list(items, n);
            return -1;
        }
    }
    free_list(cfg->cors_origins, cfg->cors_origins_len);
    cfg->cors_origins = items;
    cfg->cors_origins_len = n;
    return 0;
}

int core_cidr_parse(const char *s, core_cidr_t *out)
{
    char addr[64];
    const char *slash = strchr(s, '/');
    size_t len = slash != NULL ? (size_t)(slash - s) : strlen(s);
    if (len == 0 || len >= sizeof(addr))
        return -1;
    memcpy(addr, s, len);
    addr[len] = '\0';
    memset(out, 0, sizeof(*out));
    if (inet_pton(AF_INET, addr, out->addr) == 1) {
        out->family = AF_INET;
        out->prefix = 32;
    } else if (inet_pton(AF_INET6, addr, out->addr) == 1) {
        out->family = AF_INET6;
        out->prefix = 128;
    } else {
        return -1;
    }
    if (slash != NULL) {
        long long p;
        if (core_str_to_i64(core_str_c(slash + 1), 0, out->prefix, &p) != 0)
            return -1;
        out->prefix = (int)p;
    }
    return 0;
}

static bool prefix_match(const uint8_t *a, const uint8_t *b, int bits)
{
    int bytes = bits / 8, rest = bits % 8;
    if (memcmp(a, b, (size_t)bytes) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t mask = (uint8_t)(0xff << (8 - rest));
    return (a[bytes] & mask) == (b[bytes] & mask);
}

bool core_cidr_match(const core_cidr_t *cidrs, size_t n, const char *addr)
{
    uint8_t a4[4], a6[16];
    bool is4 = inet_pton(AF_INET, addr, a4) == 1;
    bool is6 = !is4 && inet_pton(AF_INET6, addr, a6) == 1;
    /* an IPv4-mapped IPv6 address (::ffff:1.2.3.4) matches IPv4 ranges */
    if (is6 && memcmp(a6, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0) {
        memcpy(a4, a6 + 12, 4);
        is4 = true;
    }
    for (size_t i = 0; i < n; i++) {
        if (cidrs[i].family == AF_INET && is4 && prefix_match(cidrs[i].addr, a4, cidrs[i].prefix))
            return true;
        if (cidrs[i].family == AF_INET6 && is6 && prefix_match(cidrs[i].addr, a6, cidrs[i].prefix))
            return true;
    }
    return false;
}

static int parse_cidrs(const row_t *row, const char *v, core_config_t *cfg)
{
    size_t n;
    char **items = split_list(v, &n);
    core_cidr_t *cidrs = core_calloc(n + 2, sizeof(*cidrs));
    size_t count = 0;
    int rc = 0;
    (void)row;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(items[i], "loopback") == 0) {
            core_cidr_parse("127.0.0.0/8", &cidrs[count++]);
            core_cidr_parse("::1", &cidrs[count++]);
            cidrs = core_realloc(cidrs, (n + 2 + count) * sizeof(*cidrs));
        } else if (core_cidr_parse(items[i], &cidrs[count]) == 0) {
            count++;
        } else {
            rc = fail("must be a comma list of IP addresses or CIDR ranges (or \"loopback\"), got \"%.60s\"",
                      items[i]);
            break;
        }
    }
    free_list(items, n);
    if (rc != 0) {
        free(cidrs);
        return rc;
    }
    free(cfg->trust_proxy);
    cfg->trust_proxy = cidrs;
    cfg->trust_proxy_len = count;
    return 0;
}

static int parse_level(const row_t *row, const char *v, core_config_t *cfg)
{
    int level = core_log_level_parse(v);
    (void)row;
    if (level < 0)
        return fail("must be one of debug, info, warn, error, got \"%.40s\"", v);
    cfg->log_level = level;
    return 0;
}

static int parse_access_log(const row_t *row, const char *v, core_config_t *cfg)
{
    if (strcmp(v, "off") == 0) {
        free(cfg->access_log);
        cfg->access_log = NULL;
        return 0;
    }
    return parse_str(row, v, cfg);
}

/* A URL whose scheme is one of row->choices (prefixes such as "smtp://"). */
static int parse_url(const row_t *row, const char *v, core_config_t *cfg)
{
    if (*v == '\0')
        return parse_str(row, v, cfg);
    for (const char *const *c = row->choices; *c != NULL; c++)
        if (strncasecmp(v, *c, strlen(*c)) == 0 && v[strlen(*c)] != '\0')
            return parse_str(row, v, cfg);
    /* the value may hold a password: show only its scheme */
    size_t scheme = strcspn(v, ":");
    return fail("must start with %s%s%s (got \"%.*s:...\")", row->choices[0], row->choices[1] ? " or " : "",
                row->choices[1] ? row->choices[1] : "", (int)(scheme < 20 ? scheme : 20), v);
}

/* REDIS_URL, checked by the parser the Redis backend connects with, so a URL
 * it cannot use (rediss:// included) stops the start with status 2. */
static int parse_redis_url(const row_t *row, const char *v, core_config_t *cfg)
{
    core_redis_url_t url;

    if (*v != '\0') {
        if (core_redis_url_parse(v, &url, errbuf, sizeof(errbuf)) != 0)
            return -1;
        core_redis_url_cleanup(&url);
    }
    return parse_str(row, v, cfg);
}

/* A sampling ratio from 0 to 1 (OTEL_TRACES_SAMPLER_ARG). */
static int parse_ratio(const row_t *row, const char *v, core_config_t *cfg)
{
    char *end = NULL;
    double d;

    errno = 0;
    d = strtod(v, &end);
    if (*v == '\0' || end == NULL || *end != '\0' || errno != 0 || !(d >= 0.0 && d <= 1.0))
        return fail("must be a number from 0 to 1, got \"%.40s\"", v);
    *FIELD(cfg, row, double) = d;
    return 0;
}

/* "key=value,key2=value2" with percent-encoded values (OTEL_RESOURCE_ATTRIBUTES,
 * OTEL_EXPORTER_OTLP_HEADERS), read by the exporter's own parser. The
 * headers may carry a credential: a refusal never quotes the value. */
static bool is_token_char(char c)
{
    return isalnum((unsigned char)c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

/* An HTTP field: a token name, a value without control characters (a CR or
 * LF would let the variable smuggle more header lines into the export). */
static bool is_http_field(const char *name, const char *value)
{
    for (const char *p = name; *p != '\0'; p++)
        if (!is_token_char(*p))
            return false;
    for (const char *p = value; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 && *p != '\t')
            return false;
    return *name != '\0' && strchr(value, 0x7f) == NULL;
}

static int parse_otel_pairs(const row_t *row, const char *v, core_config_t *cfg)
{
    trace_resource_attr_t pairs[64];
    int n = trace_otlp_resource_parse(v, pairs, 64);
    bool headers = row->offset == offsetof(core_config_t, otel_exporter_headers), fields_ok = true;

    for (int i = 0; i < n; i++) {
        if (headers && !is_http_field(pairs[i].key, pairs[i].value))
            fields_ok = false;
        free((char *)(uintptr_t)pairs[i].key);
        sodium_memzero((char *)(uintptr_t)pairs[i].value, strlen(pairs[i].value));
        free((char *)(uintptr_t)pairs[i].value);
    }
    if (n < 0)
        return fail("%s", "must be key=value pairs separated by commas (at most 64, values percent-encoded UTF-8)");
    if (!fields_ok)
        return fail("%s", "each name must be an HTTP header name and each value free of control characters");
    if (headers && cfg->otel_exporter_headers != NULL)
        sodium_memzero(cfg->otel_exporter_headers, strlen(cfg->otel_exporter_headers));
    return parse_str(row, v, cfg);
}

static const char *const envs[] = {"development", "test", "production", NULL};
static const char *const error_modes[] = {"http", "legacy", NULL};
static const char *const samesites[] = {"Lax", "Strict", "None", NULL};
static const char *const database_schemes[] = {"sqlite:", "postgres://", "postgresql://", NULL};
static const char *const redis_down_policies[] = {"local", "open", NULL};
static const char *const smtp_schemes[] = {"smtp://", "smtps://", NULL};
static const char *const http_schemes[] = {"http://", "https://", NULL};
/* in the order of enum trace_sampler (src/trace/sampler.h) */
static const char *const samplers[] = {"parentbased_traceidratio", "parentbased_always_on", "parentbased_always_off",
                                       "traceidratio", "always_on", "always_off", NULL};

#define OFF(f) offsetof(core_config_t, f)
#define DAY_MS 86400000LL

static const row_t rows[] = {
    {NULL, NULL, "Server", NULL, 0, 0, 0, NULL},
    {"LSF_ENV", "development", "development | test | production (production requires JWT_SECRET, sets Secure cookies and HSTS)", parse_choice, OFF(env), 0, 0, envs},
    {"HOST", "0.0.0.0", "address to listen on", parse_str, OFF(host), 0, 0, NULL},
    {"PORT", "4000", "TCP port to listen on", parse_int, OFF(port), 1, 65535, NULL},
    {"HTTP_THREADS", "0", "event-loop threads; 0 = one per CPU", parse_int, OFF(http_threads), 0, 256, NULL},
    {"WORKER_THREADS", "0", "threads for slow work such as password hashing; 0 = one per CPU", parse_int, OFF(worker_threads), 0, 256, NULL},
    {"WORKER_QUEUE", "256", "slow requests allowed to wait for a worker before answering 503; as many background jobs (password-reset mail) may wait, more are dropped", parse_int, OFF(worker_queue), 1, 1000000, NULL},
    {"TASK_WRITE_BATCH", "64", "SQLite: task writes (create, update, delete, restore) committed together by one writer thread, at most this many per transaction and fsync; 0 = each on its event loop, one commit each", parse_int, OFF(task_write_batch), 0, 4096, NULL},
    {"BODY_LIMIT", "1mb", "largest request body accepted (413 above it)", parse_size, OFF(body_limit), 1024, 64 << 20, NULL},
    {"HEADER_LIMIT", "16kb", "largest request head (request line and headers; 431 above it)", parse_size, OFF(header_limit), 1024, 256 << 10, NULL},
    {"REQUEST_TIMEOUT_MS", "10000", "a connection must deliver a whole request this soon after it starts waiting for one: bounds keep-alive idle time and slow (slowloris) clients", parse_ms, OFF(request_timeout_ms), 100, 600000, NULL},
    {"SHUTDOWN_GRACE_MS", "0", "on SIGTERM, keep accepting this long first, answering every request with Connection: close, so a proxy can stop sending here (set above the proxy's upstream keepalive_timeout)", parse_ms, OFF(shutdown_grace_ms), 0, 600000, NULL},
    {"SHUTDOWN_TIMEOUT_MS", "30000", "on SIGTERM, longest wait for in-flight requests (then exit 1, leaving them unanswered)", parse_ms, OFF(shutdown_timeout_ms), 0, 3600000, NULL},
    {"DATA_DIR", "data", "directory for the generated JWT secret and, without SMTP_URL, outgoing mail (.eml)", parse_str, OFF(data_dir), 0, 0, NULL},
    {"WEB_DIR", "web/dist", "built web app served at / (ignored when missing)", parse_str, OFF(web_dir), 0, 0, NULL},
    {NULL, NULL, "Storage", NULL, 0, 0, 0, NULL},
    {"DATABASE_URL", "sqlite:data/lsf.db", "sqlite:PATH (embedded) or postgres://USER:PASS@HOST:PORT/DB", parse_url, OFF(database_url), 0, 0, database_schemes},
    {"DATABASE_REPLICA_URLS", "", "comma list of postgres:// read replicas; reads go there, writes to DATABASE_URL", parse_str, OFF(database_replica_urls), 0, 0, NULL},
    {"DB_POOL_MAX", "10", "PostgreSQL: most connections per process (per server)", parse_int, OFF(db_pool_max), 1, 1000, NULL},
    {"DB_POOL_MIN", "5", "PostgreSQL: connections kept open when idle", parse_int, OFF(db_pool_min), 0, 1000, NULL},
    {"DB_POOL_IDLE_TIMEOUT_MS", "45000", "PostgreSQL: close connections above DB_POOL_MIN idle this long", parse_ms, OFF(db_pool_idle_timeout_ms), 1000, 3600000, NULL},
    {"DB_POOL_ACQUIRE_TIMEOUT_MS", "10000", "PostgreSQL: longest wait for a free connection before 503", parse_ms, OFF(db_pool_acquire_timeout_ms), 1, 600000, NULL},
    {"DB_CONNECT_TIMEOUT_MS", "5000", "PostgreSQL: connect timeout", parse_ms, OFF(db_connect_timeout_ms), 100, 600000, NULL},
    {"DB_STATEMENT_TIMEOUT_MS", "5000", "PostgreSQL: statement_timeout of every session", parse_ms, OFF(db_statement_timeout_ms), 1, 600000, NULL},
    {"DB_READ_YOUR_WRITES_MS", "5000", "after a user's write, their reads go to the primary this long (replicas may lag)", parse_ms, OFF(db_read_your_writes_ms), 0, 600000, NULL},
    {NULL, NULL, "Shared state (many instances)", NULL, 0, 0, 0, NULL},
    {"REDIS_URL", NULL, "redis://[[USER]:PASS@]HOST[:PORT][/DB] (USER and PASS percent-encoded; no rediss://) for revocations, rate limits and caches shared by all instances; unset: in-process", parse_redis_url, OFF(redis_url), 0, 0, NULL},
    {"CACHE_USER_TTL_MS", "3600000", "how long /api/user/data answers are cached (with REDIS_URL)", parse_ms, OFF(cache_user_ttl_ms), 0, 7 * DAY_MS, NULL},
    {"CACHE_STATS_TTL_MS", "600000", "how long /api/tasks/stats answers and search totals are cached (with REDIS_URL)", parse_ms, OFF(cache_stats_ttl_ms), 0, 7 * DAY_MS, NULL},
    {"REDIS_DOWN_RATE_LIMIT", "local", "while Redis is unreachable: local = count per process, open = do not limit", parse_choice, OFF(redis_down_rate_limit), 0, 0, redis_down_policies},
    {NULL, NULL, "Authentication", NULL, 0, 0, 0, NULL},
    {"JWT_SECRET", NULL, "HS256 key, at least 32 bytes (make one with: openssl rand -base64 48); required in production, where an obviously weak one (a repeated character or pattern, a run, low entropy) is refused; generated into DATA_DIR/jwt-secret otherwise", parse_str, OFF(jwt_secret), 0, 0, NULL},
    {"JWT_SECRET_PREVIOUS", NULL, "during a rotation, the JWT_SECRET before it: tokens it signed stay valid until they expire (7 days), new tokens use JWT_SECRET; same rules as JWT_SECRET; unset it a week after the rotation", parse_str, OFF(jwt_secret_previous), 0, 0, NULL},
    {"COOKIE_SAMESITE", "Lax", "SameSite of the token cookie: Lax | Strict | None (None for a client on another site; implies Secure)", parse_samesite, 0, 0, 0, samesites},
    {"ARGON2_OPSLIMIT", "2", "argon2id passes for password hashes", parse_ull, OFF(argon2_opslimit), 1, 32, NULL},
    {"ARGON2_MEMLIMIT", "64mb", "argon2id memory per password hash", parse_size, OFF(argon2_memlimit), 8 << 10, 1LL << 32, NULL},
    {"OTP_SEND_MAX", "3", "one-time-code emails per account and purpose (verify, reset) per OTP_SEND_WINDOW_MS; more: send-verify-otp answers 429, send-reset-otp answers as always and sends nothing", parse_long, OFF(otp_send_max), 1, 1000000, NULL},
    {"OTP_SEND_WINDOW_MS", "900000", "window of OTP_SEND_MAX (fixed, from the first code sent)", parse_ms, OFF(otp_send_window_ms), 1000, 7 * DAY_MS, NULL},
    {NULL, NULL, "HTTP behaviour", NULL, 0, 0, 0, NULL},
    {"ERROR_STATUS", "http", "http: errors carry their status; legacy: every error answers 200, as the original app did", parse_choice, OFF(error_status), 0, 0, error_modes},
    {"CORS_ORIGINS", "http://localhost:5173", "comma list of origins allowed to call the API with credentials", parse_origins, 0, 0, 0, NULL},
    {"TRUST_PROXY", "", "comma list of proxy addresses/CIDRs (or \"loopback\") whose X-Forwarded-For is believed", parse_cidrs, 0, 0, 0, NULL},
    {"IDEMPOTENCY_TTL_MS", "86400000", "how long an Idempotency-Key and the answer it replays are kept (per user, in the database)", parse_ms, OFF(idempotency_ttl_ms), 1000, 30 * DAY_MS, NULL},
    {"TRASH_RETENTION_MS", "2592000000", "deleted tasks stay in the trash (listed, restorable) this long, then are purged; 0 = deleted at once", parse_ms, OFF(trash_retention_ms), 0, 3650 * DAY_MS, NULL},
    {NULL, NULL, "Rate limits (fixed windows; per client IP, or per account with a valid session)", NULL, 0, 0, 0, NULL},
    {"RATE_LIMIT", "on", "on | off", parse_bool, OFF(rate_limit_enabled), 0, 0, NULL},
    {"RATE_LIMIT_WINDOW_MS", "900000", "window of the /api/ limit", parse_ms, OFF(rate_limit_window_ms), 1000, 7 * DAY_MS, NULL},
    {"RATE_LIMIT_MAX", "100", "requests per window to /api/ per client IP, without a valid session", parse_long, OFF(rate_limit_max), 1, 100000000, NULL},
    {"RATE_LIMIT_USER_MAX", "3000", "requests per window to /api/ per account, with a valid session", parse_long, OFF(rate_limit_user_max), 1, 100000000, NULL},
    {"RATE_LIMIT_USER_WINDOW_MS", "", "window of the per-account limit (default: RATE_LIMIT_WINDOW_MS)", parse_ms_or_unset, OFF(rate_limit_user_window_ms), 1000, 7 * DAY_MS, NULL},
    {"RATE_LIMIT_IPV6_PREFIX", "64", "IPv6 clients are counted per network of this many bits (one /64 is one client)", parse_int, OFF(rate_limit_ipv6_prefix), 32, 128, NULL},
    {"AUTH_RATE_LIMIT_WINDOW_MS", "900000", "window of the failed-attempts limit", parse_ms, OFF(auth_rate_limit_window_ms), 1000, 7 * DAY_MS, NULL},
    {"AUTH_RATE_LIMIT_MAX", "5", "failed requests per window to register, login, send-verify-otp, verify-account, send-reset-otp and reset-password (successful ones are not counted)", parse_long, OFF(auth_rate_limit_max), 1, 100000000, NULL},
    {NULL, NULL, "Mail", NULL, 0, 0, 0, NULL},
    {"SMTP_URL", NULL, "smtp://host:587 (STARTTLS when offered) or smtps://host:465; unset: mail is written to DATA_DIR/mail/*.eml", parse_url, OFF(smtp_url), 0, 0, smtp_schemes},
    {"SMTP_USER", NULL, "SMTP login (or put it in SMTP_URL)", parse_str, OFF(smtp_user), 0, 0, NULL},
    {"SMTP_PASS", NULL, "SMTP password", parse_str, OFF(smtp_pass), 0, 0, NULL},
    {"MAIL_FROM", "LSF Tasks <no-reply@lsf-tasks.local>", "From: of outgoing mail", parse_str, OFF(mail_from), 0, 0, NULL},
    {"OUTBOX_RETENTION_MS", "604800000", "delivered or given-up emails (blanked at once) and DATA_DIR/mail/*.eml files are deleted this long after", parse_ms, OFF(outbox_retention_ms), 1000, 365 * DAY_MS, NULL},
    {NULL, NULL, "Observability", NULL, 0, 0, 0, NULL},
    {"METRICS_HOST", "127.0.0.1", "address of the Prometheus listener (GET /metrics, not public by default)", parse_str, OFF(metrics_host), 0, 0, NULL},
    {"METRICS_PORT", "9464", "port of the Prometheus listener; 0 = none", parse_int, OFF(metrics_port), 0, 65535, NULL},
    {"METRICS_TOKEN", NULL, "if set, GET /metrics is also served on PORT to requests with Authorization: Bearer <token>", parse_str, OFF(metrics_token), 0, 0, NULL},
    {"METRICS", "on", "on | off: record request durations and event counters (off leaves only process metrics; to measure their cost)", parse_bool, OFF(metrics_enabled), 0, 0, NULL},
    {"LIVENESS_STALL_MS", "10000", "GET /health/live answers 503 once an event loop has not run for this long (every loop posts a heartbeat each second)", parse_ms, OFF(liveness_stall_ms), 1000, 3600000, NULL},
    {NULL, NULL, "Tracing (OpenTelemetry; trace context is always read and answered, spans are recorded only with an endpoint)", NULL, 0, 0, 0, NULL},
    {"OTEL_EXPORTER_OTLP_ENDPOINT", NULL, "OTLP/HTTP collector base URL (http:// or https://); spans are POSTed as JSON to it + /v1/traces; unset: no spans", parse_url, OFF(otel_endpoint), 0, 0, http_schemes},
    {"OTEL_EXPORTER_OTLP_HEADERS", NULL, "headers sent with every export, key=value pairs separated by commas, values percent-encoded (e.g. Authorization=Bearer%20TOKEN for Elastic APM); never logged", parse_otel_pairs, OFF(otel_exporter_headers), 0, 0, NULL},
    {"OTEL_EXPORTER_OTLP_TIMEOUT", "10000", "longest one export may take, in milliseconds (its spans are dropped past it)", parse_ms, OFF(otel_exporter_timeout_ms), 1, 600000, NULL},
    {"OTEL_SERVICE_NAME", NULL, "service.name of the spans (default: service.name of OTEL_RESOURCE_ATTRIBUTES, else lsf-server)", parse_str, OFF(otel_service_name), 0, 0, NULL},
    {"OTEL_RESOURCE_ATTRIBUTES", NULL, "more resource attributes, key=value pairs separated by commas, values percent-encoded (e.g. deployment.environment=prod)", parse_otel_pairs, OFF(otel_resource_attributes), 0, 0, NULL},
    {"OTEL_TRACES_SAMPLER", "parentbased_traceidratio", "parentbased_traceidratio | parentbased_always_on | parentbased_always_off | traceidratio | always_on | always_off (parentbased_*: follow the caller's sampled flag when a traceparent came in)", parse_choice, OFF(otel_sampler), 0, 0, samplers},
    {"OTEL_TRACES_SAMPLER_ARG", "1.0", "the ratio of new traces the *traceidratio samplers record, 0 to 1", parse_ratio, OFF(otel_sampler_ratio), 0, 0, NULL},
    {"OTEL_BSP_SCHEDULE_DELAY", "5000", "the exporter sends what waits at least this often, in milliseconds", parse_ms, OFF(otel_bsp_schedule_delay_ms), 1, 600000, NULL},
    {"OTEL_BSP_MAX_QUEUE_SIZE", "2048", "spans waiting for the exporter; past it new spans are dropped (trace_spans_dropped_total{reason=\"queue_full\"}) rather than slow a request", parse_int, OFF(otel_bsp_max_queue_size), 1, 1000000, NULL},
    {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "512", "most spans in one export (at most OTEL_BSP_MAX_QUEUE_SIZE)", parse_int, OFF(otel_bsp_max_export_batch_size), 1, 1000000, NULL},
    {NULL, NULL, "Logs", NULL, 0, 0, 0, NULL},
    {"LOG_LEVEL", "info", "debug | info | warn | error (application log, JSON lines on stderr)", parse_level, 0, 0, 0, NULL},
    {"ACCESS_LOG", "logs/access.log", "access log in Apache combined format, reopened on SIGHUP; \"-\" = stdout, \"off\" = none", parse_access_log, OFF(access_log), 0, 0, NULL},
};

#define NROWS (sizeof(rows) / sizeof(rows[0]))

void core_config_print_help(FILE *out)
{
    for (size_t i = 0; i < NROWS; i++) {
        const row_t *r = &rows[i];
        if (r->name == NULL) {
            fprintf(out, "\n  %s:\n", r->help);
            continue;
        }
        fprintf(out, "    %-26s %s\n", r->name, r->help);
        if (r->def != NULL && *r->def != '\0')
            fprintf(out, "    %-26s (default: %s)\n", "", r->def);
    }
}

static bool is_key_char(char c, bool first)
{
    return c == '_' || isalpha((unsigned char)c) || (!first && isdigit((unsigned char)c));
}

int core_config_load_env_file(const char *path)
{
    FILE *f = fopen(path, "r");
    char *line = NULL;
    size_t cap = 0;
    int lineno = 0;

    if (f == NULL)
        return errno == ENOENT ? 1 : -1;
    while (getline(&line, &cap, f) != -1) {
        lineno++;
        core_str_t s = core_str_trim(core_str_c(line));
        if (s.len == 0 || s.base[0] == '#')
            continue;
        if (s.len > 7 && strncmp(s.base, "export ", 7) == 0)
            s = core_str_trim(core_str(s.base + 7, s.len - 7));
        const char *eq = memchr(s.base, '=', s.len);
        if (eq == NULL || eq == s.base)
            goto bad;
        core_str_t key = core_str_trim(core_str(s.base, (size_t)(eq - s.base)));
        core_str_t val = core_str_trim(core_str(eq + 1, s.len - (size_t)(eq + 1 - s.base)));
        for (size_t i = 0; i < key.len; i++)
            if (!is_key_char(key.base[i], i == 0))
                goto bad;
        if (val.len >= 2 && (val.base[0] == '"' || val.base[0] == '\'') && val.base[val.len - 1] == val.base[0])
            val = core_str(val.base + 1, val.len - 2);
        char *k = core_strndup(key.base, key.len), *v = core_strndup(val.base, val.len);
        setenv(k, v, 0);
        free(k);
        free(v);
    }
    if (ferror(f)) {
        fprintf(stderr, "lsf-server: %s: cannot read\n", path);
        goto fail;
    }
    free(line);
    fclose(f);
    return 0;
bad:
    fprintf(stderr, "lsf-server: %s:%d: expected KEY=VALUE\n", path, lineno);
fail:
    free(line);
    fclose(f);
    return -1;
}

/* Read or create DATA_DIR/jwt-secret for development and test runs. */
static int ensure_dev_secret(core_config_t *cfg)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s/jwt-secret", cfg->data_dir);
    core_fs_warn_open_dir(cfg->data_dir);
    core_fs_tighten(path, 0600); /* 0600 since the first version, unless someone changed it */
    char *secret = core_fs_read_file(path, 4096, NULL);
    if (secret == NULL) {
        unsigned char raw[32];
        char hex[65];
        randombytes_buf(raw, sizeof(raw));
        sodium_bin2hex(hex, sizeof(hex), raw, sizeof(raw));
        if (core_fs_mkdir_p(cfg->data_dir, 0700) != 0 || core_fs_write_file(path, hex, 64, 0600) != 0)
            return fail("cannot persist a generated secret in %s", path);
        secret = core_strdup(hex);
        log_warn("JWT_SECRET is not set: generated one and saved it; set JWT_SECRET in production",
                 LOG_STR("path", path));
    }
    core_str_t trimmed = core_str_trim(core_str_c(secret));
    cfg->jwt_secret = core_strndup(trimmed.base, trimmed.len);
    free(secret);
    return 0;
}

static int finish(core_config_t *cfg)
{
    if (cfg->db_pool_min > cfg->db_pool_max)
        return fail("DB_POOL_MIN: must not exceed DB_POOL_MAX (%d > %d)", cfg->db_pool_min, cfg->db_pool_max);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    if (cpus < 1)
        cpus = 1;
    if (cfg->http_threads == 0)
        cfg->http_threads = (int)cpus;
    if (cfg->worker_threads == 0)
        cfg->worker_threads = (int)cpus;
    if (cfg->data_dir == NULL)
        cfg->data_dir = core_strdup(".");
    if (cfg->database_url == NULL)
        return fail("%s", "DATABASE_URL: must not be empty");
    if (cfg->jwt_secret == NULL) {
        if (cfg->env == CORE_ENV_PRODUCTION)
            return fail("%s", "JWT_SECRET: required when LSF_ENV=production (at least 32 random bytes; make one "
                              "with: openssl rand -base64 48)");
        if (ensure_dev_secret(cfg) != 0) {
            char msg[256];
            snprintf(msg, sizeof(msg), "JWT_SECRET: %s", errbuf);
            return fail("%s", msg);
        }
    }
    cfg->jwt_secret_len = strlen(cfg->jwt_secret);
    if (cfg->jwt_secret_len < 32)
        return fail("%s", "JWT_SECRET: must be at least 32 bytes; make one with: openssl rand -base64 48");
    const char *weak = core_secret_weakness(cfg->jwt_secret, cfg->jwt_secret_len);
    if (weak != NULL && cfg->env == CORE_ENV_PRODUCTION) /* its value is never shown */
        return fail("JWT_SECRET: too weak for production (%s); make a random one with: openssl rand -base64 48",
                    weak);
    if (cfg->jwt_secret_previous != NULL) {
        cfg->jwt_secret_previous_len = strlen(cfg->jwt_secret_previous);
        if (cfg->jwt_secret_previous_len < 32)
            return fail("%s", "JWT_SECRET_PREVIOUS: must be at least 32 bytes (the old JWT_SECRET)");
        if (cfg->jwt_secret_previous_len == cfg->jwt_secret_len &&
            sodium_memcmp(cfg->jwt_secret_previous, cfg->jwt_secret, cfg->jwt_secret_len) == 0)
            return fail("%s", "JWT_SECRET_PREVIOUS: must differ from JWT_SECRET (set JWT_SECRET to the new key)");
        if (core_secret_weakness(cfg->jwt_secret_previous, cfg->jwt_secret_previous_len) != NULL &&
            cfg->env == CORE_ENV_PRODUCTION)
            return fail("%s", "JWT_SECRET_PREVIOUS: too weak for production");
    }
    if (cfg->otel_bsp_max_export_batch_size > cfg->otel_bsp_max_queue_size)
        return fail("OTEL_BSP_MAX_EXPORT_BATCH_SIZE: must not exceed OTEL_BSP_MAX_QUEUE_SIZE (%d > %d)",
                    cfg->otel_bsp_max_export_batch_size, cfg->otel_bsp_max_queue_size);
    if (cfg->rate_limit_user_window_ms == 0)
        cfg->rate_limit_user_window_ms = cfg->rate_limit_window_ms;
    cfg->cookie_secure = cfg->env == CORE_ENV_PRODUCTION || strcmp(cfg->cookie_samesite, "None") == 0;
    return 0;
}

int core_config_load(core_config_t *cfg, const char *env_file)
{
    memset(cfg, 0, sizeof(*cfg));
    if (env_file != NULL && core_config_load_env_file(env_file) < 0) {
        fprintf(stderr, "lsf-server: cannot read %s\n", env_file);
        return -1;
    }
    for (size_t i = 0; i < NROWS; i++) {
        const row_t *r = &rows[i];
        if (r->name == NULL)
            continue;
        const char *v = getenv(r->name);
        if (v == NULL)
            v = r->def != NULL ? r->def : "";
        if (r->parse(r, v, cfg) != 0) {
            fprintf(stderr, "lsf-server: %s: %s\n", r->name, errbuf);
            goto fail;
        }
    }
    core_log_level = cfg->log_level;
    core_metrics_set_enabled(cfg->metrics_enabled);
    if (finish(cfg) != 0) {
        fprintf(stderr, "lsf-server: %s\n", errbuf);
        goto fail;
    }
    return 0;
fail:
    core_config_cleanup(cfg);
    return -1;
}

void core_config_cleanup(core_config_t *cfg)
{
    free(cfg->host);
    free(cfg->data_dir);
    free(cfg->web_dir);
    free(cfg->database_url);
    free(cfg->metrics_host);
    if (cfg->metrics_token != NULL)
        sodium_memzero(cfg->metrics_token, strlen(cfg->metrics_token));
    free(cfg->metrics_token);
    free(cfg->database_replica_urls);
    free(cfg->redis_url);
    if (cfg->jwt_secret != NULL)
        sodium_memzero(cfg->jwt_secret, strlen(cfg->jwt_secret));
    free(cfg->jwt_secret);
    if (cfg->jwt_secret_previous != NULL)
        sodium_memzero(cfg->jwt_secret_previous, strlen(cfg->jwt_secret_previous));
    free(cfg->jwt_secret_previous);
    free(cfg->cookie_samesite);
    free_list(cfg->cors_origins, cfg->cors_origins_len);
    free(cfg->trust_proxy);
    free(cfg->smtp_url);
    free(cfg->smtp_user);
    if (cfg->smtp_pass != NULL)
        sodium_memzero(cfg->smtp_pass, strlen(cfg->smtp_pass));
    free(cfg->smtp_pass);
    free(cfg->mail_from);
    free(cfg->access_log);
    free(cfg->otel_endpoint);
    if (cfg->otel_exporter_headers != NULL)
        sodium_memzero(cfg->otel_exporter_headers, strlen(cfg->otel_exporter_headers));
    free(cfg->otel_exporter_headers);
    free(cfg->otel_service_name);
    free(cfg->otel_resource_attributes);
    memset(cfg, 0, sizeof(*cfg));
}
