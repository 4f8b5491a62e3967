/*
 * libFuzzer target: trace_parent_parse and trace_state_valid
 * (src/trace/context.c), the W3C traceparent and tracestate request
 * headers. The input is traceparent '\n' tracestate. Properties: a
 * traceparent is accepted exactly when an independent reading (written here
 * from the spec's grammar) accepts it; an accepted one has non-zero ids and
 * formats back to its first 55 characters with version 00; an accepted
 * tracestate is at most 512 bytes of printable ASCII (and blanks), at most
 * 32 members, each with a key before '=', and no key twice.
 */
#include <string.h>

#include "trace/context.h"
#include "fuzz.h"

static bool lower_hex(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (strchr("0123456789abcdef", s[i]) == NULL || s[i] == '\0')
            return false;
    return true;
}

static bool all_char(const char *s, size_t n, char c)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != c)
            return false;
    return true;
}

/* version "-" trace-id "-" parent-id "-" flags [ "-" more, for versions after 00 ] */
static bool expect_parent(core_str_t v)
{
    if (v.len < 55 || !lower_hex(v.base, 2) || memcmp(v.base, "ff", 2) == 0)
        return false;
    bool v00 = memcmp(v.base, "00", 2) == 0;
    if ((v00 && v.len != 55) || (!v00 && v.len > 55 && v.base[55] != '-'))
        return false;
    return v.base[2] == '-' && lower_hex(v.base + 3, 32) && !all_char(v.base + 3, 32, '0') && v.base[35] == '-' &&
           lower_hex(v.base + 36, 16) && !all_char(v.base + 36, 16, '0') && v.base[52] == '-' &&
           lower_hex(v.base + 53, 2);
}

static void check_state(core_str_t s)
{
    core_str_t keys[40];
    size_t n = 0;

    FUZZ_CHECK(s.len <= TRACE_STATE_MAX, "accepted %zu bytes", s.len);
    for (size_t i = 0; i < s.len; i++)
        FUZZ_CHECK((s.base[i] >= 0x20 && s.base[i] <= 0x7e) || s.base[i] == '\t', "byte 0x%02x accepted",
                   (unsigned char)s.base[i]);
    for (size_t pos = 0; pos <= s.len;) {
        const char *comma = memchr(s.base + pos, ',', s.len - pos);
        size_t end = comma != NULL ? (size_t)(comma - s.base) : s.len;
        core_str_t m = core_str(s.base + pos, end - pos);
        pos = end + 1;
        while (m.len > 0 && (m.base[0] == ' ' || m.base[0] == '\t'))
            m = core_str(m.base + 1, m.len - 1);
        if (m.len == 0 || all_char(m.base, m.len, ' '))
            continue;
        const char *eq = memchr(m.base, '=', m.len);
        FUZZ_CHECK(eq != NULL && eq > m.base, "member \"%.*s\" has no key=", (int)m.len, m.base);
        FUZZ_CHECK(n < 32, "more than 32 members accepted");
        core_str_t key = core_str(m.base, (size_t)(eq - m.base));
        for (size_t k = 0; k < n; k++)
            FUZZ_CHECK(!core_str_eq(keys[k], key), "key \"%.*s\" twice", (int)key.len, key.base);
        keys[n++] = key;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    core_str_t parts[2];
    trace_parent_t p;
    char back[TRACE_PARENT_LEN + 1];

    fuzz_split(data, size, '\n', parts, 2);
    core_str_t parent = fuzz_copy(parts[0]), state = fuzz_copy(parts[1]);
    bool ok = trace_parent_parse(parent, &p);
    FUZZ_CHECK(ok == expect_parent(parent), "traceparent \"%.*s\": parser says %d", (int)parent.len, parent.base, ok);
    if (ok) {
        FUZZ_CHECK(!trace_id_is_zero(p.trace_id, TRACE_ID_BYTES) && !trace_id_is_zero(p.span_id, TRACE_SPAN_ID_BYTES),
                   "zero id accepted");
        trace_parent_format(p.trace_id, p.span_id, p.flags, back);
        FUZZ_CHECK(memcmp(back, "00", 2) == 0 && memcmp(back + 2, parent.base + 2, TRACE_PARENT_LEN - 2) == 0,
                   "formats back as %s", back);
    }
    if (trace_state_valid(state))
        check_state(state);
    fuzz_free(parent);
    fuzz_free(state);
    return 0;
}
