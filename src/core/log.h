/*
 * Application log: one JSON object per line on stderr, e.g.
 *   {"ts":"2026-11-24T19:57:03.123Z","level":"info","msg":"listening","port":4000}
 * Fields are typed so values are escaped once, here. The request currently
 * handled by this thread (request id, trace and span ids, route, user id) is added to every line
 * automatically. Never log secrets: passwords, tokens, OTPs, cookies.
 * Safe from any thread; each line is written with a single write(2).
 */
#ifndef CORE_LOG_H
#define CORE_LOG_H

#include <stdbool.h>

enum core_log_level { CORE_LOG_DEBUG = 0, CORE_LOG_INFO, CORE_LOG_WARN, CORE_LOG_ERROR };

enum core_log_type { CORE_LOG_T_STR = 0, CORE_LOG_T_INT, CORE_LOG_T_DBL, CORE_LOG_T_BOOL };

typedef struct core_log_field {
    const char *key;
    enum core_log_type type;
    union {
        const char *s;
        long long i;
        double d;
    } v;
} core_log_field_t;

#define LOG_STR(k, val) ((core_log_field_t){.key = (k), .type = CORE_LOG_T_STR, .v.s = (val)})
#define LOG_INT(k, val) ((core_log_field_t){.key = (k), .type = CORE_LOG_T_INT, .v.i = (long long)(val)})
#define LOG_DBL(k, val) ((core_log_field_t){.key = (k), .type = CORE_LOG_T_DBL, .v.d = (double)(val)})
#define LOG_BOOL(k, val) ((core_log_field_t){.key = (k), .type = CORE_LOG_T_BOOL, .v.i = !!(val)})

struct trace_scope;

/* What this thread is working on; fields left NULL are omitted. */
typedef struct core_log_context {
    const char *request_id;
    const char *trace_id; /* W3C trace id and this request's span id, lowercase hex */
    const char *span_id;
    const char *route;
    const char *user_id;
    const struct trace_scope *trace; /* the request's recording span, parent of child spans (trace/scope.h); not logged */
} core_log_context_t;

extern int core_log_level;

/* Parse "debug", "info", "warn", "error"; returns -1 for anything else. */
int core_log_level_parse(const char *name);

/* Set (or with NULL clear) this thread's request context; the pointer must stay valid until cleared. */
void core_log_context_set(const core_log_context_t *ctx);

/* This thread's (or fiber's) request context, or NULL. */
const core_log_context_t *core_log_context_get(void);

void core_log_write(enum core_log_level level, const char *msg, const core_log_field_t *fields, int nfields);

#define core_log(level, msg, ...)                                                                             \
    do {                                                                                                      \
        if ((int)(level) >= core_log_level) {                                                                 \
            const core_log_field_t core_log_f_[] = {{0}, ##__VA_ARGS__};                                      \
            core_log_write((level), (msg), core_log_f_ + 1, (int)(sizeof(core_log_f_) / sizeof(core_log_f_[0])) - 1); \
        }                                                                                                     \
    } while (0)

#define log_debug(msg, ...) core_log(CORE_LOG_DEBUG, msg, ##__VA_ARGS__)
#define log_info(msg, ...) core_log(CORE_LOG_INFO, msg, ##__VA_ARGS__)
#define log_warn(msg, ...) core_log(CORE_LOG_WARN, msg, ##__VA_ARGS__)
#define log_error(msg, ...) core_log(CORE_LOG_ERROR, msg, ##__VA_ARGS__)

#endif
