/*
 * This file implements the session-cookie helpers of cookie.h: a tolerant
 * parser for the Cookie request header (RFC 6265 section 5.4 form, as browsers
 * send it) and the Set-Cookie formatter used at sign-in and sign-out.
 */
#include "http/cookie.h"

#include "auth/jwt.h"

bool http_cookie_find(core_str_t header, core_str_t name, core_str_t *value)
{
    const char *p = header.base, *end = header.len > 0 ? header.base + header.len : header.base;

    while (p < end) {
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *item_end = semi != NULL ? semi : end;
        core_str_t item = core_str_trim(core_str(p, (size_t)(item_end - p)));
        const char *eq = memchr(item.base, '=', item.len);
        if (eq != NULL) {
            core_str_t k = core_str_trim(core_str(item.base, (size_t)(eq - item.base)));
            core_str_t v = core_str_trim(core_str(eq + 1, item.len - (size_t)(eq + 1 - item.base)));
            if (core_str_eq(k, name)) {
                if (v.len >= 2 && v.base[0] == '"' && v.base[v.len - 1] == '"')
                    v = core_str(v.base + 1, v.len - 2);
                *value = v;
                return true;
            }
        }
        p = item_end + 1;
    }
    return false;
}

char *http_cookie_session(core_pool_t *pool, const core_config_t *cfg, const char *token)
{
    const char *secure = cfg->cookie_secure ? "; Secure" : "";

    if (token == NULL)
        return core_pool_printf(pool, HTTP_COOKIE_NAME "=; Path=/; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT; "
                                      "HttpOnly; SameSite=%s%s",
                                cfg->cookie_samesite, secure);
    return core_pool_printf(pool, HTTP_COOKIE_NAME "=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=%s%s", token,
                            AUTH_JWT_TTL_MS / 1000, cfg->cookie_samesite, secure);
}
