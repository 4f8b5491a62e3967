/*
 * This file implements the W3C Trace Context reader and writer of
 * context.h. It fits in by giving the HTTP layer (src/http/trace.c) the
 * caller's trace id and span id, or the verdict "malformed" after which a
 * request starts a trace of its own; the fuzz target tests/fuzz/trace_context.c
 * checks it against an independent reading.
 */
#include "trace/context.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1; /* uppercase is invalid in traceparent */
}

/* n bytes from 2n lowercase hex digits; false on any other character. */
static bool read_hex(const char *s, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = hex_value(s[2 * i]), lo = hex_value(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}

bool trace_id_is_zero(const uint8_t *bytes, size_t n)
{
    uint8_t any = 0;
    for (size_t i = 0; i < n; i++)
        any |= bytes[i];
    return any == 0;
}

bool trace_parent_parse(core_str_t v, trace_parent_t *out)
{
    trace_parent_t p;
    uint8_t version;

    if (v.base == NULL || v.len < TRACE_PARENT_LEN || !read_hex(v.base, &version, 1) || version == 0xff)
        return false;
    if (version == 0 ? v.len != TRACE_PARENT_LEN : (v.len > TRACE_PARENT_LEN && v.base[TRACE_PARENT_LEN] != '-'))
        return false;
    if (v.base[2] != '-' || v.base[35] != '-' || v.base[52] != '-')
        return false;
    if (!read_hex(v.base + 3, p.trace_id, TRACE_ID_BYTES) || !read_hex(v.base + 36, p.span_id, TRACE_SPAN_ID_BYTES) ||
        !read_hex(v.base + 53, &p.flags, 1))
        return false;
    if (trace_id_is_zero(p.trace_id, TRACE_ID_BYTES) || trace_id_is_zero(p.span_id, TRACE_SPAN_ID_BYTES))
        return false;
    *out = p;
    return true;
}

void trace_hex(const uint8_t *bytes, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[bytes[i] >> 4];
        out[2 * i + 1] = digits[bytes[i] & 15];
    }
    out[2 * n] = '\0';
}

void trace_parent_format(const uint8_t trace_id[TRACE_ID_BYTES], const uint8_t span_id[TRACE_SPAN_ID_BYTES],
                         uint8_t flags, char out[TRACE_PARENT_LEN + 1])
{
    out[0] = '0';
    out[1] = '0';
    out[2] = '-';
    trace_hex(trace_id, TRACE_ID_BYTES, out + 3);
    out[35] = '-';
    trace_hex(span_id, TRACE_SPAN_ID_BYTES, out + 36);
    out[52] = '-';
    trace_hex(&flags, 1, out + 53);
}

static bool is_lcalpha(char c)
{
    return c >= 'a' && c <= 'z';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_key_char(char c)
{
    return is_lcalpha(c) || is_digit(c) || c == '_' || c == '-' || c == '*' || c == '/';
}

/* key = simple-key / multi-tenant-key
 * simple-key = lcalpha 0*255(key-char)
 * multi-tenant-key = tenant-id "@" system-id
 * tenant-id = (lcalpha / DIGIT) 0*240(key-char); system-id = lcalpha 0*13(key-char) */
static bool key_valid(core_str_t k)
{
    const char *at = k.len > 0 ? memchr(k.base, '@', k.len) : NULL;

    if (at == NULL) {
        if (k.len < 1 || k.len > 256 || !is_lcalpha(k.base[0]))
            return false;
        for (size_t i = 1; i < k.len; i++)
            if (!is_key_char(k.base[i]))
                return false;
        return true;
    }
    size_t tenant = (size_t)(at - k.base), system = k.len - tenant - 1;
    if (tenant < 1 || tenant > 241 || system < 1 || system > 14)
        return false;
    if (!is_lcalpha(k.base[0]) && !is_digit(k.base[0]))
        return false;
    if (!is_lcalpha(at[1]))
        return false;
    for (size_t i = 1; i < k.len; i++)
        if (k.base + i != at && !is_key_char(k.base[i]))
            return false;
    return true;
}

/* value = 0*255(chr) nblk-chr; chr = %x20 / nblk-chr;
 * nblk-chr = %x21-2B / %x2D-3C / %x3E-7E */
static bool value_valid(core_str_t v)
{
    if (v.len < 1 || v.len > 256 || v.base[v.len - 1] == ' ')
        return false;
    for (size_t i = 0; i < v.len; i++) {
        unsigned char c = (unsigned char)v.base[i];
        if (c < 0x20 || c > 0x7e || c == ',' || c == '=')
            return false;
    }
    return true;
}

static core_str_t trim_ows(core_str_t s)
{
    while (s.len > 0 && (s.base[0] == ' ' || s.base[0] == '\t')) {
        s.base++;
        s.len--;
    }
    while (s.len > 0 && (s.base[s.len - 1] == ' ' || s.base[s.len - 1] == '\t'))
        s.len--;
    return s;
}

bool trace_state_valid(core_str_t v)
{
    core_str_t keys[TRACE_STATE_MEMBERS];
    size_t n = 0, pos = 0;

    if (v.base == NULL || v.len > TRACE_STATE_MAX)
        return false;
    while (pos <= v.len) {
        const char *comma = memchr(v.base + pos, ',', v.len - pos);
        size_t end = comma != NULL ? (size_t)(comma - v.base) : v.len;
        core_str_t member = trim_ows(core_str(v.base + pos, end - pos));
        pos = end + 1;
        if (member.len == 0)
            continue; /* empty list members are allowed */
        const char *eq = memchr(member.base, '=', member.len);
        if (eq == NULL || n == TRACE_STATE_MEMBERS)
            return false;
        core_str_t key = core_str(member.base, (size_t)(eq - member.base));
        core_str_t val = core_str(eq + 1, member.len - key.len - 1);
        if (!key_valid(key) || !value_valid(val))
            return false;
        for (size_t i = 0; i < n; i++)
            if (core_str_eq(keys[i], key))
                return false;
        keys[n++] = key;
    }
    return true;
}
