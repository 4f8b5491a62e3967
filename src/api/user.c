/*
 * This file implements /api/user/: the signed-in user's own profile, in the
 * original app's shape ({userData:{name,email,isAccountVerified}}).
 */
#include "api/api.h"
#include "core/error.h"

int api_user_data(api_req_t *req)
{
    store_user_t user;
    int rc = store_user_find_by_id(req->store, req->pool, req->claims.user_id, &user);

    if (rc != CORE_OK)
        return rc == CORE_E_NOT_FOUND ? CORE_E_USER_NOT_FOUND : rc;
    api_reply(req, json_pack("{s:b, s:{s:s, s:s, s:b}}", "success", 1, "userData", "name", user.name, "email",
                             user.email, "isAccountVerified", user.is_account_verified));
    return CORE_OK;
}
