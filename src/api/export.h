/*
 * A user's own data as one JSON document: the profile and every task, as
 * GET /api/user/export answers it and `lsf-server user export EMAIL` prints
 * it. Shared by the handler (api/account.c) and the command (ops/user.c).
 */
#ifndef API_EXPORT_H
#define API_EXPORT_H

#include <stdint.h>

#include "api/json_out.h"
#include "store/store.h"

/* Write {"success":true,"exportedAt":...,"user":{...},"tasks":[...]} for
 * user_id into out (tasks oldest first, read a page at a time). CORE_OK,
 * CORE_E_NOT_FOUND when there is no such user, or the store's error. The
 * caller's thread; allocations from pool. */
int api_user_export_write(store_t *store, core_pool_t *pool, const char *user_id, int64_t now_ms,
                          api_json_out_t *out);

#endif
