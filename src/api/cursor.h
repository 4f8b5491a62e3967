/*
 * The opaque keyset cursor of GET /api/tasks (pagination.nextCursor): a
 * store_task_cursor_t as base64url of a small JSON object. Opaque to
 * clients, but not secret: it only names a position among the caller's own
 * tasks, so a forged one can do no more than a different page request.
 * Any thread.
 */
#ifndef API_CURSOR_H
#define API_CURSOR_H

#include "core/pool.h"
#include "core/str.h"
#include "store/task.h"

#define API_CURSOR_MAX 1024 /* bytes of encoded cursor accepted */

/* Encode c into a NUL-terminated string from pool. */
char *api_cursor_encode(core_pool_t *pool, const store_task_cursor_t *c);

/* Decode text into *out (strings from pool). CORE_OK, or CORE_E_VALIDATION
 * for anything that api_cursor_encode could not have produced. */
int api_cursor_decode(core_pool_t *pool, core_str_t text, store_task_cursor_t *out);

#endif
