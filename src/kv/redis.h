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

/* Create the backend for cfg->redis_url (cfg must outlive it). source (not
 * copied; it must outlive the backend) gives the database's revocations,
 * which are copied into Redis at the first connection and whenever Redis
 * has lost them. NULL (the operator's commands, tests): nothing is copied,
 * and a Redis that lost them stays marked so for a server to copy them back
 * (its own token checks then trust Redis alone). Redis need not be up: the
 * backend then starts in its fallback mode and connects later. CORE_OK, or
 * CORE_E_INTERNAL for a REDIS_URL it cannot use (logged). */
int kv_redis_create(const core_config_t *cfg, const kv_source_t *source, kv_t **out);

#endif
