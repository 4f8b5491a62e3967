/*
 * libFuzzer target: api_cursor_decode (src/api/cursor.c), the cursor query
 * parameter of GET /api/tasks (a client may send anything). Properties of a
 * cursor it accepts: a sort the store knows, an id that is a canonical UUID,
 * a title key only for the title sort; and encoding what was decoded, then
 * decoding that, gives the same position (sort, direction, key, id).
 * cursor_roundtrip.c checks the other direction: what the server encodes.
 */
#include <string.h>

#include "api/cursor.h"
#include "core/error.h"
#include "core/uuid.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    core_pool_t pool;
    store_task_cursor_t c, again;

    core_pool_init(&pool);
    if (api_cursor_decode(&pool, core_str((const char *)data, size), &c) == CORE_OK) {
        FUZZ_CHECK(c.sort >= STORE_SORT_CREATED_AT && c.sort <= STORE_SORT_TITLE, "sort %d", c.sort);
        FUZZ_CHECK(core_uuid_valid(core_str_c(c.id)), "id \"%s\"", c.id);
        FUZZ_CHECK((c.sort == STORE_SORT_TITLE) == (c.text != NULL), "sort %d with text %p", c.sort,
                   (const void *)c.text);
        char *text = api_cursor_encode(&pool, &c);
        FUZZ_CHECK(api_cursor_decode(&pool, core_str_c(text), &again) == CORE_OK,
                   "the re-encoded cursor \"%s\" (%zu bytes) is refused", text, strlen(text));
        FUZZ_CHECK(again.sort == c.sort && again.desc == c.desc && strcmp(again.id, c.id) == 0,
                   "\"%s\" changed sort, direction or id", text);
        if (c.sort == STORE_SORT_TITLE)
            FUZZ_CHECK(strcmp(again.text, c.text) == 0, "title key \"%s\" came back as \"%s\"", c.text, again.text);
        else
            FUZZ_CHECK(again.num == c.num, "key %lld came back as %lld", (long long)c.num, (long long)again.num);
    }
    core_pool_cleanup(&pool);
    return 0;
}
