/*
 * This file implements the child spans of scope.h. A child's times are the
 * scope's wall-clock start plus monotonic time elapsed, as the server span's
 * are (src/http/trace.c), so children sit inside their parent even when the
 * wall clock steps. Span ids come from core_random_buf(), read only when
 * a span is made.
 */
#include "trace/scope.h"

#include <string.h>

#include "core/clock.h"
#include "core/log.h"
#include "core/random.h"
#include "trace/export.h"

const trace_scope_t *trace_scope_current(void)
{
    const core_log_context_t *ctx = core_log_context_get();
    return ctx != NULL ? ctx->trace : NULL;
}

trace_child_t trace_child_begin(void)
{
    trace_child_t c = {.scope = trace_scope_current()};

    if (c.scope != NULL)
        c.start_mono_ns = core_clock_mono_ns();
    return c;
}

trace_span_t *trace_child_end(const trace_child_t *c, const char *name, enum trace_span_kind kind)
{
    const trace_scope_t *p = c->scope;

    if (p == NULL)
        return NULL;
    trace_span_t *s = trace_span_create(name, kind);
    memcpy(s->trace_id, p->trace_id, TRACE_ID_BYTES);
    memcpy(s->parent_span_id, p->span_id, TRACE_SPAN_ID_BYTES);
    s->has_parent = true;
    core_random_buf(s->span_id, TRACE_SPAN_ID_BYTES);
    if (trace_id_is_zero(s->span_id, TRACE_SPAN_ID_BYTES))
        s->span_id[0] = 1;
    s->start_unix_ns = p->unix_ns + (c->start_mono_ns - p->mono_ns);
    s->end_unix_ns = p->unix_ns + (core_clock_mono_ns() - p->mono_ns);
    return s;
}

void trace_child_end_db(const trace_child_t *c, const char *system, const char *op, const char *sql,
                        bool failed)
{
    trace_span_t *s = trace_child_end(c, op, TRACE_KIND_CLIENT);
    size_t at = 0, n = 0;

    if (s == NULL)
        return;
    trace_span_attr_str(s, "db.system.name", core_str_c(system));
    if (sql == NULL)
        sql = "";
    while (sql[at] == ' ' || sql[at] == '\n' || sql[at] == '(')
        at++;
    while (n < 16 &&
           ((sql[at + n] >= 'A' && sql[at + n] <= 'Z') || (sql[at + n] >= 'a' && sql[at + n] <= 'z')))
        n++;
    if (n > 0)
        trace_span_attr_str(s, "db.operation.name", core_str(sql + at, n));
    if (failed)
        trace_span_fail(s, "db error", NULL, s->end_unix_ns);
    trace_export_submit(s);
}

const char *trace_scope_traceparent(core_pool_t *pool)
{
    const trace_scope_t *p = trace_scope_current();

    if (p == NULL)
        return NULL;
    char *out = core_pool_alloc(pool, TRACE_PARENT_LEN + 1);
    trace_parent_format(p->trace_id, p->span_id, TRACE_FLAG_SAMPLED, out);
    return out;
}
