/*
 * This file implements the input helpers of input.h. Email checking is
 * deliberately pragmatic (RFC 5322 allows far more than any mail provider
 * accepts): it rejects what is clearly not an address and leaves the rest to
 * the verification email.
 */
#include "api/input.h"

#include "core/error.h"

int api_input_string(api_req_t *req, const char *field, core_str_t *out)
{
    json_t *v = req->body != NULL ? json_object_get(req->body, field) : NULL;

    *out = CORE_STR_NULL;
    if (v == NULL || json_is_null(v))
        return CORE_OK;
    if (!json_is_string(v))
        return api_fail(req, CORE_E_VALIDATION, "%s must be a string", field);
    *out = core_str(json_string_value(v), json_string_length(v));
    return CORE_OK;
}

static bool is_domain_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.' || (unsigned char)c >= 0x80;
}

bool api_input_email(core_pool_t *pool, core_str_t in, char **out)
{
    core_str_t s = core_str_trim(in);
    size_t at = 0, ats = 0;

    if (s.len < 3 || s.len > API_EMAIL_MAX)
        return false;
    char *e = core_pool_strndup(pool, s.base, s.len);
    for (size_t i = 0; i < s.len; i++) {
        unsigned char c = (unsigned char)e[i];
        if (c <= ' ' || c == 0x7f || c == '<' || c == '>' || c == '(' || c == ')' || c == ',' || c == ';' ||
            c == ':' || c == '\\' || c == '"' || c == '[' || c == ']')
            return false;
        if (c >= 'A' && c <= 'Z')
            e[i] = (char)(c + 32);
        if (c == '@') {
            at = i;
            ats++;
        }
    }
    if (ats != 1 || at == 0 || at > 64 || at == s.len - 1)
        return false;
    const char *domain = e + at + 1;
    size_t dlen = s.len - at - 1;
    if (memchr(domain, '.', dlen) == NULL || domain[0] == '.' || domain[dlen - 1] == '.' || domain[0] == '-')
        return false;
    for (size_t i = 0; i < dlen; i++)
        if (!is_domain_char(domain[i]) || (domain[i] == '.' && domain[i + 1] == '.'))
            return false;
    if (e[0] == '.' || e[at - 1] == '.')
        return false;
    *out = e;
    return true;
}
