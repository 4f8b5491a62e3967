/*
 * A JSON text writer: appends keys and values to one growing buffer taken
 * from a pool, so a reply such as a page of tasks is written straight into
 * the bytes that are sent instead of being built as a jansson tree, dumped
 * and freed (docs/PERFORMANCE.md). The writer places commas and colons
 * itself; the caller only has to open and close what it writes, in order.
 * Strings must be valid UTF-8 (everything the server stores is checked on
 * the way in); they are copied as is, with '"', '\\' and the control
 * characters below 0x20 escaped. One writer belongs to one thread.
 */
#ifndef API_JSON_OUT_H
#define API_JSON_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/pool.h"

typedef struct api_json_out {
    core_pool_t *pool;
    char *buf;
    size_t len;
    size_t cap;
    bool comma; /* a value ends here: the next key or value needs a ',' first */
} api_json_out_t;

/* Start an empty text in pool with room for about hint bytes (it grows as
 * needed; the pool never fails, so neither does any call below). */
void api_json_out_init(api_json_out_t *out, core_pool_t *pool, size_t hint);

void api_json_out_object_open(api_json_out_t *out);
void api_json_out_object_close(api_json_out_t *out);
void api_json_out_array_open(api_json_out_t *out);
void api_json_out_array_close(api_json_out_t *out);

/* An object member's name; the value written next is its value. */
void api_json_out_key(api_json_out_t *out, const char *key);

/* Values. */
void api_json_out_string(api_json_out_t *out, const char *s, size_t len);
void api_json_out_cstr(api_json_out_t *out, const char *s); /* NULL writes null */
void api_json_out_int(api_json_out_t *out, int64_t n);
void api_json_out_bool(api_json_out_t *out, bool b);
void api_json_out_null(api_json_out_t *out);
/* ms as core_clock_iso8601 writes it, or null for STORE_TIME_NONE (INT64_MIN). */
void api_json_out_time(api_json_out_t *out, int64_t ms);

/* The text so far, NUL-terminated, in the pool (valid until it is cleaned
 * up); *len gets its length without the NUL. */
const char *api_json_out_text(api_json_out_t *out, size_t *len);

#endif
