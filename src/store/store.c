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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "core/mem.h"
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

#define STORE_DEFERRED_ID 72 /* a user id (UUID) or a token's jti, with room to spare */

static _Atomic(const store_hooks_t *) current_hooks;

void store_hooks_set(const store_hooks_t *hooks)
{
    atomic_store_explicit(&current_hooks, hooks, memory_order_release);
}

/* A write of a batch, kept until it commits: the strings are copied, the
 * caller's may be gone by then. */
struct store_deferred {
    store_write_t w;
    char user_id[STORE_DEFERRED_ID];
    char jti[STORE_DEFERRED_ID];
};

static void call_hook(store_t *s, const store_write_t *w)
{
    const store_hooks_t *h = atomic_load_explicit(&current_hooks, memory_order_acquire);

    if (h != NULL && h->written != NULL)
        h->written(h->ctx, s, w);
}

static void copy_id(char *dst, const char *src, const char **field)
{
    if (src == NULL)
        return;
    snprintf(dst, STORE_DEFERRED_ID, "%s", src);
    *field = dst;
}

void store__written(store_t *s, const store_write_t *w)
{
    if (!s->in_batch) {
        call_hook(s, w);
        return;
    }
    /* not committed yet: a reader would cache the old state under the new
     * generation the hook makes now */
    if (s->ndeferred == s->deferred_cap) {
        s->deferred_cap = s->deferred_cap == 0 ? 64 : s->deferred_cap * 2;
        s->deferred = core_realloc(s->deferred, s->deferred_cap * sizeof(*s->deferred));
    }
    store_deferred_t *d = &s->deferred[s->ndeferred++];
    d->w = *w;
    copy_id(d->user_id, w->user_id, &d->w.user_id);
    copy_id(d->jti, w->jti, &d->w.jti);
}

int store_batch_begin(store_t *s)
{
    int rc = s->ops->batch_begin(s);

    s->in_batch = rc == CORE_OK;
    s->ndeferred = 0;
    return rc;
}

int store_batch_end(store_t *s)
{
    int rc = s->ops->batch_end(s);

    s->in_batch = false;
    for (size_t i = 0; rc == CORE_OK && i < s->ndeferred; i++)
        call_hook(s, &s->deferred[i].w);
    s->ndeferred = 0;
    return rc;
}

void store__free_deferred(store_t *s)
{
    free(s->deferred);
    s->deferred = NULL;
    s->ndeferred = s->deferred_cap = 0;
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
