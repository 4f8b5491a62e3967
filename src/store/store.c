/*
 * This file implements store_open(): it reads the scheme of DATABASE_URL and
 * hands the rest to the matching backend, which returns a store_t whose ops
 * table does the work. "sqlite:PATH" is the embedded backend (sqlite/);
 * "postgres://..." or "postgresql://..." is PostgreSQL (postgres/), whose
 * sessions share one process-wide connection pool per URL.
 */
#include "store/store.h"

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
