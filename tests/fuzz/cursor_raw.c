/*
 * libFuzzer target: api_cursor_decode (src/api/cursor.c) on raw text, the
 * cursor query parameter of GET /api/tasks as a client may send it: length
 * limit, libsodium's base64url decoder, then the MAC. cursor.c is included
 * to reach the sealing key (api_cursor_init runs with FUZZ_JWT_SECRET).
 * The fuzzer cannot forge the MAC, so the properties are that nothing is
 * accepted unless its text is the one unpadded base64url spelling of a box
 * that crypto_secretbox opens under that key (checked here without the
 * decoder), and that an accepted cursor is in range and re-encodes to the
 * same position. The corpus holds cursors sealed under FUZZ_JWT_SECRET, so
 * mutations start next to accepted ones; the inner parser behind the MAC is
 * cursor.c's.
 */
#include <sodium.h>
#include <string.h>

#include "api/cursor.c"
#include "core/uuid.h"
#include "fuzz.h"

/* text is base64url without padding of a box sealed under seal_key, and
 * the only spelling of that box. */
static bool opens(core_str_t text)
{
    unsigned char box[API_CURSOR_SEALED_MAX], plain[API_CURSOR_SEALED_MAX];
    char again[API_CURSOR_MAX + 1];
    size_t len;

    if (text.len > API_CURSOR_MAX ||
        sodium_base642bin(box, sizeof(box), text.base, text.len, NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
        return false;
    sodium_bin2base64(again, sizeof(again), box, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return strlen(again) == text.len && memcmp(again, text.base, text.len) == 0 &&
           crypto_secretbox_open_easy(plain, box + crypto_secretbox_NONCEBYTES,
                                      len - crypto_secretbox_NONCEBYTES, box, seal_key) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    core_pool_t pool;
    store_task_cursor_t c, again;

    if (!init) {
        if (sodium_init() < 0)
            abort();
        api_cursor_init(FUZZ_JWT_SECRET, strlen(FUZZ_JWT_SECRET));
        init = true;
    }
    core_str_t text = fuzz_copy(core_str((const char *)data, size));
    core_pool_init(&pool);
    if (api_cursor_decode(&pool, text, &c) == CORE_OK) {
        FUZZ_CHECK(opens(text), "accepted \"%.*s\", which is not a box sealed under the key", (int)size,
                   text.base);
        FUZZ_CHECK(c.sort >= STORE_SORT_CREATED_AT && c.sort <= STORE_SORT_TITLE, "sort %d", c.sort);
        FUZZ_CHECK(core_uuid_valid(core_str_c(c.id)), "id \"%s\"", c.id);
        FUZZ_CHECK((c.sort == STORE_SORT_TITLE) == (c.text != NULL), "sort %d with text %p", c.sort,
                   (const void *)c.text);
        char *re = api_cursor_encode(&pool, &c);
        FUZZ_CHECK(api_cursor_decode(&pool, core_str_c(re), &again) == CORE_OK,
                   "the re-encoded cursor \"%s\" (%zu bytes) is refused", re, strlen(re));
        FUZZ_CHECK(again.sort == c.sort && again.desc == c.desc && strcmp(again.id, c.id) == 0,
                   "\"%s\" changed sort, direction or id", re);
        if (c.sort == STORE_SORT_TITLE)
            FUZZ_CHECK(strcmp(again.text, c.text) == 0, "title key \"%s\" came back as \"%s\"", c.text,
                       again.text);
        else
            FUZZ_CHECK(again.num == c.num, "key %lld came back as %lld", (long long)c.num,
                       (long long)again.num);
    }
    core_pool_cleanup(&pool);
    fuzz_free(text);
    return 0;
}
