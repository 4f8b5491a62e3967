/*
 * This file implements the OTLP JSON encoding of otlp.h. It fits in on the
 * exporter thread (export.c), which turns a batch of finished spans into
 * one request body; nothing here runs on a request's path. It also reads
 * OTEL_RESOURCE_ATTRIBUTES, for the config check and for the exporter.
 */
#include "trace/otlp.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mem.h"

#ifndef LSF_VERSION
#define LSF_VERSION "0"
#endif

/* The texts here are valid UTF-8 already (span.c and the config check them),
 * and keys are literals: jansson's _nocheck calls skip validating them again,
 * and no json_pack format is parsed per value (the exporter encodes every
 * span, so this is its main cost). */
static void set(json_t *obj, const char *key, json_t *value)
{
    json_object_set_new_nocheck(obj, key, value);
}

static json_t *text(const char *s)
{
    return json_string_nocheck(s);
}

static json_t *kv(const char *key, const char *field, json_t *value)
{
    json_t *pair = json_object(), *any = json_object();

    set(any, field, value);
    set(pair, "key", text(key));
    set(pair, "value", any);
    return pair;
}

static json_t *kv_string(const char *key, const char *value)
{
    return kv(key, "stringValue", text(value));
}

static json_t *decimal(long long n)
{
    char num[24];
    snprintf(num, sizeof(num), "%lld", n);
    return text(num);
}

static json_t *kv_int(const char *key, long long value)
{
    return kv(key, "intValue", decimal(value)); /* int64 is a string in OTLP JSON */
}

static json_t *time_ns(int64_t ns)
{
    return decimal((long long)ns);
}

static json_t *hex_id(const uint8_t *bytes, size_t n)
{
    char hex[TRACE_ID_HEX];
    trace_hex(bytes, n, hex);
    return text(hex);
}

static json_t *encode_span(const trace_span_t *s)
{
    json_t *span = json_object(), *attrs = json_array();

    set(span, "traceId", hex_id(s->trace_id, TRACE_ID_BYTES));
    set(span, "spanId", hex_id(s->span_id, TRACE_SPAN_ID_BYTES));
    if (s->has_parent)
        set(span, "parentSpanId", hex_id(s->parent_span_id, TRACE_SPAN_ID_BYTES));
    if (s->trace_state != NULL)
        set(span, "traceState", text(s->trace_state));
    json_t *name = json_string(s->name); /* a method a client sent may not be UTF-8 */
    set(span, "name", name != NULL ? name : text("HTTP"));
    set(span, "kind", json_integer(s->kind));
    set(span, "startTimeUnixNano", time_ns(s->start_unix_ns));
    set(span, "endTimeUnixNano", time_ns(s->end_unix_ns));
    for (int i = 0; i < s->nattrs; i++)
        json_array_append_new(attrs, s->attrs[i].is_int ? kv_int(s->attrs[i].key, s->attrs[i].i)
                                                        : kv_string(s->attrs[i].key, s->attrs[i].s));
    set(span, "attributes", attrs);
    if (s->exception_type != NULL) {
        json_t *event = json_object(), *ev_attrs = json_array(), *events = json_array();
        json_array_append_new(ev_attrs, kv_string("exception.type", s->exception_type));
        if (s->exception_message != NULL)
            json_array_append_new(ev_attrs, kv_string("exception.message", s->exception_message));
        set(event, "timeUnixNano", time_ns(s->exception_unix_ns));
        set(event, "name", text("exception"));
        set(event, "attributes", ev_attrs);
        json_array_append_new(events, event);
        set(span, "events", events);
    }
    if (s->has_link) {
        json_t *link = json_object(), *links = json_array();
        set(link, "traceId", hex_id(s->link_trace_id, TRACE_ID_BYTES));
        set(link, "spanId", hex_id(s->link_span_id, TRACE_SPAN_ID_BYTES));
        json_array_append_new(links, link);
        set(span, "links", links);
    }
    json_t *status = json_object();
    set(status, "code", json_integer((json_int_t)s->status));
    if (s->status_message != NULL)
        set(status, "message", text(s->status_message));
    set(span, "status", status);
    return span;
}

json_t *trace_otlp_encode(const trace_span_t *first, size_t n, const trace_resource_attr_t *resource,
                          size_t nresource)
{
    json_t *attrs = json_array(), *spans = json_array();

    for (size_t i = 0; i < nresource; i++)
        json_array_append_new(attrs, kv(resource[i].key, "stringValue", json_string(resource[i].value)));
    for (const trace_span_t *s = first; s != NULL && n > 0; s = s->next, n--)
        json_array_append_new(spans, encode_span(s));
    return json_pack("{s:[{s:{s:o}, s:[{s:{s:s, s:s}, s:o}]}]}", "resourceSpans", "resource", "attributes", attrs,
                     "scopeSpans", "scope", "name", "lsf-server", "version", LSF_VERSION, "spans", spans);
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* Percent-decode s (len bytes) into a new string; NULL when malformed or not UTF-8. */
static char *decode(core_str_t s)
{
    char *out = core_malloc(s.len + 1), *p = out;

    for (size_t i = 0; i < s.len; i++) {
        if (s.base[i] != '%') {
            *p++ = s.base[i];
            continue;
        }
        if (i + 2 >= s.len) {
            free(out);
            return NULL;
        }
        int h = hex_digit(s.base[i + 1]), l = hex_digit(s.base[i + 2]);
        if (h < 0 || l < 0 || (h == 0 && l == 0)) {
            free(out);
            return NULL;
        }
        *p++ = (char)(h << 4 | l);
        i += 2;
    }
    *p = '\0';
    if (!core_str_is_utf8(core_str(out, (size_t)(p - out)))) {
        free(out);
        return NULL;
    }
    return out;
}

static void free_pairs(trace_resource_attr_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free((char *)(uintptr_t)out[i].key);
        free((char *)(uintptr_t)out[i].value);
    }
}

int trace_otlp_resource_parse(const char *text, trace_resource_attr_t *out, size_t max)
{
    size_t n = 0;
    const char *p = text != NULL ? text : "";

    while (*p != '\0') {
        const char *comma = strchr(p, ',');
        size_t len = comma != NULL ? (size_t)(comma - p) : strlen(p);
        core_str_t item = core_str_trim(core_str(p, len));
        p += len + (comma != NULL);
        if (item.len == 0)
            continue;
        const char *eq = memchr(item.base, '=', item.len);
        if (eq == NULL || n == max)
            goto fail;
        core_str_t key = core_str_trim(core_str(item.base, (size_t)(eq - item.base)));
        core_str_t val = core_str_trim(core_str(eq + 1, item.len - (size_t)(eq + 1 - item.base)));
        if (key.len == 0)
            goto fail;
        char *k = decode(key), *v = decode(val);
        if (k == NULL || v == NULL) {
            free(k);
            free(v);
            goto fail;
        }
        out[n++] = (trace_resource_attr_t){k, v};
    }
    return (int)n;
fail:
    free_pairs(out, n);
    return -1;
}
