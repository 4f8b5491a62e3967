/*
 * This file implements json_out.h, the JSON text writer the task replies
 * use in place of jansson's build-then-dump. The buffer lives in the
 * request pool: when it is full a buffer twice as large is taken and the
 * text copied over (the old one goes with the pool), so a page of tasks
 * costs a handful of allocations instead of a few hundred.
 */
#include "api/json_out.h"

#include <string.h>

#include "core/clock.h"
#include "store/task.h"

static void grow(api_json_out_t *out, size_t need)
{
    size_t cap = out->cap * 2;
    while (cap < need)
        cap *= 2;
    char *buf = core_pool_alloc(out->pool, cap);
    memcpy(buf, out->buf, out->len);
    out->buf = buf;
    out->cap = cap;
}

/* Room for more bytes and the final NUL; the common case is one compare. */
static inline void reserve(api_json_out_t *out, size_t more)
{
    size_t need = out->len + more + 1;
    if (need > out->cap)
        grow(out, need);
}

static void put(api_json_out_t *out, const char *s, size_t len)
{
    reserve(out, len);
    memcpy(out->buf + out->len, s, len);
    out->len += len;
}

static void put_char(api_json_out_t *out, char c)
{
    reserve(out, 1);
    out->buf[out->len++] = c;
}

/* Before a key or a value that is not an object member's value. */
static void separate(api_json_out_t *out)
{
    if (out->comma)
        put_char(out, ',');
    out->comma = false;
}

/* The escaped form of s between quotes. Room for the plain case is taken
 * once; runs of plain bytes are copied at once and only an escape (rare in
 * task text) checks the room again. */
static void put_quoted(api_json_out_t *out, const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t run = 0;
    char *p;

    reserve(out, len + 2);
    out->buf[out->len++] = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        memcpy(out->buf + out->len, s + run, i - run);
        out->len += i - run;
        run = i + 1;
        reserve(out, 6 + (len - run) + 1); /* this escape, the rest, the closing quote */
        p = out->buf + out->len;
        *p++ = '\\';
        switch (c) {
        case '"': *p++ = '"'; break;
        case '\\': *p++ = '\\'; break;
        case '\b': *p++ = 'b'; break;
        case '\f': *p++ = 'f'; break;
        case '\n': *p++ = 'n'; break;
        case '\r': *p++ = 'r'; break;
        case '\t': *p++ = 't'; break;
        default:
            memcpy(p, "u00", 3);
            p[3] = hex[c >> 4];
            p[4] = hex[c & 0xf];
            p += 5;
            break;
        }
        out->len = (size_t)(p - out->buf);
    }
    memcpy(out->buf + out->len, s + run, len - run);
    out->len += len - run;
    out->buf[out->len++] = '"';
}

void api_json_out_init(api_json_out_t *out, core_pool_t *pool, size_t hint)
{
    out->pool = pool;
    out->cap = hint < 64 ? 64 : hint;
    out->buf = core_pool_alloc(pool, out->cap);
    out->len = 0;
    out->comma = false;
}

void api_json_out_object_open(api_json_out_t *out)
{
    separate(out);
    put_char(out, '{');
}

void api_json_out_object_close(api_json_out_t *out)
{
    put_char(out, '}');
    out->comma = true;
}

void api_json_out_array_open(api_json_out_t *out)
{
    separate(out);
    put_char(out, '[');
}

void api_json_out_array_close(api_json_out_t *out)
{
    put_char(out, ']');
    out->comma = true;
}

/* Keys are the server's own names: copied whole unless one needs escaping. */
void api_json_out_key(api_json_out_t *out, const char *key)
{
    size_t len = 0;

    separate(out);
    for (unsigned char c; (c = (unsigned char)key[len]) != '\0'; len++) {
        if (c < 0x20 || c == '"' || c == '\\') {
            put_quoted(out, key, strlen(key));
            put_char(out, ':');
            return;
        }
    }
    reserve(out, len + 3);
    out->buf[out->len++] = '"';
    memcpy(out->buf + out->len, key, len);
    out->len += len;
    out->buf[out->len++] = '"';
    out->buf[out->len++] = ':';
}

void api_json_out_string(api_json_out_t *out, const char *s, size_t len)
{
    separate(out);
    put_quoted(out, s, len);
    out->comma = true;
}

void api_json_out_cstr(api_json_out_t *out, const char *s)
{
    if (s == NULL)
        api_json_out_null(out);
    else
        api_json_out_string(out, s, strlen(s));
}

void api_json_out_time(api_json_out_t *out, int64_t ms)
{
    if (ms == STORE_TIME_NONE) {
        api_json_out_null(out);
        return;
    }
    separate(out);
    reserve(out, 32 + 2);
    out->buf[out->len++] = '"';
    core_clock_iso8601(ms, out->buf + out->len); /* digits, '-', ':', '.', 'T', 'Z': nothing to escape */
    out->len += CORE_CLOCK_ISO8601_LEN;
    out->buf[out->len++] = '"';
    out->comma = true;
}

void api_json_out_int(api_json_out_t *out, int64_t n)
{
    char digits[24];
    size_t i = sizeof(digits);
    /* in unsigned arithmetic so that INT64_MIN has a magnitude */
    uint64_t u = n < 0 ? 0 - (uint64_t)n : (uint64_t)n;

    do {
        digits[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u != 0);
    if (n < 0)
        digits[--i] = '-';
    separate(out);
    put(out, digits + i, sizeof(digits) - i);
    out->comma = true;
}

void api_json_out_bool(api_json_out_t *out, bool b)
{
    separate(out);
    if (b)
        put(out, "true", 4);
    else
        put(out, "false", 5);
    out->comma = true;
}

void api_json_out_null(api_json_out_t *out)
{
    separate(out);
    put(out, "null", 4);
    out->comma = true;
}

const char *api_json_out_text(api_json_out_t *out, size_t *len)
{
    reserve(out, 0);
    out->buf[out->len] = '\0';
    *len = out->len;
    return out->buf;
}
