/*
 * What a committed write changes outside the database, in one place: the
 * store's write hook (store.h, store_hooks_set) that every write passes
 * through, so no handler has to remember it. After a write of a user's
 * tasks, their cached stats get a new generation (api/cache.h) and, when
 * reads may go to replicas, the user is marked in kv for the
 * read-your-writes window so every instance sends their reads to the
 * primary; after a write of the account, the cached profile gets a new
 * generation; after a revocation, kv revokes the token or the sessions (the
 * database had it first) and, at most once an hour, the database forgets
 * revocations of tokens that have expired anyway.
 *
 * The other direction lives here too, so that neither kv nor the store
 * knows the other: the token check asks kv and, when kv cannot tell, the
 * database; and kv gets the database's revocations through a kv_source_t
 * (to fill the in-process backend at start, and to copy them into a Redis
 * that lost them).
 */
#ifndef API_EFFECTS_H
#define API_EFFECTS_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "auth/jwt.h"
#include "core/config.h"
#include "kv/kv.h"
#include "store/store.h"

typedef struct api_effects {
    const core_config_t *cfg;
    kv_t *kv;
    store_t *source;             /* a session of its own for kv's loads, under source_lock */
    pthread_mutex_t source_lock; /* held across one load: never taken on an event loop */
    _Atomic int64_t next_purge;  /* wall-clock ms when expired revocations are next purged */
    store_hooks_t hooks;
    kv_source_t kv_source;
} api_effects_t;

/* Set e up with cfg (must outlive e) and source, a store session e owns
 * from now on (also on failure; may be NULL in tests: then kv gets no
 * revocations from the database). Expired revocations are purged now, once.
 * Main thread, before kv exists. */
void api_effects_init(api_effects_t *e, const core_config_t *cfg, store_t *source);

/* What kv_redis_create takes to copy the database's revocations. Valid
 * until api_effects_cleanup. */
const kv_source_t *api_effects_kv_source(api_effects_t *e);

/* Use kv from now on, and return the hooks to install (store_hooks_set),
 * valid until api_effects_cleanup. */
const store_hooks_t *api_effects_attach(api_effects_t *e, kv_t *kv);

/* Copy every unexpired revocation of the database into kv (the in-process
 * backend starts empty). CORE_OK or the store's error (logged). */
int api_effects_load_revocations(api_effects_t *e);

/* Close the source session. The hooks must be uninstalled first. */
void api_effects_cleanup(api_effects_t *e);

/* *revoked = the token of claims was revoked, as kv says or, when kv
 * cannot tell (Redis down, SQLite shared without Redis), as the database
 * says through store. CORE_OK, or the database's error with *revoked true.
 * The thread that owns store. */
int api_token_revoked(kv_t *kv, store_t *store, const auth_claims_t *claims, bool *revoked);

#endif
