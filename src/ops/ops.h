/*
 * The operator commands behind `lsf-server backup | restore | import |
 * user`: main.c parses their options and calls these, which do the work and
 * print to stdout (results) and stderr (errors, "lsf-server CMD: ..."). Each
 * returns the process's exit status: 0 on success, 1 on failure. They run on
 * the main thread of a process that serves nothing.
 */
#ifndef OPS_OPS_H
#define OPS_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "core/config.h"
#include "kv/kv.h"
#include "store/store.h"

/* backup.c: write a backup file (manifest.h) of DATABASE_URL to out, which
 * must not exist; created 0600. gzip compresses the payload. */
int ops_backup(const core_config_t *cfg, const char *out, bool gzip);

/* backup.c: check path's checksum and manifest; unless check_only, restore
 * it into DATABASE_URL (refused when that holds users or tasks, unless
 * force), check the row counts, migrate, and end every session issued
 * before now (ops_sessions_end_all). */
int ops_restore(const core_config_t *cfg, const char *path, bool force, bool check_only);

/* sessions.c: the kv backend of cfg (Redis with REDIS_URL, else an
 * in-process one) for a command, or NULL after printing why. kv_destroy()
 * it. */
kv_t *ops_kv_open(const core_config_t *cfg, const char *cmd);

/* sessions.c: revoke every token of user_id issued up to now_ms, in store
 * (durable, first; NULL when the account is gone) and in kv, and give the
 * user new cache generations, so no instance serves what it cached. CORE_OK,
 * or the error of a revocation (an error means it may not have happened). */
int ops_user_sessions_end(const core_config_t *cfg, kv_t *kv, store_t *store, const char *user_id, int64_t now_ms);

/* sessions.c: the same for every user of store; returns how many, or -1
 * when a revocation failed. */
int64_t ops_sessions_end_all(const core_config_t *cfg, kv_t *kv, store_t *store, int64_t now_ms);

/* user.c: `user export EMAIL` (the JSON of GET /api/user/export on stdout)
 * and `user delete EMAIL` (the account, its tasks, its sessions). */
int ops_user_export(const core_config_t *cfg, const char *email);
int ops_user_delete(const core_config_t *cfg, const char *email);

/* import/import.c: `import --users FILE --tasks FILE`. */
typedef struct ops_import_options {
    const char *users_path;   /* NULL: no users file */
    const char *tasks_path;   /* NULL: no tasks file */
    const char *rejects_path; /* where refused documents go (JSON lines) */
    bool json_array;          /* --jsonArray (also detected from a leading '[') */
    bool dry_run;             /* read and check everything, write nothing to the database */
    bool progress;            /* a progress line on stderr (a TTY) */
    int batch;                /* documents per transaction */
} ops_import_options_t;

int ops_import(const core_config_t *cfg, const ops_import_options_t *opts);

#endif
