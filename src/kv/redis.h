/*
 * The Redis kv backend (redis.c), selected when REDIS_URL is set: token
 * revocations, rate-limit counters and caches shared by every instance that
 * uses the same Redis. See kv.h for the interface and redis.c for how an
 * outage is survived.
 */
#ifndef KV_REDIS_H
#define KV_REDIS_H

#include "core/config.h"
#include "kv/kv.h"

/* Create the backend for cfg->redis_url (cfg must outlive it). It takes
 * ownership of durable (a store session of its own, also on failure), where
 * revocations are written first and which answers token checks while Redis
 * is unreachable. Redis need not be up: the backend then starts in its
 * fallback mode and connects later. CORE_OK, or CORE_E_INTERNAL for a
 * REDIS_URL it cannot use (logged). */
int kv_redis_create(const core_config_t *cfg, struct store *durable, kv_t **out);

#endif
