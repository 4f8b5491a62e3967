/*
 * This file implements `lsf-server import` (ops_import in ops.h): read the
 * users file, refuse what breaks the rules (doc.c) or collides (the same
 * _id twice; emails equal once lowercased, where the oldest ObjectId keeps
 * the address), insert the rest in batches; then read the tasks file, refuse
 * what breaks the rules or belongs to a refused user, sort the rest by owner
 * and ObjectId, settle their times, and insert them in batches through the
 * store's bulk path. Each batch is one transaction; ids come from the
 * ObjectIds (core/objectid.h), so a re-run finds what an earlier run
 * inserted and skips it.
 *
 * Times: createdAt order must be id order (store/sqlite/task.c), and an id's
 * time is its ObjectId's second. A task keeps its exported createdAt when
 * that falls within its ObjectId's second and not before the previous task
 * of its user; otherwise it takes the ObjectId's time (or the previous
 * task's createdAt, when that is later within the same second). updatedAt is
 * never before createdAt; a completed task without completedAt gets its
 * updatedAt.
 *
 * Refused documents go to the rejects file, one JSON object per line: file,
 * index (1-based position in the file), _id, reason and the document as
 * relaxed Extended JSON (cut at REJECT_DOC_MAX bytes). It may hold password
 * hashes, so it is created 0600.
 */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/mem.h"
#include "ops/import/import.h"
#include "ops/ops.h"
#include "store/admin.h"

#define REJECT_DOC_MAX 4096
#define WHY_MAX 512
#define PROGRESS_EVERY_MS 250

typedef struct stats {
    int64_t read, inserted, existing, refused;
} stats_t;

typedef struct run {
    const core_config_t *cfg;
    const ops_import_options_t *opts;
    store_t *store;
    core_pool_t pool; /* strings of every accepted document */
    FILE *rejects;
    ops_import_user_t *users;
    size_t nusers, capusers;
    uint8_t (*refused_owners)[CORE_OBJECTID_LEN]; /* users refused: their tasks are orphans */
    size_t nrefused_owners, caprefused;
    bool *user_refused; /* per users[i], once dedupe_users ran */
    ops_import_task_t *tasks;
    size_t ntasks, captasks;
    stats_t u, t;
    int64_t dropped_codes;
    int64_t started_ms, progress_ms;
} run_t;

/* Rejects. */

static void reject(run_t *r, const char *file, size_t index, const char *id, const char *reason, const bson_t *doc)
{
    json_t *line = json_object();
    char *text = NULL;
    size_t len = 0;

    json_object_set_new(line, "file", json_string(file));
    json_object_set_new(line, "index", json_integer((json_int_t)index));
    json_object_set_new(line, "_id", id != NULL && *id != '\0' ? json_string(id) : json_null());
    json_object_set_new(line, "reason", json_string(reason));
    if (doc != NULL && (text = bson_as_relaxed_extended_json(doc, &len)) != NULL) {
        size_t keep = core_str_utf8_prefix(core_str(text, len), REJECT_DOC_MAX);
        json_object_set_new(line, "document", json_stringn(text, keep));
        bson_free(text);
    } else {
        json_object_set_new(line, "document", json_null());
    }
    char *out = json_dumps(line, JSON_COMPACT | JSON_PRESERVE_ORDER);
    if (out != NULL)
        fprintf(r->rejects, "%s\n", out);
    free(out);
    json_decref(line);
}

