/*
 * W3C Trace Context (https://www.w3.org/TR/trace-context/): the
 * `traceparent` and `tracestate` request headers, read strictly, and the
 * `traceparent` we send on. Pure functions over slices: no allocation, no
 * state, any thread.
 */
#ifndef TRACE_CONTEXT_H
#define TRACE_CONTEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/str.h"

#define TRACE_ID_BYTES 16
#define TRACE_SPAN_ID_BYTES 8
#define TRACE_ID_HEX (TRACE_ID_BYTES * 2 + 1)           /* 32 hex digits and the NUL */
#define TRACE_SPAN_ID_HEX (TRACE_SPAN_ID_BYTES * 2 + 1) /* 16 hex digits and the NUL */
#define TRACE_PARENT_LEN 55                             /* "00-" 32 "-" 16 "-" 2 */
#define TRACE_STATE_MAX 512   /* longest tracestate kept (the spec's minimum to propagate) */
#define TRACE_STATE_MEMBERS 32 /* the spec's limit on list members */
#define TRACE_FLAG_SAMPLED 0x01

typedef struct trace_parent {
    uint8_t trace_id[TRACE_ID_BYTES];
    uint8_t span_id[TRACE_SPAN_ID_BYTES]; /* the caller's span: our span's parent */
    uint8_t flags;
} trace_parent_t;

/* Read one traceparent value. Version 00 must be exactly 55 characters;
 * a later version (01-fe) may be longer, with a '-' after the first 55, and
 * is read as 00 (the spec's forward compatibility); ff is invalid. Hex
 * digits must be lowercase, and an all-zero trace id or span id is invalid.
 * Returns true and fills *out, or false (out untouched) for anything else. */
bool trace_parent_parse(core_str_t value, trace_parent_t *out);

/* Write "00-<trace id>-<span id>-<flags>" and a NUL into out. */
void trace_parent_format(const uint8_t trace_id[TRACE_ID_BYTES], const uint8_t span_id[TRACE_SPAN_ID_BYTES],
                         uint8_t flags, char out[TRACE_PARENT_LEN + 1]);

/* True when value is a valid tracestate: at most TRACE_STATE_MAX bytes, at
 * most 32 list members of key=value separated by commas (optional spaces and
 * tabs around them, empty members allowed), keys per the spec (simple or
 * tenant@system, lowercase), values of printable ASCII without ',' or '='
 * and not ending in a space, no key twice. An invalid one is dropped whole. */
bool trace_state_valid(core_str_t value);

/* Lowercase hex of n bytes into out (2n characters and a NUL). */
void trace_hex(const uint8_t *bytes, size_t n, char *out);

/* True when all n bytes are zero. */
bool trace_id_is_zero(const uint8_t *bytes, size_t n);

#endif
