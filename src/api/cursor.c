/*
 * This file implements the cursor of cursor.h. The plain form is binary:
 * version (1), sort, direction, the 36-character id, then the key, a
 * big-endian int64 for the numeric sorts or the title's bytes for
 * STORE_SORT_TITLE. It is sealed with crypto_secretbox (XSalsa20-Poly1305, a
 * random nonce from core_random_buf() in front) under a key derived from JWT_SECRET, and written in
 * unpadded base64url (libsodium).
 *
 * Why sealed rather than an id the next query looks up: the position stays
 * exactly where the page ended even if that task is renamed or deleted
 * before the next request (a lookup would move or lose it), the store's
 * keyset queries stay as they are, and a forged cursor is refused outright.
 * The cost is size, 1,172 bytes at most against about 60, well within the
 * 4,096-byte query string.
 */
#include "api/cursor.h"

#include <assert.h>
#include <sodium.h>
#include <stdbool.h>
#include <string.h>

#include "core/error.h"
#include "core/random.h"
#include "core/uuid.h"

#define VERSION 1
#define HEAD 3 /* version, sort, desc */
#define PLAIN_MAX (API_CURSOR_SEALED_MAX - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES)
#define KEY_LABEL "lsf-tasks list cursor v1"

static unsigned char seal_key[crypto_secretbox_KEYBYTES];
static bool seal_key_set; /* an all-zero key would make cursors forgeable */

void api_cursor_init(const char *secret, size_t secret_len)
{
    crypto_generichash_state st;

    crypto_generichash_init(&st, NULL, 0, sizeof(seal_key));
    crypto_generichash_update(&st, (const unsigned char *)KEY_LABEL, sizeof(KEY_LABEL));
    crypto_generichash_update(&st, (const unsigned char *)secret, secret_len);
    crypto_generichash_final(&st, seal_key, sizeof(seal_key));
    sodium_memzero(&st, sizeof(st));
    seal_key_set = true;
}

/* plain[0..len) sealed and in base64url, from pool. */
static char *seal(core_pool_t *pool, const unsigned char *plain, size_t len)
{
    unsigned char box[API_CURSOR_SEALED_MAX];
    size_t box_len = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
    size_t cap = sodium_base64_ENCODED_LEN(box_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = core_pool_alloc(pool, cap);

    assert(seal_key_set); /* api_cursor_init() runs at start-up */
    core_random_buf(box, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(box + crypto_secretbox_NONCEBYTES, plain, len, box, seal_key);
    sodium_bin2base64(out, cap, box, box_len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

/* Only the characters of base64url. libsodium 1.0.18 (Debian 12) reads
 * every byte from 0x80 up as '_' (a sign-extended char in its decoder, fixed
 * upstream since), so any two-byte UTF-8 character in a query string, ß as
 * %C3%9F, spelled a cursor's "__". */
static bool base64url_only(core_str_t text)
{
    for (size_t i = 0; i < text.len; i++) {
        char c = text.base[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '_'))
            return false;
    }
    return true;
}

/* text opened into plain (PLAIN_MAX bytes); its length, or -1 when text is
 * not base64url of a box sealed under our key. */
static long unseal(core_str_t text, unsigned char *plain)
{
    unsigned char box[API_CURSOR_SEALED_MAX];
    size_t box_len;

    assert(seal_key_set);
    if (text.len == 0 || text.len > API_CURSOR_MAX || !base64url_only(text) ||
        sodium_base642bin(box, sizeof(box), text.base, text.len, NULL, &box_len, NULL,
                          sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        box_len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES ||
        crypto_secretbox_open_easy(plain, box + crypto_secretbox_NONCEBYTES,
                                   box_len - crypto_secretbox_NONCEBYTES, box, seal_key) != 0)
        return -1;
    return (long)(box_len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES);
}

char *api_cursor_encode(core_pool_t *pool, const store_task_cursor_t *c)
{
    unsigned char plain[PLAIN_MAX];
    size_t len = HEAD + CORE_UUID_LEN;

    plain[0] = VERSION;
    plain[1] = (unsigned char)c->sort;
    plain[2] = c->desc ? 1 : 0;
    memcpy(plain + HEAD, c->id, CORE_UUID_LEN);
    if (c->sort == STORE_SORT_TITLE) {
        size_t n = strlen(c->text);
        if (n > PLAIN_MAX - len) /* cannot happen: titles are validated to fit */
            n = PLAIN_MAX - len;
        memcpy(plain + len, c->text, n);
        len += n;
    } else {
        uint64_t v = (uint64_t)c->num;
        for (int i = 7; i >= 0; i--, v >>= 8)
            plain[len + (size_t)i] = (unsigned char)v;
        len += 8;
    }
    return seal(pool, plain, len);
}

int api_cursor_decode(core_pool_t *pool, core_str_t text, store_task_cursor_t *out)
{
    unsigned char plain[PLAIN_MAX];
    long got = unseal(text, plain);
    size_t len, key;

    if (got < HEAD + CORE_UUID_LEN)
        return CORE_E_VALIDATION;
    len = (size_t)got;
    key = HEAD + CORE_UUID_LEN;
    if (plain[0] != VERSION || plain[1] > STORE_SORT_TITLE || plain[2] > 1 ||
        !core_uuid_valid(core_str((const char *)plain + HEAD, CORE_UUID_LEN)))
        return CORE_E_VALIDATION;
    memset(out, 0, sizeof(*out));
    out->sort = plain[1];
    out->desc = plain[2] == 1;
    memcpy(out->id, plain + HEAD, CORE_UUID_LEN);
    out->id[CORE_UUID_LEN] = '\0';
    if (out->sort == STORE_SORT_TITLE) {
        core_str_t title = core_str((const char *)plain + key, len - key);
        if (memchr(title.base, '\0', title.len) != NULL || !core_str_is_utf8(title))
            return CORE_E_VALIDATION;
        out->text = core_pool_strndup(pool, title.base, title.len);
    } else {
        uint64_t v = 0;
        if (len - key != 8)
            return CORE_E_VALIDATION;
        for (size_t i = 0; i < 8; i++)
            v = v << 8 | plain[key + i];
        out->num = (int64_t)v;
    }
    return CORE_OK;
}
