/*
 * libFuzzer target: api_cursor_encode then api_cursor_decode
 * (src/api/cursor.c): every nextCursor the server hands out must be accepted
 * back as the same position. The input chooses the sort (byte 0), the
 * direction (byte 1), the numeric key (bytes 2-9), the task id (bytes 10-25,
 * as a UUID) and, for the title sort, the title (the rest), kept only when
 * it is a title POST /api/tasks accepts: trimmed, 1 to STORE_TASK_TITLE_MAX
 * characters of valid UTF-8, no control characters but tab, CR and LF.
 * Cursors are sealed under FUZZ_JWT_SECRET. regression/ holds the longest
 * title, 200 characters of 4 bytes, which once made a cursor too long to
 * be accepted back.
 */
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "api/cursor.h"
#include "core/error.h"
#include "fuzz.h"

#define HEAD 26

static bool storable_title(core_str_t t)
{
    json_t *j;
    size_t chars = 0;

    if (t.len == 0 || !core_str_eq(core_str_trim(t), t) || (j = json_stringn(t.base, t.len)) == NULL)
        return false;
    json_decref(j);
    for (size_t i = 0; i < t.len; i++) {
        unsigned char c = (unsigned char)t.base[i];
        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
            return false;
        chars += (c & 0xc0) != 0x80;
    }
    return chars <= STORE_TASK_TITLE_MAX;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    core_pool_t pool;
    store_task_cursor_t c, back;
    uint64_t num = 0;
    static bool init;

    if (!init) {
        if (sodium_init() < 0)
            abort();
        api_cursor_init(FUZZ_JWT_SECRET, strlen(FUZZ_JWT_SECRET));
        init = true;
    }
    if (size < HEAD)
        return 0;
    memset(&c, 0, sizeof(c));
    c.sort = data[0] % (STORE_SORT_TITLE + 1);
    c.desc = data[1] & 1;
    for (int i = 0; i < 8; i++)
        num = num << 8 | data[2 + i];
    c.num = (int64_t)num;
    const uint8_t *u = data + 10;
    snprintf(c.id, sizeof(c.id), "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", u[0], u[1],
             u[2], u[3], u[4], u[5], u[6], u[7], u[8], u[9], u[10], u[11], u[12], u[13], u[14], u[15]);
    core_str_t title = core_str((const char *)data + HEAD, size - HEAD);
    if (c.sort == STORE_SORT_TITLE) {
        if (!storable_title(title))
            return 0;
        c.num = 0;
    }
    core_pool_init(&pool);
    if (c.sort == STORE_SORT_TITLE)
        c.text = core_pool_cstr(&pool, title);
    char *text = api_cursor_encode(&pool, &c);
    FUZZ_CHECK(api_cursor_decode(&pool, core_str_c(text), &back) == CORE_OK,
               "the server's own cursor (%zu bytes, sort %d) is refused: %s", strlen(text), c.sort, text);
    FUZZ_CHECK(back.sort == c.sort && back.desc == c.desc && strcmp(back.id, c.id) == 0 &&
                   (c.sort == STORE_SORT_TITLE ? strcmp(back.text, c.text) == 0 : back.num == c.num),
               "cursor %s decodes to another position", text);
    core_pool_cleanup(&pool);
    return 0;
}
