/*
 * This file implements the span record of span.h: a plain heap block with
 * owned copies of its texts, so that the exporter thread can encode it
 * (otlp.c) long after the request that made it is gone.
 */
#include "trace/span.h"

#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

static char *copy_text(core_str_t v)
{
    if (v.base == NULL || !core_str_is_utf8(v))
        return NULL;
    size_t n = core_str_utf8_prefix(v, TRACE_ATTR_TEXT_MAX);
    return core_strndup(v.base, n);
}

trace_span_t *trace_span_create(const char *name, enum trace_span_kind kind)
{
    trace_span_t *s = core_calloc(1, sizeof(*s));
    s->name = core_strdup(name);
    s->kind = kind;
    return s;
}

void trace_span_attr_str(trace_span_t *s, const char *key, core_str_t value)
{
    if (s->nattrs == TRACE_SPAN_ATTRS)
        return;
    char *copy = copy_text(value);
    if (copy == NULL)
        return;
    s->attrs[s->nattrs++] = (trace_attr_t){.key = key, .s = copy};
}

void trace_span_attr_int(trace_span_t *s, const char *key, long long value)
{
    if (s->nattrs < TRACE_SPAN_ATTRS)
        s->attrs[s->nattrs++] = (trace_attr_t){.key = key, .is_int = true, .i = value};
}

void trace_span_fail(trace_span_t *s, const char *type, const char *message, int64_t at_unix_ns)
{
    s->status = TRACE_STATUS_ERROR;
    free(s->status_message);
    free(s->exception_type);
    free(s->exception_message);
    s->status_message = copy_text(core_str_c(type));
    s->exception_type = copy_text(core_str_c(type));
    s->exception_message = message != NULL ? copy_text(core_str_c(message)) : NULL;
    s->exception_unix_ns = at_unix_ns;
}

void trace_span_destroy(trace_span_t *s)
{
    if (s == NULL)
        return;
    for (int i = 0; i < s->nattrs; i++)
        free(s->attrs[i].s);
    free(s->trace_state);
    free(s->name);
    free(s->status_message);
    free(s->exception_type);
    free(s->exception_message);
    free(s);
}
