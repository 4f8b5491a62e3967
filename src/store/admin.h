/*
 * Operator operations on a database, beside the request-path interface of
 * store.h: row counts, whole-database backup and restore, deleting an
 * account with everything it owns, listing user ids, and the bulk inserts
 * of `lsf-server import`. A backend fills a store_admin_ops_t and points
 * store_ops_t.admin at it. These run from the command line (src/ops/) or, for
 * user_delete, from a handler; each is one transaction unless it says
 * otherwise. Same return codes as store.h.
 */
#ifndef STORE_ADMIN_H
#define STORE_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* The tables a backup counts, in manifest order. A table added later goes
 * last: a manifest written before it was counted lacks it (see
 * STORE_COUNT_UNKNOWN). */
#define STORE_COUNT_TABLES(X)                                                                                     \
    X(users) X(tasks) X(otps) X(revoked_tokens) X(user_revocations) X(outbox) X(idempotency_keys) X(task_trash)

/* rows[i] of a manifest written before table i was counted. */
#define STORE_COUNT_UNKNOWN (-1)

enum store_count_table {
#define STORE_COUNT_ENUM(t) STORE_COUNT_##t,
    STORE_COUNT_TABLES(STORE_COUNT_ENUM)
#undef STORE_COUNT_ENUM
        STORE_COUNT_N
};

/* The first table counted after the manifest's first release: older
 * manifests lack it and those after it. */
#define STORE_COUNT_FIRST_LATER STORE_COUNT_task_trash

/* The table names, indexed by enum store_count_table. */
extern const char *const store_count_names[STORE_COUNT_N];

typedef struct store_counts {
    int schema_version; /* the highest migration applied, 0 for none */
    int64_t rows[STORE_COUNT_N];
} store_counts_t;

typedef void (*store_user_id_cb)(void *ctx, const char *user_id);

/* What an import insert did with each row (results[i] of a batch). */
enum store_import_result {
    STORE_IMPORT_INSERTED = 0,
    STORE_IMPORT_EXISTS,       /* the same id is there already (a re-run): skipped */
    STORE_IMPORT_EMAIL_TAKEN,  /* users: another account here has this email (any case) */
    STORE_IMPORT_NO_USER,      /* tasks: the owner is not in the database */
    STORE_IMPORT_NOT_AFTER,    /* tasks: the owner has a task here whose id sorts after this one */
};

typedef struct store_admin_ops {
    int (*counts)(store_t *s, store_counts_t *out);
    int (*backup)(store_t *s, const char *path, store_counts_t *counts);
    int (*restore)(store_t *s, const char *path, bool force);
    int (*user_delete)(store_t *s, const char *user_id);
    int (*user_ids_each)(store_t *s, store_user_id_cb cb, void *ctx);
    int (*import_users)(store_t *s, const store_user_t *users, size_t n, int *results);
    int (*import_tasks)(store_t *s, const store_task_t *tasks, size_t n, int *results);
} store_admin_ops_t;

/* Schema version and row counts of the tables above, in one snapshot. */
static inline int store_counts(store_t *s, store_counts_t *out)
{
    return s->ops->admin->counts(s, out);
}

/* Write a consistent copy of the whole database to path (created 0600, must
 * not exist): SQLite's online backup API into a database file, PostgreSQL's
 * pg_dump in custom format. Writers carry on meanwhile. counts gets what the
 * copy holds, from the same snapshot. */
static inline int store_backup(store_t *s, const char *path, store_counts_t *counts)
{
    return s->ops->admin->backup(s, path, counts);
}

/* Replace the database's contents with the copy at path (as store_backup
 * wrote it). CORE_E_CONFLICT, changing nothing, when the database holds
 * users or tasks and force is false. The caller migrates afterwards. */
static inline int store_restore(store_t *s, const char *path, bool force)
{
    return s->ops->admin->restore(s, path, force);
}

/* Delete user_id's account and everything it owns (tasks and their tags,
 * counters and search rows, codes, idempotency keys). CORE_E_NOT_FOUND when
 * there is no such user. The write hook then hears that the tasks and the
 * account changed and that every session issued up to now_ms ended: with no
 * row left the database refuses them already, kv refuses them on instances
 * that read a replica that has not seen the delete yet. */
static inline int store_user_delete(store_t *s, const char *user_id, int64_t now_ms)
{
    int rc = s->ops->admin->user_delete(s, user_id);
    if (rc == CORE_OK) {
        store__wrote(s, rc, STORE_WROTE_TASKS, user_id);
        store__wrote(s, rc, STORE_WROTE_USER, user_id);
        store__written(s, &(store_write_t){.kind = STORE_WROTE_SESSIONS_REVOKED, .user_id = user_id, .at = now_ms});
    }
    return rc;
}

/* cb(ctx, id) for every user, in id order, outside any transaction the
 * callback could disturb (ids are read first). */
static inline int store_user_ids_each(store_t *s, store_user_id_cb cb, void *ctx)
{
    return s->ops->admin->user_ids_each(s, cb, ctx);
}

/* Insert n users (ids, emails normalized, hashes and times set by the
 * caller) in one transaction; results[i] says what happened to each. */
static inline int store_import_users(store_t *s, const store_user_t *users, size_t n, int *results)
{
    return s->ops->admin->import_users(s, users, n, results);
}

/* Insert n tasks (every field set, ids sorted ascending within each user)
 * in one transaction, on SQLite through the bulk path (the full-text, tag
 * and counter rows written once for the batch). results[i] as above. */
static inline int store_import_tasks(store_t *s, const store_task_t *tasks, size_t n, int *results)
{
    return s->ops->admin->import_tasks(s, tasks, n, results);
}

#endif
