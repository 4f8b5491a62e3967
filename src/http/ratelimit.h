/*
 * Rate limits with express-rate-limit semantics (fixed windows) over kv
 * counters shared by all instances. Who is counted: the account of a
 * verified, unrevoked session (the token check runs first), else the client
 * address, with an IPv6 address counted as its network of
 * RATE_LIMIT_IPV6_PREFIX bits. Three limits:
 * - "api": every request under /api/ without a session, RATE_LIMIT_MAX per
 *   RATE_LIMIT_WINDOW_MS per client address;
 * - "user": every request under /api/ with a session, RATE_LIMIT_USER_MAX per
 *   RATE_LIMIT_USER_WINDOW_MS per account;
 * - "auth": failed requests to the credential endpoints (API_RATE_AUTH),
 *   AUTH_RATE_LIMIT_MAX per AUTH_RATE_LIMIT_WINDOW_MS per client address or
 *   account; a request is counted before it runs and taken back when it
 *   succeeds (skipSuccessfulRequests).
 * Routes marked API_RATE_COUNT_ONLY (logout) are counted and never refused.
 * Headers follow the IETF draft that express-rate-limit's standardHeaders
 * emit: RateLimit-Limit, -Remaining, -Reset (seconds), of the bucket that
 * refused or else of the one with the fewest requests left, and Retry-After
 * on a refusal. Loop or worker threads.
 */
#ifndef HTTP_RATELIMIT_H
#define HTTP_RATELIMIT_H

#include <stddef.h>

#include "api/api.h"
#include "http/exchange.h"

/* Room for a bucket name of http_ratelimit_ip_bucket(), NUL included. */
#define HTTP_RATELIMIT_BUCKET_SIZE 64

/* Count this request. CORE_OK to go on; CORE_E_RATE_LIMITED (429) when a
 * limit is exceeded; CORE_E_UNAVAILABLE (503) when the counters cannot count
 * it (no room for another client: see kv_counter_hit), or the error of a
 * counter that failed otherwise: a hit that was not counted never lets a
 * request through, except when the operator chose REDIS_DOWN_RATE_LIMIT=open
 * and Redis is down. A refusal sets x->rate.retry_after_ms (and refused_by
 * for a 429). Call after the token check (x->api.authenticated). */
int http_ratelimit_check(http_exchange_t *x, kv_t *kv, enum api_rate rate);

/* After the handler: take back the failed-attempts hit of a successful request. */
void http_ratelimit_settle(http_exchange_t *x, kv_t *kv);

/* Write into out (size bytes, at least HTTP_RATELIMIT_BUCKET_SIZE) the name
 * of the bucket the client address ip counts in: an IPv4 address as is; an
 * IPv4-mapped IPv6 address as its IPv4 address; another IPv6 address as
 * its network of ipv6_prefix (0..128) bits, "2001:db8:1:2::/64"; anything
 * else (an unknown peer, "-") as is. Any thread. */
void http_ratelimit_ip_bucket(const char *ip, int ipv6_prefix, char *out, size_t size);

#endif