static FILE *open_rejects(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

    if (f == NULL) {
        fprintf(stderr, "lsf-server import: cannot write the rejects file %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
    }
    return f;
}

/* Progress on stderr (a TTY): documents, rate, ETA. */

static void progress(run_t *r, const char *what, int64_t done, int64_t total, bool last)
{
    int64_t now = core_clock_now_ms(), elapsed = now - r->started_ms;

    if (!r->opts->progress || (!last && now - r->progress_ms < PROGRESS_EVERY_MS))
        return;
    r->progress_ms = now;
    double rate = elapsed > 0 ? (double)done * 1000.0 / (double)elapsed : 0;
    int pct = total > 0 ? (int)(done * 100 / total) : 100;
    double eta = rate > 0 && total > done ? (double)(total - done) / rate : 0;
    fprintf(stderr, "\r\033[Kimport: %s %lld/%lld (%d%%) %.0f/s ETA %.0f s%s", what, (long long)done,
            (long long)total, pct, rate, eta, last ? "\n" : "");
}

/* Growing arrays. */

#define GROW(arr, n, cap)                                                                                           \
    do {                                                                                                          \
        if ((n) == (cap)) {                                                                                       \
            (cap) = (cap) == 0 ? 1024 : (cap) * 2;                                                                \
            (arr) = core_realloc((arr), (cap) * sizeof(*(arr)));                                                  \
        }                                                                                                         \
    } while (0)

static int cmp_oid(const uint8_t *a, const uint8_t *b)
{
    return memcmp(a, b, CORE_OBJECTID_LEN);
}

/* Users. */

static void note_refused_owner(run_t *r, const uint8_t oid[CORE_OBJECTID_LEN])
{
    GROW(r->refused_owners, r->nrefused_owners, r->caprefused);
    memcpy(r->refused_owners[r->nrefused_owners++], oid, CORE_OBJECTID_LEN);
}

static int read_users(run_t *r)
{
    ops_import_source_t src;
    const bson_t *doc;
    char why[WHY_MAX], id[CORE_OBJECTID_HEX + 1];
    int rc;

    if (ops_import_source_open(&src, r->opts->users_path, r->opts->json_array) != 0)
        return -1;
    while ((rc = ops_import_source_next(&src, &doc, why, sizeof(why))) != 0) {
        r->u.read++;
        if (rc < 0) {
            reject(r, src.path, src.index, NULL, why, NULL);
            r->u.refused++;
            if (rc == -2)
                break;
            continue;
        }
        GROW(r->users, r->nusers, r->capusers);
        ops_import_user_t *u = &r->users[r->nusers];
        if (ops_import_user_read(doc, &r->pool, u, why, sizeof(why)) != 0) {
            ops_import_doc_id(doc, id);
            reject(r, src.path, src.index, id, why, doc);
            r->u.refused++;
            uint8_t oid[CORE_OBJECTID_LEN];
            if (core_objectid_parse(core_str_c(id), oid))
                note_refused_owner(r, oid);
            continue;
        }
        u->index = src.index;
        u->doc = bson_copy(doc);
        r->nusers++;
        progress(r, "reading users", (int64_t)ops_import_source_offset(&src), (int64_t)src.len, false);
    }
    ops_import_source_close(&src);
    return 0;
}

/* Refuse users[i]; its tasks become orphans unless another document with its
 * _id is kept (orphans false). */
static void refuse_user(run_t *r, size_t i, const char *reason, bool orphans)
{
    char id[CORE_OBJECTID_HEX + 1];
    bson_oid_t oid;

    bson_oid_init_from_data(&oid, r->users[i].oid);
    bson_oid_to_string(&oid, id);
    reject(r, r->opts->users_path, r->users[i].index, id, reason, r->users[i].doc);
    r->u.refused++;
    if (orphans)
        note_refused_owner(r, r->users[i].oid);
}

static int by_oid(const void *a, const void *b)
{
    return cmp_oid(((const ops_import_user_t *)a)->oid, ((const ops_import_user_t *)b)->oid);
}

static const run_t *sort_run; /* qsort has no context argument */

static int by_email_then_oid(const void *a, const void *b)
{
    const ops_import_user_t *x = &sort_run->users[*(const size_t *)a], *y = &sort_run->users[*(const size_t *)b];
    int c = strcmp(x->user.email, y->user.email);
    return c != 0 ? c : cmp_oid(x->oid, y->oid);
}

/* Sort by ObjectId and refuse collisions: a repeated _id, and emails equal
 * once lowercased (the oldest ObjectId keeps the address). */
static void dedupe_users(run_t *r, bool *refused)
{
    size_t *order = core_malloc((r->nusers + 1) * sizeof(*order));
    char first[CORE_OBJECTID_HEX + 1], why[WHY_MAX];
    size_t keep = 0;

    qsort(r->users, r->nusers, sizeof(*r->users), by_oid); /* the documents travel with their users */
    for (size_t i = 1; i < r->nusers; i++)
        if (cmp_oid(r->users[i].oid, r->users[i - 1].oid) == 0 && !refused[i])
            refused[i] = true, refuse_user(r, i, "duplicate _id: the first document with this _id is kept", false);
    for (size_t i = 0; i < r->nusers; i++)
        order[i] = i;
    sort_run = r;
    qsort(order, r->nusers, sizeof(*order), by_email_then_oid);
    for (size_t k = 0; k < r->nusers; k++) {
        size_t i = order[k];
        if (refused[i])
            continue;
        if (k == 0 || strcmp(r->users[i].user.email, r->users[keep].user.email) != 0 || refused[keep]) {
            keep = i; /* the oldest of its email */
            continue;
        }
        bson_oid_t oid;
        bson_oid_init_from_data(&oid, r->users[keep].oid);
        bson_oid_to_string(&oid, first);
        snprintf(why, sizeof(why), "emails that differ only in case: %s is the address of the older user %s, which "
                 "keeps it", r->users[i].user.email, first);
        refused[i] = true;
        refuse_user(r, i, why, true);
    }
    free(order);
}

static int insert_users(run_t *r, bool *refused)
{
    store_user_t *batch = core_malloc((size_t)r->opts->batch * sizeof(*batch));
    size_t *which = core_malloc((size_t)r->opts->batch * sizeof(*which));
    int *results = core_malloc((size_t)r->opts->batch * sizeof(*results));
    int rc = 0;

    for (size_t i = 0; i < r->nusers && rc == 0;) {
        size_t n = 0;
        for (; i < r->nusers && n < (size_t)r->opts->batch; i++) {
            if (refused[i])
                continue;
            which[n] = i;
            batch[n++] = r->users[i].user;
        }
        if (n == 0)
            break;
        if (r->opts->dry_run) {
            for (size_t k = 0; k < n; k++) {
                bool here = false;
                store_user_t found;
                if (store_user_exists(r->store, batch[k].id, &here) != CORE_OK) {
                    rc = -1;
                    break;
                }
                results[k] = here ? STORE_IMPORT_EXISTS
                             : store_user_find_by_email(r->store, &r->pool, batch[k].email, &found) == CORE_OK
                                 ? STORE_IMPORT_EMAIL_TAKEN
                                 : STORE_IMPORT_INSERTED;
            }
        } else if (store_import_users(r->store, batch, n, results) != CORE_OK) {
            fprintf(stderr, "lsf-server import: inserting users failed (see the log above); a re-run goes on from "
                            "the last batch\n");
            rc = -1;
        }
        for (size_t k = 0; k < n && rc == 0; k++) {
            if (results[k] == STORE_IMPORT_INSERTED)
                r->u.inserted++;
            else if (results[k] == STORE_IMPORT_EXISTS)
                r->u.existing++;
            else
                refused[which[k]] = true,
                refuse_user(r, which[k], "bad email: another account here already has this email (in any case)", true);
        }
        progress(r, "users", r->u.inserted + r->u.existing, (int64_t)r->nusers, false);
    }
    free(batch);
    free(which);
    free(results);
    return rc;
}

static int do_users(run_t *r)
{
    bool *refused;
    int rc;

    if (read_users(r) != 0)
        return -1;
    refused = core_calloc(r->nusers + 1, sizeof(*refused));
    dedupe_users(r, refused);
    for (size_t i = 0; i < r->nusers; i++)
        if (!refused[i] && r->users[i].dropped_codes)
            r->dropped_codes++;
    rc = insert_users(r, refused);
    progress(r, "users", r->u.inserted + r->u.existing, r->u.inserted + r->u.existing, true);
    r->user_refused = refused; /* freed with the run */
    return rc;
}

/* Tasks. */

/* Whether owner's tasks are orphans of a refused user: its users document
 * was refused and no other one with its _id was kept. */
static bool owner_refused(const run_t *r, const uint8_t owner[CORE_OBJECTID_LEN])
{
    for (size_t i = 0; i < r->nusers; i++) /* sorted, but few: a scan */
        if (!r->user_refused[i] && cmp_oid(r->users[i].oid, owner) == 0)
            return false;
    for (size_t i = 0; i < r->nrefused_owners; i++)
        if (cmp_oid(r->refused_owners[i], owner) == 0)
            return true;
    return false;
}

static int read_tasks(run_t *r)
{
    ops_import_source_t src;
    const bson_t *doc;
    char why[WHY_MAX], id[CORE_OBJECTID_HEX + 1];
    int rc;

    if (ops_import_source_open(&src, r->opts->tasks_path, r->opts->json_array) != 0)
        return -1;
    while ((rc = ops_import_source_next(&src, &doc, why, sizeof(why))) != 0) {
        r->t.read++;
        if (rc < 0) {
            reject(r, src.path, src.index, NULL, why, NULL);
            r->t.refused++;
            if (rc == -2)
                break;
            continue;
        }
        GROW(r->tasks, r->ntasks, r->captasks);
        ops_import_task_t *t = &r->tasks[r->ntasks];
        if (ops_import_task_read(doc, &r->pool, t, why, sizeof(why)) != 0) {
            ops_import_doc_id(doc, id);
            reject(r, src.path, src.index, id, why, doc);
            r->t.refused++;
            continue;
        }
        t->index = src.index;
        if (owner_refused(r, t->owner)) {
            ops_import_doc_id(doc, id);
            reject(r, src.path, src.index, id, "orphan task: its user was refused (see that user's line)", doc);
            r->t.refused++;
            continue;
        }
        r->ntasks++;
        if ((r->ntasks & 1023) == 0)
            progress(r, "reading tasks (bytes)", (int64_t)ops_import_source_offset(&src), (int64_t)src.len, false);
    }
    ops_import_source_close(&src);
    return 0;
}

static int by_owner_then_id(const void *a, const void *b)
{
    const ops_import_task_t *x = a, *y = b;
    int c = strcmp(x->task.user_id, y->task.user_id);
    return c != 0 ? c : strcmp(x->task.id, y->task.id);
}

static void task_reject(run_t *r, const ops_import_task_t *t, const char *reason)
{
    char id[CORE_OBJECTID_HEX + 1];
    bson_oid_t oid;
    bson_oid_init_from_data(&oid, t->oid);
    bson_oid_to_string(&oid, id);
    reject(r, r->opts->tasks_path, t->index, id, reason, NULL);
    r->t.refused++;
}

/* Sort, drop repeated _ids, settle the times (see the top of the file). */
static void settle_tasks(run_t *r)
{
    size_t kept = 0;
    int64_t prev = 0;

    qsort(r->tasks, r->ntasks, sizeof(*r->tasks), by_owner_then_id);
    for (size_t i = 0; i < r->ntasks; i++) {
        ops_import_task_t *t = &r->tasks[i];
        store_task_t *k = &t->task;
        if (kept > 0 && strcmp(r->tasks[kept - 1].task.id, k->id) == 0) {
            task_reject(r, t, "duplicate _id: the first document with this _id is kept");
            continue;
        }
        bool same_owner = kept > 0 && strcmp(r->tasks[kept - 1].task.user_id, k->user_id) == 0;
        if (!same_owner)
            prev = 0;
        int64_t second = core_objectid_time_ms(t->oid), created = t->created_in_doc;
        if (created == STORE_TIME_NONE || created < second || created >= second + 1000 || created < prev)
            created = second > prev ? second : prev;
        k->created_at = prev = created;
        if (k->updated_at == STORE_TIME_NONE || k->updated_at < created)
            k->updated_at = created;
        if (k->status == STORE_TASK_COMPLETED && k->completed_at == STORE_TIME_NONE)
            k->completed_at = k->updated_at;
        r->tasks[kept++] = *t;
    }
    r->ntasks = kept;
}

/* --dry-run: what the store would answer, from reads. */
static int dry_tasks(run_t *r, const store_task_t *batch, size_t n, int *results)
{
    char owner[CORE_UUID_LEN + 1] = "", last[CORE_UUID_LEN + 1] = "";
    bool owner_here = false;

    for (size_t k = 0; k < n; k++) {
        store_task_t found;
        if (strcmp(owner, batch[k].user_id) != 0) {
            snprintf(owner, sizeof(owner), "%s", batch[k].user_id);
            last[0] = '\0';
            if (store_user_exists(r->store, owner, &owner_here) != CORE_OK)
                return -1;
            /* users of this run's --users file count as there */
            for (size_t i = 0; !owner_here && i < r->nusers; i++)
                owner_here = strcmp(r->users[i].user.id, owner) == 0 && !r->user_refused[i];
            store_task_query_t q = {.user_id = owner, .status = -1, .priority = -1, .due_before = STORE_TIME_NONE,
                                    .due_after = STORE_TIME_NONE, .sort = STORE_SORT_CREATED_AT, .desc = true,
                                    .limit = 1};
            store_task_page_t page;
            if (owner_here && store_task_list(r->store, &r->pool, &q, &page) == CORE_OK && page.len == 1)
                snprintf(last, sizeof(last), "%s", page.tasks[0].id);
        }
        if (store_task_get(r->store, &r->pool, owner, batch[k].id, &found) == CORE_OK)
            results[k] = STORE_IMPORT_EXISTS;
        else if (!owner_here)
            results[k] = STORE_IMPORT_NO_USER;
        else if (last[0] != '\0' && strcmp(last, batch[k].id) >= 0)
            results[k] = STORE_IMPORT_NOT_AFTER;
        else
            results[k] = STORE_IMPORT_INSERTED;
    }
    return 0;
}

static int insert_tasks(run_t *r)
{
    store_task_t *batch = core_malloc((size_t)r->opts->batch * sizeof(*batch));
    int *results = core_malloc((size_t)r->opts->batch * sizeof(*results));
    int rc = 0;

    for (size_t i = 0; i < r->ntasks && rc == 0; i += (size_t)r->opts->batch) {
        size_t n = r->ntasks - i < (size_t)r->opts->batch ? r->ntasks - i : (size_t)r->opts->batch;
        for (size_t k = 0; k < n; k++)
            batch[k] = r->tasks[i + k].task;
        if (r->opts->dry_run ? dry_tasks(r, batch, n, results) != 0
                             : store_import_tasks(r->store, batch, n, results) != CORE_OK) {
            fprintf(stderr, "lsf-server import: inserting tasks failed (see the log above); a re-run goes on from "
                            "the last batch\n");
            rc = -1;
            break;
        }
        for (size_t k = 0; k < n; k++) {
            const ops_import_task_t *t = &r->tasks[i + k];
            switch (results[k]) {
            case STORE_IMPORT_INSERTED: r->t.inserted++; break;
            case STORE_IMPORT_EXISTS: r->t.existing++; break;
            case STORE_IMPORT_NO_USER:
                task_reject(r, t, "orphan task: its userId is neither in the users file nor an account here");
                break;
            default:
                task_reject(r, t, "its user has tasks here newer than this one (created in LSF Tasks after the "
                                  "export); import never inserts a task before a user's latest");
                break;
            }
        }
        progress(r, "tasks", (int64_t)(i + n), (int64_t)r->ntasks, false);
    }
    free(batch);
    free(results);
    return rc;
}

/* CPU time (user + system) this process has used, in ms. */
static int64_t cpu_ms(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

static int do_tasks(run_t *r)
{
    if (read_tasks(r) != 0)
        return -1;
    settle_tasks(r);
    int64_t t0 = core_clock_now_ms(), cpu0 = cpu_ms();
    r->started_ms = t0;
    int rc = insert_tasks(r);
    progress(r, "tasks", (int64_t)r->ntasks, (int64_t)r->ntasks, true);
    int64_t ms = core_clock_now_ms() - t0, cpu = cpu_ms() - cpu0;
    /* the CPU figure does not depend on what else the machine runs */
    if (rc == 0 && r->t.inserted > 0)
        printf("import: inserted %lld tasks in %lld ms (%lld ms of CPU): %.0f tasks/s, %.0f per CPU second\n",
               (long long)r->t.inserted, (long long)ms, (long long)cpu,
               ms > 0 ? (double)r->t.inserted * 1000.0 / (double)ms : 0.0,
               cpu > 0 ? (double)r->t.inserted * 1000.0 / (double)cpu : 0.0);
    return rc;
}

static void summary(const run_t *r)
{
    const char *verb = r->opts->dry_run ? "would import" : "imported";
    if (r->opts->users_path != NULL)
        printf("import: users: %lld read, %lld %s, %lld already here, %lld refused; pending codes dropped for %lld\n",
               (long long)r->u.read, (long long)r->u.inserted, verb, (long long)r->u.existing,
               (long long)r->u.refused, (long long)r->dropped_codes);
    if (r->opts->tasks_path != NULL)
        printf("import: tasks: %lld read, %lld %s, %lld already here, %lld refused\n", (long long)r->t.read,
               (long long)r->t.inserted, verb, (long long)r->t.existing, (long long)r->t.refused);
    if (r->u.refused + r->t.refused > 0)
        printf("import: refused documents, with the reason for each: %s\n", r->opts->rejects_path);
    if (r->opts->dry_run)
        printf("import: dry run: nothing was written to the database\n");
}

int ops_import(const core_config_t *cfg, const ops_import_options_t *opts)
{
    run_t r = {.cfg = cfg, .opts = opts};
    int status = EXIT_FAILURE, applied = 0;

    core_pool_init(&r.pool);
    r.started_ms = r.progress_ms = core_clock_now_ms();
    if ((r.rejects = open_rejects(opts->rejects_path)) == NULL)
        goto out;
    /* a dry run migrates too (the schema, never rows): its reads need the tables */
    if (store_open(cfg->database_url, &r.store) != CORE_OK || store_migrate(r.store, &applied) != CORE_OK) {
        fprintf(stderr, "lsf-server import: cannot open the database\n");
        goto out;
    }
    if (opts->users_path != NULL && do_users(&r) != 0)
        goto out;
    if (opts->tasks_path != NULL && do_tasks(&r) != 0)
        goto out;
    status = EXIT_SUCCESS;
out:
    summary(&r);
    if (r.rejects != NULL && fclose(r.rejects) != 0)
        status = EXIT_FAILURE;
    for (size_t i = 0; i < r.nusers; i++)
        bson_destroy(r.users[i].doc);
    free(r.users);
    free(r.refused_owners);
    free(r.user_refused);
    free(r.tasks);
    store_close(r.store);
    core_pool_cleanup(&r.pool);
    return status;
}
