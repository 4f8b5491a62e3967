/*
 * Which address a request comes from. The peer's address, unless the peer is
 * a trusted proxy (TRUST_PROXY): then X-Forwarded-For is walked from the right
 * past trusted proxies, as Express does with a trust-proxy list, so a client
 * cannot choose its own address by sending the header. Any thread.
 */
#ifndef HTTP_FORWARDED_H
#define HTTP_FORWARDED_H

#include <sys/socket.h>

#include "core/config.h"
#include "core/pool.h"
#include "core/str.h"

/* Textual client address, allocated from pool; peer may be NULL ("-"). */
const char *http_client_ip(core_pool_t *pool, const core_config_t *cfg, const struct sockaddr *peer,
                           core_str_t forwarded_for);

#endif
