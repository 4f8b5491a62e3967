/*
 * This file implements the cursor encoding of cursor.h: JSON
 * {"s":sort,"d":desc,"k":key,"i":id} in unpadded base64url (libsodium).
 * Decoding checks every member's type and range, so a cursor cannot carry
 * anything the store would not accept from a real page.
 */
#include "api/cursor.h"

#include <jansson.h>
#include <sodium.h>
#include <string.h>

#include "core/error.h"
#include "core/uuid.h"

char *api_cursor_encode(core_pool_t *pool, const store_task_cursor_t *c)
{
    json_t *key = c->sort == STORE_SORT_TITLE ? json_string(c->text) : json_integer(c->num);
    json_t *obj = json_pack("{s:i, s:b, s:o, s:s}", "s", c->sort, "d", c->desc, "k", key, "i", c->id);
    char *json = json_dumps(obj, JSON_COMPACT);
    size_t len = strlen(json);
    size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = core_pool_alloc(pool, cap);

    sodium_bin2base64(out, cap, (const unsigned char *)json, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    free(json);
    json_decref(obj);
    return out;
}

int api_cursor_decode(core_pool_t *pool, core_str_t text, store_task_cursor_t *out)
{
    unsigned char bin[API_CURSOR_MAX];
    size_t len;
    json_t *obj = NULL, *key;
    json_int_t sort;
    int desc, rc = CORE_E_VALIDATION;
    const char *id;

    if (text.len == 0 || text.len > API_CURSOR_MAX ||
        sodium_base642bin(bin, sizeof(bin), text.base, text.len, NULL, &len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
        goto out;
    if ((obj = json_loadb((const char *)bin, len, JSON_REJECT_DUPLICATES, NULL)) == NULL ||
        json_unpack(obj, "{s:I, s:b, s:o, s:s !}", "s", &sort, "d", &desc, "k", &key, "i", &id) != 0)
        goto out;
    if (sort < STORE_SORT_CREATED_AT || sort > STORE_SORT_TITLE || !core_uuid_valid(core_str_c(id)))
        goto out;
    memset(out, 0, sizeof(*out));
    out->sort = (int)sort;
    out->desc = desc != 0;
    memcpy(out->id, id, CORE_UUID_LEN + 1);
    if (sort == STORE_SORT_TITLE) {
        if (!json_is_string(key) || json_string_length(key) > 4 * STORE_TASK_TITLE_MAX)
            goto out;
        out->text = core_pool_strndup(pool, json_string_value(key), json_string_length(key));
    } else {
        if (!json_is_integer(key))
            goto out;
        out->num = json_integer_value(key);
    }
    rc = CORE_OK;
out:
    json_decref(obj);
    return rc;
}
