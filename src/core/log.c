/*
 * This file implements the JSON-lines application log of log.h. Lines are
 * formatted into a stack buffer and written with one write(2), so lines from
 * different threads never interleave and logging takes no lock. The request
 * context is kept in the fiber-local slot of core/fiber.h: per thread, and
 * per fiber on an event loop that runs requests on fibers.
 */
#include "core/log.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/fiber.h"

int core_log_level = CORE_LOG_INFO;

static const char *const level_names[] = {"debug", "info", "warn", "error"};

int core_log_level_parse(const char *name)
{
    for (int i = 0; i < 4; i++)
        if (strcmp(name, level_names[i]) == 0)
            return i;
    return -1;
}

void core_log_context_set(const core_log_context_t *ctx)
{
    core_fiber_local_set((void *)(uintptr_t)ctx); /* per fiber: see core/fiber.h */
}

const core_log_context_t *core_log_context_get(void)
{
    return core_fiber_local_get();
}

typedef struct {
    char *p;
    char *end;
} out_t;

static void put(out_t *o, const char *s, size_t n)
{
    if ((size_t)(o->end - o->p) < n)
        n = (size_t)(o->end - o->p);
    memcpy(o->p, s, n);
    o->p += n;
}

static void put_escaped(out_t *o, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    put(o, "\"", 1);
    for (; s != NULL && *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            put(o, e, 2);
        } else if (c < 0x20 || c == 0x7f) {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            put(o, e, 6);
        } else {
            put(o, (const char *)&c, 1);
        }
    }
    put(o, "\"", 1);
}

static void put_field(out_t *o, const core_log_field_t *f)
{
    char num[32];
    int n;

    put(o, ",", 1);
    put_escaped(o, f->key);
    put(o, ":", 1);
    switch (f->type) {
    case CORE_LOG_T_STR:
        if (f->v.s == NULL)
            put(o, "null", 4);
        else
            put_escaped(o, f->v.s);
        break;
    case CORE_LOG_T_INT:
        n = snprintf(num, sizeof(num), "%lld", f->v.i);
        put(o, num, (size_t)n);
        break;
    case CORE_LOG_T_DBL:
        n = snprintf(num, sizeof(num), "%.3f", f->v.d);
        put(o, num, (size_t)n);
        break;
    case CORE_LOG_T_BOOL:
        put(o, f->v.i ? "true" : "false", f->v.i ? 4 : 5);
        break;
    }
}

void core_log_write(enum core_log_level level, const char *msg, const core_log_field_t *fields, int nfields)
{
    char buf[8192], ts[32];
    out_t o = {buf, buf + sizeof(buf) - 2};

    core_clock_iso8601(core_clock_now_ms(), ts);
    put(&o, "{\"ts\":\"", 7);
    put(&o, ts, strlen(ts));
    put(&o, "\",\"level\":\"", 11);
    put(&o, level_names[level], strlen(level_names[level]));
    put(&o, "\",\"msg\":", 8);
    put_escaped(&o, msg);
    const core_log_context_t *context = core_fiber_local_get();
    if (context != NULL) {
        if (context->request_id != NULL)
            put_field(&o, &LOG_STR("request_id", context->request_id));
        if (context->trace_id != NULL)
            put_field(&o, &LOG_STR("trace_id", context->trace_id));
        if (context->span_id != NULL)
            put_field(&o, &LOG_STR("span_id", context->span_id));
        if (context->route != NULL)
            put_field(&o, &LOG_STR("route", context->route));
        if (context->user_id != NULL)
            put_field(&o, &LOG_STR("user_id", context->user_id));
    }
    for (int i = 0; i < nfields; i++)
        put_field(&o, &fields[i]);
    o.end += 2;
    put(&o, "}\n", 2);
    ssize_t r = write(STDERR_FILENO, buf, (size_t)(o.p - buf));
    (void)r;
}
