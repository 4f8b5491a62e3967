/*
 * libFuzzer target: store_task_tags_decode (src/store/task_sql.c), which
 * reads a task's tags column on every task a page lists. It has its own
 * reader for the plain form the server writes and falls back to jansson for
 * anything else. Property: for any text, the tags it returns are exactly the
 * string members, in order, of the array jansson reads from that text (none
 * when jansson reads no array), so the fast reader never accepts, drops or
 * changes a tag that the general one would not.
 */
#include <jansson.h>
#include <string.h>

#include "core/pool.h"
#include "fuzz.h"
#include "store/task_sql.h"

#define MAX_INPUT 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[MAX_INPUT + 1];
    core_pool_t pool;
    store_task_t t = {0};
    json_t *want;
    size_t k = 0;

    if (size > MAX_INPUT || memchr(data, '\0', size) != NULL)
        return 0; /* the column is NUL-terminated text */
    memcpy(text, data, size);
    text[size] = '\0';
    core_pool_init(&pool);
    store_task_tags_decode(&pool, text, &t);
    want = json_loads(text, 0, NULL);
    for (size_t i = 0; i < json_array_size(want); i++) {
        json_t *v = json_array_get(want, i);
        if (!json_is_string(v))
            continue;
        FUZZ_CHECK(k < t.tags_len, "\"%s\": tag %zu missing", text, k);
        FUZZ_CHECK(strlen(t.tags[k]) == json_string_length(v) &&
                       memcmp(t.tags[k], json_string_value(v), json_string_length(v)) == 0,
                   "\"%s\": tag %zu is \"%s\", jansson reads \"%s\"", text, k, t.tags[k], json_string_value(v));
        k++;
    }
    FUZZ_CHECK(k == t.tags_len, "\"%s\": %zu tags, jansson reads %zu", text, t.tags_len, k);
    json_decref(want);
    core_pool_cleanup(&pool);
    return 0;
}
