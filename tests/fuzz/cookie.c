/*
 * libFuzzer target: http_cookie_find (src/http/cookie.c), the Cookie request
 * header searched for the session cookie "token". The input is the header
 * value. Properties: a value found is a slice of the header, with no ';' in
 * it and no space, tab, CR or LF at either end, and the header holds
 * "token", optional blanks, '=' before it; and a header made of the input,
 * "; token=" and a plain value (no ';', blanks, quotes or "token" in the
 * prefix) gives that value back.
 */
#include <string.h>

#include "http/cookie.h"
#include "fuzz.h"

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void check_found(core_str_t header, core_str_t v)
{
    const char *h = header.base, *end = header.base + header.len;

    FUZZ_CHECK(v.len == 0 || (v.base >= h && v.base + v.len <= end), "value outside the header");
    if (v.len == 0)
        return;
    FUZZ_CHECK(memchr(v.base, ';', v.len) == NULL, "value \"%.*s\" spans a ';'", (int)v.len, v.base);
    /* blanks are trimmed, except inside the quotes the parser takes off */
    bool quoted = v.base > h && v.base[-1] == '"' && v.base + v.len < end && v.base[v.len] == '"';
    FUZZ_CHECK(quoted || (!is_blank(v.base[0]) && !is_blank(v.base[v.len - 1])), "value \"%.*s\" not trimmed",
               (int)v.len, v.base);
    /* walk back over an opening quote and blanks to '=', then "token" */
    const char *q = v.base;
    if (quoted)
        q--;
    while (q > h && is_blank(q[-1]))
        q--;
    FUZZ_CHECK(q > h && q[-1] == '=', "no '=' before the value");
    q--;
    while (q > h && is_blank(q[-1]))
        q--;
    FUZZ_CHECK(q - h >= 5 && memcmp(q - 5, "token", 5) == 0, "the value's name is not \"token\"");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    core_str_t header = core_str((const char *)data, size), v;
    core_str_t name = CORE_STR_LIT(HTTP_COOKIE_NAME);

    if (http_cookie_find(header, name, &v))
        check_found(header, v);

    /* prefix '\n' value: the value must come back */
    core_str_t parts[2];
    fuzz_split(data, size, '\n', parts, 2);
    bool plain = parts[1].len > 0 && memmem(parts[0].base, parts[0].len, "token", 5) == NULL;
    for (size_t i = 0; plain && i < parts[1].len; i++)
        plain = parts[1].base[i] != ';' && parts[1].base[i] != '"' && !is_blank(parts[1].base[i]);
    if (plain) {
        size_t len = parts[0].len + 8 + parts[1].len;
        char *built = malloc(len);
        memcpy(built, parts[0].base, parts[0].len);
        memcpy(built + parts[0].len, "; token=", 8);
        memcpy(built + parts[0].len + 8, parts[1].base, parts[1].len);
        bool found = http_cookie_find(core_str(built, len), name, &v);
        FUZZ_CHECK(found && core_str_eq(v, parts[1]), "\"%.*s\" lost its token \"%.*s\"", (int)len, built,
                   (int)parts[1].len, parts[1].base);
        free(built);
    }
    return 0;
}
