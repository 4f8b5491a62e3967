/*
 * libFuzzer target: the plain form inside a sealed cursor (src/api/cursor.c,
 * included here to reach its static seal() and unseal()). A cursor the
 * server did not seal never gets past the MAC, so random text tests only
 * base64 and libsodium (cursor_raw.c does that); this target seals the
 * input as the plain form, as a cursor made under JWT_SECRET with other
 * contents would be, and hands it to api_cursor_decode. Properties: the
 * decoder accepts exactly the layout cursor.c describes, read here
 * independently (version 1, sort 0-4, direction 0 or 1, a 36-character
 * UUID, then 8 key bytes, or for the title sort a title of valid UTF-8
 * without NUL), with the values read from those bytes; and encoding what it
 * accepted gives back the same plain bytes, so there is one form of each
 * position. cursor_roundtrip.c checks the other direction.
 */
#include <jansson.h>
#include <sodium.h>
#include <string.h>

#include "api/cursor.c"
#include "fuzz.h"

#define ID_AT 3
#define KEY_AT (ID_AT + 36)

static bool hex(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); /* the server writes lowercase ids */
}

static bool uuid_text(const uint8_t *p)
{
    for (size_t i = 0; i < 36; i++)
        if ((i == 8 || i == 13 || i == 18 || i == 23) ? p[i] != '-' : !hex(p[i]))
            return false;
    return true;
}

/* Valid UTF-8 without NUL, as jansson reads it (an independent decoder). */
static bool title_text(const uint8_t *p, size_t len)
{
    json_t *j;

    if (len > 0 && memchr(p, '\0', len) != NULL)
        return false;
    if ((j = json_stringn((const char *)p, len)) == NULL)
        return false;
    json_decref(j);
    return true;
}

/* What the layout says of data: 1 for a position, 0 for none. */
static bool layout_ok(const uint8_t *d, size_t n)
{
    if (n < KEY_AT || d[0] != 1 || d[1] > 4 || d[2] > 1 || !uuid_text(d + ID_AT))
        return false;
    return d[1] == 4 ? title_text(d + KEY_AT, n - KEY_AT) : n == KEY_AT + 8;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    core_pool_t pool;
    store_task_cursor_t c;
    unsigned char again[PLAIN_MAX];

    if (!init) {
        if (sodium_init() < 0)
            abort();
        api_cursor_init(FUZZ_JWT_SECRET, strlen(FUZZ_JWT_SECRET));
        init = true;
    }
    if (size > PLAIN_MAX) /* more than any cursor holds: it could not be sealed into API_CURSOR_MAX */
        return 0;
    core_pool_init(&pool);
    char *text = seal(&pool, data, size);
    int rc = api_cursor_decode(&pool, core_str_c(text), &c);
    bool want = layout_ok(data, size);
    FUZZ_CHECK((rc == CORE_OK) == want, "plain form of %zu bytes: decoder says %d, the layout says %s", size,
               rc, want ? "a position" : "none");
    if (rc == CORE_OK) {
        int64_t num = 0;
        for (size_t i = 0; c.sort != STORE_SORT_TITLE && i < 8; i++)
            num = (int64_t)((uint64_t)num << 8 | data[KEY_AT + i]);
        FUZZ_CHECK(c.sort == data[1] && c.desc == (data[2] == 1), "sort %d desc %d from bytes %u %u", c.sort,
                   c.desc, data[1], data[2]);
        FUZZ_CHECK(memcmp(c.id, data + ID_AT, 36) == 0 && c.id[36] == '\0', "id \"%s\"", c.id);
        if (c.sort == STORE_SORT_TITLE)
            FUZZ_CHECK(c.text != NULL && strlen(c.text) == size - KEY_AT &&
                           memcmp(c.text, data + KEY_AT, size - KEY_AT) == 0,
                       "title key \"%s\" is not the %zu bytes after the id", c.text ? c.text : "(null)",
                       size - KEY_AT);
        else
            FUZZ_CHECK(c.text == NULL && c.num == num, "key %lld, bytes say %lld", (long long)c.num,
                       (long long)num);

        char *re = api_cursor_encode(&pool, &c);
        long len = unseal(core_str_c(re), again);
        FUZZ_CHECK(len == (long)size && memcmp(again, data, size) == 0,
                   "re-encoding the position gives another plain form (%ld bytes, not %zu)", len, size);
    }
    core_pool_cleanup(&pool);
    return 0;
}
