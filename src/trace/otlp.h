/*
 * OTLP/HTTP JSON encoding of spans (opentelemetry-proto's
 * ExportTraceServiceRequest in its JSON mapping): ids in lowercase hex,
 * 64-bit integers (times, intValue) as decimal strings, enums as numbers.
 * Pure functions; any thread.
 */
#ifndef TRACE_OTLP_H
#define TRACE_OTLP_H

#include <stddef.h>

#include "trace/span.h"

/* A resource attribute: both texts owned by the caller. */
typedef struct trace_resource_attr {
    const char *key;
    const char *value;
} trace_resource_attr_t;

/* {"resourceSpans":[{"resource":{"attributes":[...]},"scopeSpans":[{"scope":
 * {"name":"lsf-server","version":...},"spans":[...]}]}]} of the n spans of
 * the list starting at first (linked by next), under the resource
 * attributes given, as compact JSON text: malloc'ed, NUL-terminated, *len
 * its length (the caller frees); never NULL (allocation aborts). */
char *trace_otlp_encode(const trace_span_t *first, size_t n, const trace_resource_attr_t *resource,
                        size_t nresource, size_t *len);

/* Read OTEL_RESOURCE_ATTRIBUTES ("key=value,key2=value2", values
 * percent-encoded, spaces around items ignored) into up to max pairs, each
 * key and value a malloc'ed, decoded, NUL-terminated copy (free both).
 * Returns how many, or -1 when an item has no '=', an empty key, a
 * malformed %XX, or a decoded text that is not valid UTF-8 (nothing is left
 * allocated then). */
int trace_otlp_resource_parse(const char *text, trace_resource_attr_t *out, size_t max);

#endif
