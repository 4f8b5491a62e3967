/*
 * This file implements store_open(): it reads the scheme of DATABASE_URL and
 * hands the rest to the matching backend, which returns a store_t whose ops
 * table does the work. "sqlite:PATH" is the embedded backend (sqlite/);
 * "postgres://..." or "postgresql://..." is PostgreSQL (postgres/), whose
 * sessions share one process-wide connection pool per URL. It also holds
 * the process's write hook (store_hooks_set), through which every write
 * reported by the wrappers of store.h reaches the state kept outside the
 * database.
 */
#include "store/store.h"

#include <stdatomic.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "store/postgres/postgres.h"
#include "store/sqlite/sqlite.h"

int store_open(const char *url, store_t **out)
{
    static const char sqlite_scheme[] = "sqlite:";
    char scheme[16] = "";
    int rc = CORE_E_INTERNAL;

    *out = NULL;
    if (url == NULL) {
        log_error("store: no DATABASE_URL");
        goto out;
    }
    if (strncmp(url, sqlite_scheme, sizeof(sqlite_scheme) - 1) == 0) {
        rc = store_sqlite_open(url + sizeof(sqlite_scheme) - 1, out);
        goto out;
    }
    if (strncmp(url, "postgres://", 11) == 0 || strncmp(url, "postgresql://", 13) == 0) {
        rc = store_postgres_open(url, out);
        goto out;
    }
    /* log the scheme only: the rest of a URL may carry a password */
    size_t n = strcspn(url, ":");
    if (n >= sizeof(scheme))
        n = sizeof(scheme) - 1;
    memcpy(scheme, url, n);
    scheme[n] = '\0';
    log_error("store: unsupported DATABASE_URL scheme (want sqlite:PATH or postgres://...)",
              LOG_STR("scheme", scheme));
out:
    return rc;
}

static _Atomic(const store_hooks_t *) current_hooks;

void store_hooks_set(const store_hooks_t *hooks)
{
    atomic_store_explicit(&current_hooks, hooks, memory_order_release);
}

void store__written(store_t *s, const store_write_t *w)
{
    const store_hooks_t *h = atomic_load_explicit(&current_hooks, memory_order_acquire);

    if (h != NULL && h->written != NULL)
        h->written(h->ctx, s, w);
}

bool store__wrote_recently(const char *user_id)
{
    const store_hooks_t *h = atomic_load_explicit(&current_hooks, memory_order_acquire);
    bool yes = false;

    if (h != NULL && h->wrote_recently != NULL && user_id != NULL && h->wrote_recently(h->ctx, user_id, &yes) != CORE_OK)
        yes = true; /* cannot tell: the primary is never stale */
    return yes;
}

void store_loop_attach(struct st_h2o_evloop_t *loop)
{
    store_pg_loop_attach(loop);
}

void store_loop_detach(void)
{
    store_pg_loop_detach();
}
