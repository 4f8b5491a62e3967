/*
 * Rate limits with express-rate-limit semantics, over kv counters shared by
 * all instances: a fixed window per client IP; every request under /api/
 * counts against RATE_LIMIT_MAX; requests under /api/auth/ also count against
 * AUTH_RATE_LIMIT_MAX, but are taken back when they succeed
 * (skipSuccessfulRequests). Headers follow the IETF draft that
 * express-rate-limit's standardHeaders emit: RateLimit-Limit, -Remaining,
 * -Reset (seconds), and Retry-After on 429. Loop or worker threads.
 */
#ifndef HTTP_RATELIMIT_H
#define HTTP_RATELIMIT_H

#include "api/api.h"
#include "http/exchange.h"

/* Count this request; CORE_OK, or CORE_E_RATE_LIMITED when over a limit.
 * If the kv backend is unavailable the request is allowed (fail open: an
 * outage of the counter store must not take the API down) and logged. */
int http_ratelimit_check(http_exchange_t *x, kv_t *kv, enum api_rate rate);

/* After the handler: take back the auth hit of a successful request. */
void http_ratelimit_settle(http_exchange_t *x, kv_t *kv);

#endif
