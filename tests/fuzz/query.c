/*
 * libFuzzer target: api_query_next (src/api/query.c), the query string of
 * GET /api/tasks as it arrives after '?'. Beyond not crashing, every
 * parameter it returns must equal what an independent decoder written here
 * makes of the same segment ('&' splits, the first '=' separates, '+' is a
 * space, %XX a byte), must be valid UTF-8 by jansson's check and contain no
 * NUL (its strlen is the decoded length); a refusal must be one the
 * reference also finds; and every call must consume input, so the loop ends.
 */
#include <jansson.h>
#include <string.h>

#include "api/query.h"
#include "core/error.h"
#include "fuzz.h"

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = (char)(c | 0x20);
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Decode s into out (room for s.len bytes); false for a bad escape. */
static bool ref_decode(core_str_t s, char *out, size_t *len)
{
    size_t n = 0;

    for (size_t i = 0; i < s.len; i++) {
        if (s.base[i] == '+') {
            out[n++] = ' ';
        } else if (s.base[i] != '%') {
            out[n++] = s.base[i];
        } else if (i + 2 < s.len && hexval(s.base[i + 1]) >= 0 && hexval(s.base[i + 2]) >= 0) {
            out[n++] = (char)(hexval(s.base[i + 1]) * 16 + hexval(s.base[i + 2]));
            i += 2;
        } else {
            return false;
        }
    }
    *len = n;
    return true;
}

static bool ref_ok(const char *s, size_t len)
{
    json_t *j;

    if (len > 0 && memchr(s, '\0', len) != NULL)
        return false;
    if ((j = json_stringn(s, len)) == NULL)
        return false;
    json_decref(j);
    return true;
}

/* What the reference makes of one segment: true and both halves when valid. */
static bool ref_segment(core_str_t seg, char *name, size_t *nlen, char *value, size_t *vlen)
{
    const char *eq = memchr(seg.base, '=', seg.len);
    core_str_t n = eq != NULL ? core_str(seg.base, (size_t)(eq - seg.base)) : seg;
    core_str_t v = eq != NULL ? core_str(eq + 1, seg.len - n.len - 1) : core_str("", 0);

    *vlen = 0;
    return ref_decode(n, name, nlen) && ref_ok(name, *nlen) && ref_decode(v, value, vlen) && ref_ok(value, *vlen);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    core_pool_t pool;
    core_str_t rest = core_str((const char *)data, size), seg;
    const char *p = (const char *)data, *end = p + size;
    char *name, *value, *ref_name = malloc(size + 1), *ref_value = malloc(size + 1);
    size_t nlen, vlen;
    int rc;

    core_pool_init(&pool);
    for (;;) {
        /* the reference's next non-empty segment */
        seg = core_str(end, 0);
        while (p < end) {
            const char *amp = memchr(p, '&', (size_t)(end - p));
            const char *stop = amp != NULL ? amp : end;
            seg = core_str(p, (size_t)(stop - p));
            p = amp != NULL ? amp + 1 : end;
            if (seg.len > 0)
                break;
        }
        size_t before = rest.len;
        rc = api_query_next(&pool, &rest, &name, &value);
        FUZZ_CHECK(rc == 1 || rc == 0 || rc == CORE_E_VALIDATION, "api_query_next returned %d", rc);
        if (rc == 0) {
            FUZZ_CHECK(seg.len == 0, "the parser saw no more parameters, the reference has \"%.*s\"", (int)seg.len,
                       seg.base);
            break;
        }
        FUZZ_CHECK(seg.len > 0, "the parser found a parameter in what the reference sees as empty");
        FUZZ_CHECK(rest.len < before, "no progress");
        bool ok = ref_segment(seg, ref_name, &nlen, ref_value, &vlen);
        if (rc == CORE_E_VALIDATION) {
            FUZZ_CHECK(!ok, "refused \"%.*s\", which decodes to valid UTF-8", (int)seg.len, seg.base);
            break;
        }
        FUZZ_CHECK(ok, "accepted \"%.*s\", which the reference refuses", (int)seg.len, seg.base);
        FUZZ_CHECK(strlen(name) == nlen && memcmp(name, ref_name, nlen) == 0, "name of \"%.*s\" decoded as \"%s\"",
                   (int)seg.len, seg.base, name);
        FUZZ_CHECK(strlen(value) == vlen && memcmp(value, ref_value, vlen) == 0,
                   "value of \"%.*s\" decoded as \"%s\"", (int)seg.len, seg.base, value);
    }
    free(ref_name);
    free(ref_value);
    core_pool_cleanup(&pool);
    return 0;
}
