/*
 * The keyset cursor of GET /api/tasks (pagination.nextCursor): a
 * store_task_cursor_t (sort, direction, the last task's key and id) sealed
 * with a key derived from JWT_SECRET and written in unpadded base64url. A
 * client sees random bytes: a title key never shows in URLs or access logs,
 * and a cursor the server did not make (or made under another secret) is
 * refused. Every instance sharing JWT_SECRET reads the others' cursors.
 */
#ifndef API_CURSOR_H
#define API_CURSOR_H

#include "core/pool.h"
#include "core/str.h"
#include "store/task.h"

/* Bytes of the sealed form: nonce and MAC (40), version, sort and direction
 * (3), the id (36), and the key: 8 bytes, or a title of up to
 * STORE_TASK_TITLE_MAX characters of at most 4 bytes each. */
#define API_CURSOR_SEALED_MAX (40 + 3 + 36 + 4 * STORE_TASK_TITLE_MAX)
/* Longest cursor text (1,172 bytes): the base64url of the largest sealed
 * form, so every cursor api_cursor_encode makes is accepted back. */
#define API_CURSOR_MAX ((4 * API_CURSOR_SEALED_MAX + 2) / 3)

/* Derive the sealing key from the JWT secret. Call once at start-up, before
 * any thread encodes or decodes (main thread). */
void api_cursor_init(const char *secret, size_t secret_len);

/* Encode c (text key valid UTF-8, at most 4 * STORE_TASK_TITLE_MAX bytes)
 * into a NUL-terminated string from pool. Any thread. */
char *api_cursor_encode(core_pool_t *pool, const store_task_cursor_t *c);

/* Decode text into *out (the title key copied into pool). CORE_OK, or
 * CORE_E_VALIDATION for anything api_cursor_encode did not produce under
 * this key. Any thread. */
int api_cursor_decode(core_pool_t *pool, core_str_t text, store_task_cursor_t *out);

#endif
