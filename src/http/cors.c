/*
 * This file implements the origin checks of cors.h. Origins are compared
 * exactly (scheme, host and port), never by prefix or pattern, so
 * "https://app.example.com.evil.net" cannot pass for "https://app.example.com".
 */
#include "http/cors.h"

const char *http_cors_origin(const core_config_t *cfg, core_str_t origin)
{
    for (size_t i = 0; i < cfg->cors_origins_len; i++)
        if (core_str_eq_nocase(origin, core_str_c(cfg->cors_origins[i])))
            return cfg->cors_origins[i];
    return NULL;
}

bool http_cors_same_host(core_str_t origin, core_str_t host)
{
    const char *sep = origin.len > 3 ? memchr(origin.base, ':', origin.len) : NULL;

    if (sep == NULL || (size_t)(origin.base + origin.len - sep) < 3 || sep[1] != '/' || sep[2] != '/')
        return false;
    core_str_t authority = core_str(sep + 3, (size_t)(origin.base + origin.len - (sep + 3)));
    return host.len > 0 && core_str_eq_nocase(authority, host);
}
