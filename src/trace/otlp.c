/*
 * This file implements the OTLP JSON encoding of otlp.h, written as text
 * without an intermediate tree. It fits in on the
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

/* The body is written directly into a growing buffer: the exporter encodes
 * every span, and building a jansson tree then dumping it cost about five
 * times as much (measured with callgrind: 57% of the exporter's time in
 * json_dumps, 25% building the tree). Texts are valid UTF-8 already (span.c
 * and the config check them; a name that is not falls back to "HTTP"), so
 * writing one only escapes what JSON requires. */
typedef struct out {
    char *p;
    size_t len, cap;
} out_t;

static void put(out_t *o, const char *s, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        while (o->len + n + 1 > o->cap)
            o->cap = o->cap ? o->cap * 2 : 4096;
        o->p = core_realloc(o->p, o->cap);
    }
    memcpy(o->p + o->len, s, n);
    o->len += n;
    o->p[o->len] = '\0';
}

#define PUT(o, lit) put((o), lit, sizeof(lit) - 1)

/* A JSON string: quotes, and \", \\ and control characters escaped. */
static void put_text(out_t *o, const char *s)
{
    static const char hex[] = "0123456789abcdef";
    const char *run = s;

    PUT(o, "\"");
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(o, run, (size_t)(s - run));
        if (c == '"' || c == '\\') {
            char e[2] = {'\\', (char)c};
            put(o, e, 2);
        } else {
            char e[6] = {'\\', 'u', '0', '0', hex[c >> 4], hex[c & 15]};
            put(o, e, 6);
        }
        run = s + 1;
    }
    put(o, run, (size_t)(s - run));
    PUT(o, "\"");
}

/* A decimal in quotes: int64 is a string in OTLP JSON. */
static void put_decimal(out_t *o, long long n)
{
    char num[24];
    int len = snprintf(num, sizeof(num), "\"%lld\"", n);
    put(o, num, (size_t)len);
}

static void put_hex(out_t *o, const uint8_t *bytes, size_t n)
{
    char hex[TRACE_ID_HEX + 2];

    hex[0] = '"';
    trace_hex(bytes, n, hex + 1);
    hex[2 * n + 1] = '"';
    put(o, hex, 2 * n + 2);
}

static void put_kv_text(out_t *o, const char *key, const char *value)
{
    PUT(o, "{\"key\":");
    put_text(o, key);
    PUT(o, ",\"value\":{\"stringValue\":");
    put_text(o, value);
    PUT(o, "}}");
}

static void put_kv_int(out_t *o, const char *key, long long value)
{
    PUT(o, "{\"key\":");
    put_text(o, key);
    PUT(o, ",\"value\":{\"intValue\":");
    put_decimal(o, value);
    PUT(o, "}}");
}

static void put_span(out_t *o, const trace_span_t *s)
{
    PUT(o, "{\"traceId\":");
    put_hex(o, s->trace_id, TRACE_ID_BYTES);
    PUT(o, ",\"spanId\":");
    put_hex(o, s->span_id, TRACE_SPAN_ID_BYTES);
    if (s->has_parent) {
        PUT(o, ",\"parentSpanId\":");
        put_hex(o, s->parent_span_id, TRACE_SPAN_ID_BYTES);
    }
    if (s->trace_state != NULL) {
        PUT(o, ",\"traceState\":");
        put_text(o, s->trace_state);
    }
    PUT(o, ",\"name\":"); /* a method a client sent may not be UTF-8 */
    put_text(o, core_str_is_utf8(core_str_c(s->name)) ? s->name : "HTTP");
    char kind[32];
    put(o, kind, (size_t)snprintf(kind, sizeof(kind), ",\"kind\":%d", (int)s->kind));
    PUT(o, ",\"startTimeUnixNano\":");
    put_decimal(o, (long long)s->start_unix_ns);
    PUT(o, ",\"endTimeUnixNano\":");
    put_decimal(o, (long long)s->end_unix_ns);
    PUT(o, ",\"attributes\":[");
    for (int i = 0; i < s->nattrs; i++) {
        if (i > 0)
            PUT(o, ",");
        if (s->attrs[i].is_int)
            put_kv_int(o, s->attrs[i].key, s->attrs[i].i);
        else
            put_kv_text(o, s->attrs[i].key, s->attrs[i].s);
    }
    PUT(o, "]");
    if (s->exception_type != NULL) {
        PUT(o, ",\"events\":[{\"timeUnixNano\":");
        put_decimal(o, (long long)s->exception_unix_ns);
        PUT(o, ",\"name\":\"exception\",\"attributes\":[");
        put_kv_text(o, "exception.type", s->exception_type);
        if (s->exception_message != NULL) {
            PUT(o, ",");
            put_kv_text(o, "exception.message", s->exception_message);
        }
        PUT(o, "]}]");
    }
    if (s->has_link) {
        PUT(o, ",\"links\":[{\"traceId\":");
        put_hex(o, s->link_trace_id, TRACE_ID_BYTES);
        PUT(o, ",\"spanId\":");
        put_hex(o, s->link_span_id, TRACE_SPAN_ID_BYTES);
        PUT(o, "}]");
    }
    char code[32];
    put(o, code, (size_t)snprintf(code, sizeof(code), ",\"status\":{\"code\":%d", (int)s->status));
    if (s->status_message != NULL) {
        PUT(o, ",\"message\":");
        put_text(o, s->status_message);
    }
    PUT(o, "}}");
}

char *trace_otlp_encode(const trace_span_t *first, size_t n, const trace_resource_attr_t *resource,
                        size_t nresource, size_t *len)
{
    out_t o = {0};
    bool comma = false;

    PUT(&o, "{\"resourceSpans\":[{\"resource\":{\"attributes\":[");
    for (size_t i = 0; i < nresource; i++) {
        const trace_resource_attr_t *r = &resource[i];
        if (!core_str_is_utf8(core_str_c(r->value)) || !core_str_is_utf8(core_str_c(r->key)))
            continue;
        if (comma)
            PUT(&o, ",");
        put_kv_text(&o, resource[i].key, resource[i].value);
        comma = true;
    }
    PUT(&o, "]},\"scopeSpans\":[{\"scope\":{\"name\":\"lsf-server\",\"version\":");
    put_text(&o, LSF_VERSION);
    PUT(&o, "},\"spans\":[");
    for (const trace_span_t *s = first; s != NULL && n > 0; s = s->next, n--) {
        put_span(&o, s);
        if (n > 1 && s->next != NULL)
            PUT(&o, ",");
    }
    PUT(&o, "]}]}]}");
    *len = o.len;
    return o.p;
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
