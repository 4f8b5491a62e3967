/*
 * This file implements /api/user/: the signed-in user's own profile, in the
 * original app's shape ({userData:{name,email,isAccountVerified}}),
 * cached per user for CACHE_USER_TTL_MS (api/cache.h; the store's write
 * hook, api/effects.c, invalidates it after every write of the account).
 */
#include "api/api.h"
#include "api/cache.h"
#include "core/error.h"

int api_user_data(api_req_t *req)
{
    api_cache_slot_t slot;
    store_user_t user;
    int rc;

    if (api_cache_get(req, API_CACHE_USER, &slot))
        return CORE_OK;
    if ((rc = store_user_find_by_id(req->store, req->pool, req->claims.user_id, &user)) != CORE_OK)
        return rc == CORE_E_NOT_FOUND ? CORE_E_USER_NOT_FOUND : rc;
    api_reply(req, json_pack("{s:b, s:{s:s, s:s, s:b}}", "success", 1, "userData", "name", user.name, "email",
                             user.email, "isAccountVerified", user.is_account_verified));
    api_cache_put(req, &slot);
    return CORE_OK;
}
