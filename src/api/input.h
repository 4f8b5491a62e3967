/*
 * Reading client input in handlers: typed access to JSON body members with
 * the error a client should see when a type is wrong, and the normalizations
 * every handler must agree on (emails). Any thread.
 */
#ifndef API_INPUT_H
#define API_INPUT_H

#include <stdbool.h>

#include "api/api.h"

#define API_EMAIL_MAX 254
#define API_NAME_MAX 100 /* characters */

/* The string member `field` of the body. CORE_OK with *out set, or with
 * out->base NULL when the member is absent or null; CORE_E_VALIDATION
 * ("<field> must be a string") when it has another type. *out stays valid for
 * the request. */
int api_input_string(api_req_t *req, const char *field, core_str_t *out);

/* True for a missing or empty (after trimming) value: the original app's
 * `!value` test for "Missing Details". */
static inline bool api_input_blank(core_str_t s)
{
    return s.base == NULL || core_str_trim(s).len == 0;
}

/* Trim and lowercase an email into pool; false when it is not a plausible
 * address (one '@', non-empty local part, a dotted domain, no spaces or
 * control characters, at most API_EMAIL_MAX bytes). */
bool api_input_email(core_pool_t *pool, core_str_t in, char **out);

#endif
