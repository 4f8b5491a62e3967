/*
 * This file implements the reply helpers of api.h that every handler uses:
 * attaching a JSON reply (a jansson value or a text the handler wrote),
 * failing with a precise message, and starting a session (signing the token
 * the HTTP layer will put in the cookie).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "core/error.h"
#include "core/str.h"

#define MESSAGE_MAX 511 /* bytes of an api_fail message; longer ones end at a character boundary */

void api_reply(api_req_t *req, json_t *obj)
{
    if (req->reply != NULL)
        json_decref(req->reply);
    req->reply = obj;
}

void api_reply_raw(api_req_t *req, const char *body, size_t len)
{
    api_reply(req, NULL);
    req->reply_text = body;
    req->reply_len = len;
    req->reply_type = "application/json; charset=utf-8";
}

int api_fail(api_req_t *req, int code, const char *fmt, ...)
{
    va_list ap;
    char buf[MESSAGE_MAX + 2]; /* a byte past the limit shows whether the cut falls inside a character */
    int n;

    va_start(ap, fmt);
    n = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    /* the message goes into a JSON string: it must stay valid UTF-8 */
    size_t len = n < 0 ? 0 : core_str_utf8_prefix(core_str(buf, strnlen(buf, sizeof(buf) - 1)), MESSAGE_MAX);
    req->message = core_pool_strndup(req->pool, buf, len);
    return code;
}

int api_session_start(api_req_t *req, const char *user_id)
{
    char *token;
    int rc = auth_jwt_sign(req->cfg->jwt_secret, req->cfg->jwt_secret_len, user_id, req->now_ms, req->pool, &token,
                           NULL);
    if (rc == CORE_OK)
        req->set_token = token;
    return rc;
}
