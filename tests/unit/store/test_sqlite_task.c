/*
 * Tests of the tasks of the SQLite backend (sqlite/task.c) through the
 * store_t ops: create/get/update/delete and ownership, the per-user counters
 * behind totals and stats, the full-text index kept in step by the triggers,
 * search text that must never act as FTS5 syntax, offset and keyset pages
 * against an order and filter model computed here, and EXPLAIN QUERY PLAN of
 * every list and count shape (no full scan, every access keyed by user_id).
 * It includes task.c to reach the static SQL of the fixed statements.
 */
#include "store/test_sqlite_fixture.h"

#include "store/sqlite/task.c"
#include "store/sqlite/trash.c"

#include <ctype.h>

#include "core/clock.h"
#include "core/uuid.h"

#define U1 "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c91"
#define U2 "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c92"
#define T0 INT64_C(1700000000000)
#define DAY INT64_C(86400000)
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int setup(void **state)
{
    fixture_t *f;
    store_user_t a = fixture_user('1', "a@example.com", T0), b = fixture_user('2', "b@example.com", T0);

    if (fixture_setup(state) != 0)
        return -1;
    f = *state;
    if (store_user_create(f->store, &a, NULL) != CORE_OK || store_user_create(f->store, &b, NULL) != CORE_OK)
        return -1;
    return 0;
}

/* A task of user created at `at` (its UUIDv7 id is made from `at`), with the
 * API's defaults. */
static store_task_t task_new(const char *user_id, int64_t at, const char *title)
{
    store_task_t t = {.title = title,
                      .description = "",
                      .status = STORE_TASK_PENDING,
                      .priority = STORE_TASK_MEDIUM,
                      .due_date = STORE_TIME_NONE,
                      .completed_at = STORE_TIME_NONE,
                      .created_at = at,
                      .updated_at = at};

    core_uuid_v7(at, t.id);
    snprintf(t.user_id, sizeof(t.user_id), "%s", user_id);
    return t;
}

static store_task_query_t query(const char *user_id)
{
    store_task_query_t q = {.user_id = user_id,
                            .status = -1,
                            .priority = -1,
                            .due_before = STORE_TIME_NONE,
                            .due_after = STORE_TIME_NONE,
                            .sort = STORE_SORT_CREATED_AT,
                            .desc = true,
                            .limit = STORE_TASK_PAGE_MAX};
    return q;
}

/* Rows of tasks as SQLite sees them, bypassing the counters. */
static int64_t sql_count(fixture_t *f, const char *sql)
{
    sqlite3_stmt *st;
    int64_t n = -1;

    assert_int_equal(sqlite3_prepare_v2(store_sqlite_of(f->store)->db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static int64_t list_total(fixture_t *f, const store_task_query_t *q)
{
    store_task_page_t page;
    assert_int_equal(store_task_list(f->store, &f->pool, q, &page), CORE_OK);
    return page.total;
}

static void assert_same_task(const store_task_t *a, const store_task_t *b)
{
    assert_string_equal(a->id, b->id);
    assert_string_equal(a->user_id, b->user_id);
    assert_string_equal(a->title, b->title);
    assert_string_equal(a->description, b->description);
    assert_int_equal(a->status, b->status);
    assert_int_equal(a->priority, b->priority);
    assert_true(a->due_date == b->due_date);
    assert_int_equal(a->tags_len, b->tags_len);
    for (size_t i = 0; i < a->tags_len; i++)
        assert_string_equal(a->tags[i], b->tags[i]);
    assert_true(a->completed_at == b->completed_at);
    assert_true(a->created_at == b->created_at);
    assert_true(a->updated_at == b->updated_at);
}

/* CRUD and ownership. */

static void test_create_get_round_trip(void **state)
{
    fixture_t *f = *state;
    static const char *tags[] = {"work", "q3", "naïve 日本"};
    store_task_t t = task_new(U1, T0 + 1, "Write the report ✓"), got;

    t.description = "Quarterly\nnumbers, \"quoted\"";
    t.status = STORE_TASK_IN_PROGRESS;
    t.priority = STORE_TASK_HIGH;
    t.due_date = T0 + DAY;
    t.tags = tags;
    t.tags_len = NELEM(tags);
    t.updated_at = T0 + 2;
    assert_int_equal(store_task_create(f->store, &t), CORE_OK);

    memset(&got, 0, sizeof(got));
    assert_int_equal(store_task_get(f->store, &f->pool, U1, t.id, &got), CORE_OK);
    assert_same_task(&got, &t);

    /* null due date and completion, no tags */
    store_task_t bare = task_new(U1, T0 + 3, "bare");
    bare.status = STORE_TASK_COMPLETED;
    bare.completed_at = T0 + 3;
    assert_int_equal(store_task_create(f->store, &bare), CORE_OK);
    assert_int_equal(store_task_get(f->store, &f->pool, U1, bare.id, &got), CORE_OK);
    assert_same_task(&got, &bare);

    /* another user's task, an unknown id, a non-uuid: all just not found */
    assert_int_equal(store_task_get(f->store, &f->pool, U2, t.id, &got), CORE_E_NOT_FOUND);
    assert_int_equal(store_task_get(f->store, &f->pool, U1, "0190f3c6-0000-7000-8000-000000000000", &got),
                     CORE_E_NOT_FOUND);
    assert_int_equal(store_task_get(f->store, &f->pool, U1, "' OR 1=1 --", &got), CORE_E_NOT_FOUND);
}

/* Constraints answer their 4xx, never CORE_E_INTERNAL: the foreign key of a
 * task whose user is gone is CORE_E_NOT_FOUND (the API says 401), a value
 * the CHECKs refuse CORE_E_VALIDATION, a duplicate id CORE_E_CONFLICT; each
 * leaves nothing behind. */
static void test_constraints_are_not_internal(void **state)
{
    fixture_t *f = *state;
    store_task_t orphan = task_new("0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c99", T0, "nobody's");
    store_task_t bad = task_new(U1, T0 + 1, "bad status"), first = task_new(U1, T0 + 2, "first"), again;

    core_log_level = CORE_LOG_ERROR + 1; /* each is logged as a warning */
    assert_int_equal(store_task_create(f->store, &orphan), CORE_E_NOT_FOUND);
    orphan.id[0] = '\0'; /* the store stamps it: the same answer */
    assert_int_equal(store_task_create(f->store, &orphan), CORE_E_NOT_FOUND);
    bad.status = 7;
    assert_int_equal(store_task_create(f->store, &bad), CORE_E_VALIDATION);
    bad.status = STORE_TASK_PENDING;
    bad.priority = -1;
    assert_int_equal(store_task_create(f->store, &bad), CORE_E_VALIDATION);
    assert_int_equal(store_task_create(f->store, &first), CORE_OK);
    again = first;
    assert_int_equal(store_task_create(f->store, &again), CORE_E_CONFLICT);
    core_log_level = CORE_LOG_ERROR;
    assert_int_equal(sql_count(f, "SELECT count(*) FROM tasks"), 1);
    assert_int_equal(sql_count(f, "SELECT coalesce(sum(n), 0) FROM task_counts"), 1);
}

/* A task created without an id gets one after the user's latest task (even
 * a task dated in the future), with created_at its time. */
static void test_create_stamps_after_latest(void **state)
{
    fixture_t *f = *state;
    int64_t future = core_clock_now_ms() + DAY;
    store_task_t late = task_new(U1, future, "from a clock ahead"), got;
    char prev[CORE_UUID_LEN + 1];

    assert_int_equal(store_task_create(f->store, &late), CORE_OK);
    snprintf(prev, sizeof(prev), "%s", late.id);
    for (int i = 0; i < 50; i++) {
        store_task_t t = task_new(U1, 0, "stamped");
        t.id[0] = '\0';
        t.status = i % 2 ? STORE_TASK_COMPLETED : STORE_TASK_PENDING;
        t.completed_at = i % 2 ? 1 : STORE_TIME_NONE;
        assert_int_equal(store_task_create(f->store, &t), CORE_OK);
        assert_true(strcmp(prev, t.id) < 0);
        assert_true(t.created_at == core_uuid_v7_time_ms(core_str_c(t.id)));
        assert_true(t.created_at >= future && t.updated_at == t.created_at);
        assert_true(t.completed_at == (i % 2 ? t.created_at : STORE_TIME_NONE));
        assert_int_equal(store_task_get(f->store, &f->pool, U1, t.id, &got), CORE_OK);
        assert_same_task(&got, &t);
        snprintf(prev, sizeof(prev), "%s", t.id);
    }
    /* another user's tasks do not move this user's clock */
    store_task_t other = task_new(U2, 0, "other");
    other.id[0] = '\0';
    assert_int_equal(store_task_create(f->store, &other), CORE_OK);
    assert_true(other.created_at < future);
}

static void test_update_follows_patch_rules(void **state)
{
    fixture_t *f = *state;
    static const char *new_tags[] = {"home"};
    store_task_t t = task_new(U1, T0, "first"), out, got;
    store_task_patch_t p = {0};

    assert_int_equal(store_task_create(f->store, &t), CORE_OK);

    /* another user cannot touch it, and the failed attempt changes nothing */
    p.fields = STORE_TASK_F_TITLE;
    p.values.title = "stolen";
    assert_int_equal(store_task_update(f->store, &f->pool, U2, t.id, &p, T0 + 50, &out), CORE_E_NOT_FOUND);
    assert_int_equal(store_task_get(f->store, &f->pool, U1, t.id, &got), CORE_OK);
    assert_same_task(&got, &t);

    /* completing sets completedAt and bumps updatedAt; other fields stay */
    p.fields = STORE_TASK_F_TITLE | STORE_TASK_F_STATUS;
    p.values.title = "second";
    p.values.status = STORE_TASK_COMPLETED;
    assert_int_equal(store_task_update(f->store, &f->pool, U1, t.id, &p, T0 + 100, &out), CORE_OK);
    assert_string_equal(out.title, "second");
    assert_int_equal(out.status, STORE_TASK_COMPLETED);
    assert_true(out.completed_at == T0 + 100);
    assert_true(out.updated_at == T0 + 100);
    assert_true(out.created_at == T0);
    assert_int_equal(out.priority, STORE_TASK_MEDIUM);
    assert_int_equal(store_task_get(f->store, &f->pool, U1, t.id, &got), CORE_OK);
    assert_same_task(&got, &out);

    /* completed again: completedAt keeps the first completion */
    p.fields = STORE_TASK_F_STATUS;
    assert_int_equal(store_task_update(f->store, &f->pool, U1, t.id, &p, T0 + 200, &out), CORE_OK);
    assert_true(out.completed_at == T0 + 100);
    assert_true(out.updated_at == T0 + 200);

    /* leaving completed clears it; tags and due date replaced */
    p.fields = STORE_TASK_F_STATUS | STORE_TASK_F_TAGS | STORE_TASK_F_DUE_DATE;
    p.values.status = STORE_TASK_IN_PROGRESS;
    p.values.tags = new_tags;
    p.values.tags_len = 1;
    p.values.due_date = T0 + 5 * DAY;
    assert_int_equal(store_task_update(f->store, &f->pool, U1, t.id, &p, T0 + 300, &out), CORE_OK);
    assert_true(out.completed_at == STORE_TIME_NONE);
    assert_int_equal(store_task_get(f->store, &f->pool, U1, t.id, &got), CORE_OK);
    assert_same_task(&got, &out);
    assert_int_equal(got.tags_len, 1);
    assert_string_equal(got.tags[0], "home");
    assert_true(got.due_date == T0 + 5 * DAY);

    /* an unknown id */
    assert_int_equal(store_task_update(f->store, &f->pool, U1, "0190f3c6-0000-7000-8000-000000000000", &p, T0, &out),
                     CORE_E_NOT_FOUND);
}

static void test_delete_only_own(void **state)
{
    fixture_t *f = *state;
    store_task_t t = task_new(U1, T0, "doomed"), got;
    store_task_stats_t st;

    assert_int_equal(store_task_create(f->store, &t), CORE_OK);
    assert_int_equal(store_task_delete(f->store, U2, t.id), CORE_E_NOT_FOUND);
    assert_int_equal(store_task_get(f->store, &f->pool, U1, t.id, &got), CORE_OK);
    assert_int_equal(store_task_delete(f->store, U1, t.id), CORE_OK);
    assert_int_equal(store_task_get(f->store, &f->pool, U1, t.id, &got), CORE_E_NOT_FOUND);
    assert_int_equal(store_task_delete(f->store, U1, t.id), CORE_E_NOT_FOUND);
    assert_int_equal(store_task_stats(f->store, U1, T0, &st), CORE_OK);
    assert_int_equal(st.total, 0);
    assert_int_equal(sql_count(f, "SELECT count(*) FROM task_tags"), 0);
}

/* Counters. */

/* The write hook of the batch test: how many task writes it was told of. */
static int hook_told;

static void hook_written(void *ctx, store_t *s, const store_write_t *w)
{
    (void)ctx;
    (void)s;
    if (w->kind == STORE_WROTE_TASKS && strcmp(w->user_id, U1) == 0)
        hook_told++;
}

/* Group commit (store_batch_begin): each operation a savepoint, one commit,
 * and the write hook told only once it committed. */
static void test_batch_commits_together_and_fails_alone(void **state)
{
    fixture_t *f = *state;
    store_t *other;
    store_task_t a = task_new(U1, T0, "first"), b = task_new(U1, T0 + 1, "second"), got, upd;
    store_task_patch_t patch = {.fields = 0};
    store_task_stats_t st;
    static const store_hooks_t hooks = {.written = hook_written};

    hook_told = 0;
    store_hooks_set(&hooks);
    assert_int_equal(store_open(f->url, &other), CORE_OK);
    assert_true(store_batch_offered(f->store));
    assert_int_equal(store_batch_begin(f->store), CORE_OK);
    assert_int_equal(store_task_create(f->store, &a), CORE_OK);
    /* a failing operation is undone alone: the batch goes on */
    assert_int_equal(store_task_update(f->store, &f->pool, U1, "0190f3c6-0000-7000-8000-000000000000", &patch, T0,
                                       &upd),
                     CORE_E_NOT_FOUND);
    assert_int_equal(store_task_delete(f->store, U2, a.id), CORE_E_NOT_FOUND);
    assert_int_equal(store_task_create(f->store, &b), CORE_OK);
    /* its own operations see each other; no other session sees anything yet */
    assert_int_equal(store_task_get(f->store, &f->pool, U1, a.id, &got), CORE_OK);
    assert_int_equal(store_task_stats(f->store, U1, T0, &st), CORE_OK);
    assert_int_equal(st.total, 2);
    assert_int_equal(store_task_get(other, &f->pool, U1, a.id, &got), CORE_E_NOT_FOUND);
    assert_int_equal(store_task_stats(other, U1, T0, &st), CORE_OK);
    assert_int_equal(st.total, 0);
    assert_int_equal(hook_told, 0); /* not committed: caches must not move yet */
    assert_int_equal(store_batch_end(f->store), CORE_OK);
    assert_int_equal(hook_told, 2);

    assert_int_equal(store_task_get(other, &f->pool, U1, b.id, &got), CORE_OK);
    assert_same_task(&b, &got);
    assert_int_equal(store_task_stats(other, U1, T0, &st), CORE_OK);
    assert_int_equal(st.total, 2);
    /* outside a batch the session is back to one transaction per operation */
    assert_int_equal(store_task_delete(f->store, U1, a.id), CORE_OK);
    assert_int_equal(hook_told, 3);
    assert_int_equal(store_task_get(other, &f->pool, U1, a.id, &got), CORE_E_NOT_FOUND);
    store_hooks_set(NULL);
    store_close(other);
}

static void assert_counts(fixture_t *f, const char *user_id, int64_t want[3][3])
{
    store_task_stats_t st;
    store_task_query_t q = query(user_id);
    int64_t total = 0;

    assert_int_equal(store_task_stats(f->store, user_id, T0, &st), CORE_OK);
    for (int s = 0; s < 3; s++) {
        int64_t by_s = want[s][0] + want[s][1] + want[s][2];
        assert_int_equal(st.by_status[s], by_s);
        q = query(user_id);
        q.status = s;
        assert_int_equal(list_total(f, &q), by_s);
        for (int p = 0; p < 3; p++) {
            q.priority = p;
            assert_int_equal(list_total(f, &q), want[s][p]);
        }
        total += by_s;
    }
    for (int p = 0; p < 3; p++) {
        assert_int_equal(st.by_priority[p], want[0][p] + want[1][p] + want[2][p]);
        q = query(user_id);
        q.priority = p;
        assert_int_equal(list_total(f, &q), want[0][p] + want[1][p] + want[2][p]);
    }
    assert_int_equal(st.total, total);
    q = query(user_id);
    assert_int_equal(list_total(f, &q), total);
}

static void test_counters_stay_exact(void **state)
{
    fixture_t *f = *state;
    int64_t want1[3][3] = {{0}}, want2[3][3] = {{0}};
    char ids[30][CORE_UUID_LEN + 1];
    store_task_t out;
    store_task_patch_t p = {0};

    for (int i = 0; i < 30; i++) {
        store_task_t t = task_new(U1, T0 + i, "t");
        t.status = i % 3;
        t.priority = (i / 3) % 3;
        assert_int_equal(store_task_create(f->store, &t), CORE_OK);
        memcpy(ids[i], t.id, sizeof(ids[i]));
        want1[t.status][t.priority]++;
    }
    for (int i = 0; i < 4; i++) {
        store_task_t t = task_new(U2, T0 + 100 + i, "other");
        t.priority = STORE_TASK_HIGH;
        assert_int_equal(store_task_create(f->store, &t), CORE_OK);
        want2[0][2]++;
    }
    assert_counts(f, U1, want1);
    assert_counts(f, U2, want2);

    /* status and priority changes move counts; a title change and a no-op
     * status change do not */
    for (int i = 0; i < 30; i += 4) {
        store_task_t before;
        assert_int_equal(store_task_get(f->store, &f->pool, U1, ids[i], &before), CORE_OK);
        p.fields = STORE_TASK_F_STATUS | STORE_TASK_F_PRIORITY | STORE_TASK_F_TITLE;
        p.values.status = (i / 4) % 3;
        p.values.priority = (i / 5) % 3;
        p.values.title = "renamed";
        assert_int_equal(store_task_update(f->store, &f->pool, U1, ids[i], &p, T0 + 1000, &out), CORE_OK);
        want1[before.status][before.priority]--;
        want1[out.status][out.priority]++;
    }
    assert_counts(f, U1, want1);

    /* deletes, including a failed one by the other user */
    for (int i = 1; i < 30; i += 3) {
        store_task_t before;
        assert_int_equal(store_task_get(f->store, &f->pool, U1, ids[i], &before), CORE_OK);
        assert_int_equal(store_task_delete(f->store, U2, ids[i]), CORE_E_NOT_FOUND);
        assert_int_equal(store_task_delete(f->store, U1, ids[i]), CORE_OK);
        want1[before.status][before.priority]--;
    }
    assert_counts(f, U1, want1);
    assert_counts(f, U2, want2);

    /* the counters agree with the rows themselves, and never go negative */
    assert_int_equal(sql_count(f, "SELECT count(*) FROM tasks"),
                     sql_count(f, "SELECT sum(n) FROM task_counts"));
    assert_int_equal(sql_count(f, "SELECT count(*) FROM task_counts WHERE n < 0"), 0);
    assert_int_equal(sql_count(f, "SELECT count(*) FROM (SELECT user_id, status, priority, count(*) AS c FROM tasks "
                                  "GROUP BY 1, 2, 3) t LEFT JOIN task_counts k USING (user_id, status, priority) "
                                  "WHERE k.n IS NOT t.c"),
                     0);
}

static void test_stats_time_windows(void **state)
{
    fixture_t *f = *state;
    const int64_t midnight = INT64_C(1710028800000); /* 2024-03-10T00:00:00Z */
    const int64_t now = midnight + 12 * 3600000;
    struct {
        int status;
        int64_t due, completed_at;
    } rows[] = {
        {STORE_TASK_PENDING, midnight - DAY, STORE_TIME_NONE},         /* overdue */
        {STORE_TASK_COMPLETED, midnight - DAY, now - 6 * DAY},         /* done: not overdue; in 7 days */
        {STORE_TASK_IN_PROGRESS, midnight + 18 * 3600000, STORE_TIME_NONE}, /* today, later */
        {STORE_TASK_PENDING, midnight + 6 * 3600000, STORE_TIME_NONE},  /* today, overdue */
        {STORE_TASK_PENDING, midnight, STORE_TIME_NONE},                /* today's first ms, overdue */
        {STORE_TASK_PENDING, midnight + DAY, STORE_TIME_NONE},          /* tomorrow's first ms */
        {STORE_TASK_PENDING, now, STORE_TIME_NONE},                     /* due right now: today, not yet overdue */
        {STORE_TASK_PENDING, STORE_TIME_NONE, STORE_TIME_NONE},         /* no due date */
        {STORE_TASK_COMPLETED, midnight + 1, now - 8 * DAY},            /* done today: not due today; too old */
        {STORE_TASK_COMPLETED, STORE_TIME_NONE, now - 7 * DAY},         /* exactly 7 days ago: counted */
        {STORE_TASK_COMPLETED, STORE_TIME_NONE, now - 7 * DAY - 1},     /* just outside */
    };
    store_task_stats_t st;

    for (size_t i = 0; i < NELEM(rows); i++) {
        store_task_t t = task_new(U1, T0 + (int64_t)i, "w");
        t.status = rows[i].status;
        t.due_date = rows[i].due;
        t.completed_at = rows[i].completed_at;
        assert_int_equal(store_task_create(f->store, &t), CORE_OK);
    }
    /* the other user's overdue task counts for nobody else */
    store_task_t other = task_new(U2, T0, "x");
    other.due_date = midnight + 1;
    assert_int_equal(store_task_create(f->store, &other), CORE_OK);

    assert_int_equal(store_task_stats(f->store, U1, now, &st), CORE_OK);
    assert_int_equal(st.total, (int64_t)NELEM(rows));
    assert_int_equal(st.by_status[STORE_TASK_COMPLETED], 4);
    assert_int_equal(st.overdue, 3);
    assert_int_equal(st.due_today, 4);
    assert_int_equal(st.completed_last_7_days, 2);
}

/* Full-text search. */

static size_t search_count(fixture_t *f, const char *user_id, const char *text)
{
    store_task_query_t q = query(user_id);
    store_task_page_t page;

    q.search = text;
    assert_int_equal(store_task_list(f->store, &f->pool, &q, &page), CORE_OK);
    assert_int_equal(page.total, (int64_t)page.len);
    return page.len;
}

static void test_fts_follows_update_and_delete(void **state)
{
    fixture_t *f = *state;
    static const char *tags[] = {"kitchen"}, *tags2[] = {"garden", "Zürich"};
    store_task_t t = task_new(U1, T0, "Alpha report"), other = task_new(U2, T0 + 1, "alpha of someone else"), out;
    store_task_patch_t p = {0};

    t.description = "numbers for the board";
    t.tags = tags;
    t.tags_len = 1;
    assert_int_equal(store_task_create(f->store, &t), CORE_OK);
    assert_int_equal(store_task_create(f->store, &other), CORE_OK);

    assert_int_equal(search_count(f, U1, "alpha"), 1);
    assert_int_equal(search_count(f, U1, "ALP"), 1);     /* prefix, any case */
    assert_int_equal(search_count(f, U1, "álpha"), 1);   /* accents ignored */
    assert_int_equal(search_count(f, U1, "board kitch"), 1);
    assert_int_equal(search_count(f, U1, "alpha garden"), 0); /* every word must match */
    assert_int_equal(search_count(f, U1, "someone"), 0);      /* the other user's words */
    assert_int_equal(search_count(f, U2, "alpha"), 1);

    p.fields = STORE_TASK_F_TITLE;
    p.values.title = "Beta summary";
    assert_int_equal(store_task_update(f->store, &f->pool, U1, t.id, &p, T0 + 10, &out), CORE_OK);
    assert_int_equal(search_count(f, U1, "alpha"), 0);
    assert_int_equal(search_count(f, U1, "beta"), 1);
    assert_int_equal(search_count(f, U1, "board"), 1); /* untouched fields still indexed */

    p.fields = STORE_TASK_F_DESCRIPTION | STORE_TASK_F_TAGS;
    p.values.description = "minutes";
    p.values.tags = tags2;
    p.values.tags_len = 2;
    assert_int_equal(store_task_update(f->store, &f->pool, U1, t.id, &p, T0 + 20, &out), CORE_OK);
    assert_int_equal(search_count(f, U1, "board"), 0);
    assert_int_equal(search_count(f, U1, "kitchen"), 0);
    assert_int_equal(search_count(f, U1, "minutes garden"), 1);
    assert_int_equal(search_count(f, U1, "zurich"), 1);

    /* a status-only update leaves the index alone and still matches */
    p.fields = STORE_TASK_F_STATUS;
    p.values.status = STORE_TASK_COMPLETED;
    assert_int_equal(store_task_update(f->store, &f->pool, U1, t.id, &p, T0 + 30, &out), CORE_OK);
    assert_int_equal(search_count(f, U1, "beta"), 1);

    assert_int_equal(store_task_delete(f->store, U1, t.id), CORE_OK);
    assert_int_equal(search_count(f, U1, "beta"), 0);
    assert_int_equal(search_count(f, U1, "garden"), 0);
    assert_int_equal(search_count(f, U2, "alpha"), 1);
    /* the index holds exactly the rows of tasks */
    assert_int_equal(sql_count(f, "SELECT count(*) FROM tasks_fts WHERE tasks_fts MATCH 'alpha OR beta OR garden'"),
                     1);
}

static void test_search_text_is_never_syntax(void **state)
{
    fixture_t *f = *state;
    static const char *const nasty[] = {
        "\"OR * NEAR(", "\"", "\"\"\"", "*", "NEAR(alpha beta)", "alpha OR beta", "alpha NOT beta", "NOT alpha",
        "title:alpha", "owner:alpha", "{title}: alpha", "-alpha", "^alpha", "alpha*", "(alpha", "alpha)",
        "+", ":", "'", "'; DROP TABLE tasks; --", "a\"b", "\\", "AND", "OR", "NEAR", "alpha AND", "%", "_",
        "\t\n", "  ", "€", "🚀",
    };
    store_task_t a = task_new(U1, T0, "alpha"), b = task_new(U1, T0 + 1, "beta");

    assert_int_equal(store_task_create(f->store, &a), CORE_OK);
    assert_int_equal(store_task_create(f->store, &b), CORE_OK);
    for (size_t i = 0; i < NELEM(nasty); i++)
        (void)search_count(f, U1, nasty[i]); /* CORE_OK is asserted inside */

    /* as syntax each would match a task; as words none does */
    assert_int_equal(search_count(f, U1, "alpha OR beta"), 0);
    assert_int_equal(search_count(f, U1, "NEAR(alpha beta)"), 0);
    assert_int_equal(search_count(f, U1, "alpha NOT beta"), 0);
    assert_int_equal(search_count(f, U1, "title:alpha"), 0);
    assert_int_equal(search_count(f, U1, "owner:" U1), 0);
    assert_int_equal(search_count(f, U1, "*"), 0);
    /* punctuation around a word is not part of it */
    assert_int_equal(search_count(f, U1, "(alpha)"), 1);
    assert_int_equal(search_count(f, U1, "\"alpha\""), 1);
    assert_int_equal(search_count(f, U1, "alpha*"), 1);
    /* a "word" of only punctuation or symbols, ASCII or not, has nothing to
     * match and must not make every other word fail */
    assert_int_equal(search_count(f, U1, "alpha -"), 1);
    assert_int_equal(search_count(f, U1, "alpha \xe2\x80\x94"), 1);           /* em dash */
    assert_int_equal(search_count(f, U1, "\xc2\xb7 alpha \xf0\x9f\x9a\x80"), 1); /* middle dot, rocket */
    assert_int_equal(search_count(f, U1, "\xe2\x80\x9c" "alpha\xe2\x80\x9d"), 1); /* curly quotes */
    assert_int_equal(search_count(f, U1, "\xe2\x80\x94"), 0);
    /* the other user's id is not a word of this user's tasks */
    assert_int_equal(search_count(f, U1, "0190f3c68d5e7b1a9c3d4e5f6a7b8c91"), 0);
}

/* Search text at the API's limit (200 characters) of the shapes that grow
 * most when quoted: many one-letter words, and quote-heavy words. */
static void test_search_long_text(void **state)
{
    fixture_t *f = *state;
    char text[4 * STORE_TASK_TITLE_MAX + 1];
    store_task_t a = task_new(U1, T0, "a a");

    assert_int_equal(store_task_create(f->store, &a), CORE_OK);
    for (size_t i = 0; i < STORE_TASK_TITLE_MAX; i++)
        text[i] = i % 2 == 0 ? 'a' : ' ';
    text[STORE_TASK_TITLE_MAX] = '\0';
    assert_int_equal(search_count(f, U1, text), 1);

    for (size_t i = 0; i < STORE_TASK_TITLE_MAX; i++)
        text[i] = i % 3 == 0 ? 'a' : i % 3 == 1 ? '"' : ' ';
    text[STORE_TASK_TITLE_MAX] = '\0';
    assert_int_equal(search_count(f, U1, text), 1);

    /* 200 four-byte characters, each its own word */
    size_t len = 0;
    for (size_t i = 0; i < STORE_TASK_TITLE_MAX / 2; i++) {
        memcpy(text + len, "\xf0\x9f\x9a\x80 ", 5);
        len += 5;
    }
    text[len] = '\0';
    assert_int_equal(search_count(f, U1, text), 0);
}

/* The list model: seeded tasks of U1 (and decoys of U2 that match every
 * filter), what each filter means and the order of each sort. */

#define SEEDS 48
#define DECOYS 12

static const char *const seed_titles[] = {"alpha report", "Beta", "beta", "gamma alphabet",
                                          "Delta", "delta",   "epsilon", "Beta"};
static const char *tags_work[] = {"work"}, *tags_home_work[] = {"home", "work"}, *tags_alphas[] = {"alphas"};

static store_task_t seed_task(int i)
{
    store_task_t t = task_new(U1, T0 + i * 1000, seed_titles[i % NELEM(seed_titles)]);

    t.description = i % 5 == 0 ? "mentions Alpha here" : "plain";
    t.status = i % 3;
    t.priority = (i / 2) % 3;
    t.due_date = i % 4 == 0 ? STORE_TIME_NONE : T0 + ((i * 7) % 10) * DAY;
    switch (i % 4) {
    case 0: t.tags = tags_work, t.tags_len = 1; break;
    case 1: t.tags = tags_home_work, t.tags_len = 2; break;
    case 2: t.tags = tags_alphas, t.tags_len = 1; break;
    default: break;
    }
    t.updated_at = T0 + 100000 + (i % 6) * 500; /* ties */
    if (t.status == STORE_TASK_COMPLETED)
        t.completed_at = t.updated_at;
    return t;
}

static void seed(fixture_t *f, store_task_t *model)
{
    for (int i = 0; i < SEEDS; i++) {
        model[i] = seed_task(i);
        assert_int_equal(store_task_create(f->store, &model[i]), CORE_OK);
    }
    for (int i = 0; i < DECOYS; i++) {
        store_task_t t = task_new(U2, T0 + i * 1000 + 500, "alpha decoy");
        t.status = STORE_TASK_IN_PROGRESS;
        t.priority = STORE_TASK_HIGH;
        t.due_date = T0 + 4 * DAY;
        t.tags = tags_work;
        t.tags_len = 1;
        assert_int_equal(store_task_create(f->store, &t), CORE_OK);
    }
}

/* The builder's statement for q into buf (for EXPLAIN), whole. */
static void shape_sql(int dialect, bool count, bool with_total, const store_task_query_t *q, char *buf, size_t cap)
{
    char *sql = NULL;
    int rc = count ? store_task_sql_count(dialect, q, &sql) : store_task_sql_list(dialect, q, with_total, &sql);

    assert_int_equal(rc, CORE_OK);
    assert_true(strlen(sql) < cap);
    memcpy(buf, sql, strlen(sql) + 1);
    store_task_sql_free(sql);
}

/* The filters of subset mask (bit i = the i-th filter of where_clause()). */
static store_task_query_t filtered_query(unsigned mask, int sort, bool desc)
{
    store_task_query_t q = query(U1);

    if (mask & STORE_TASK_Q_STATUS)
        q.status = STORE_TASK_IN_PROGRESS;
    if (mask & STORE_TASK_Q_PRIORITY)
        q.priority = STORE_TASK_HIGH;
    if (mask & STORE_TASK_Q_TAG)
        q.tag = "work";
    if (mask & STORE_TASK_Q_SEARCH)
        q.search = "alpha";
    if (mask & STORE_TASK_Q_DUE_BEFORE)
        q.due_before = T0 + 6 * DAY;
    if (mask & STORE_TASK_Q_DUE_AFTER)
        q.due_after = T0 + 2 * DAY;
    q.sort = sort;
    q.desc = desc;
    return q;
}

/* A word of s (ASCII letters and digits) starts with prefix, any case. */
static bool has_word_prefix(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);

    for (const char *p = s; *p;) {
        while (*p && !isalnum((unsigned char)*p))
            p++;
        if (strncasecmp(p, prefix, n) == 0)
            return true;
        while (isalnum((unsigned char)*p))
            p++;
    }
    return false;
}

static bool model_matches(const store_task_t *t, const store_task_query_t *q)
{
    bool tag = q->tag == NULL, words = q->search == NULL;

    for (size_t i = 0; i < t->tags_len; i++) {
        tag |= q->tag != NULL && strcmp(t->tags[i], q->tag) == 0;
        words |= q->search != NULL && has_word_prefix(t->tags[i], q->search);
    }
    if (q->search != NULL)
        words |= has_word_prefix(t->title, q->search) || has_word_prefix(t->description, q->search);
    return tag && words && (q->status < 0 || t->status == q->status) &&
           (q->priority < 0 || t->priority == q->priority) &&
           (q->due_before == STORE_TIME_NONE || (t->due_date != STORE_TIME_NONE && t->due_date < q->due_before)) &&
           (q->due_after == STORE_TIME_NONE || (t->due_date != STORE_TIME_NONE && t->due_date > q->due_after));
}

static int cmp_i64(int64_t a, int64_t b)
{
    return (a > b) - (a < b);
}

/* a before b in q's order: the sort key, then the id, both reversed by desc. */
static int model_cmp(const store_task_t *a, const store_task_t *b, int sort, bool desc)
{
    int c = 0;

    switch (sort) {
    case STORE_SORT_UPDATED_AT: c = cmp_i64(a->updated_at, b->updated_at); break;
    case STORE_SORT_DUE_DATE:
        c = cmp_i64(a->due_date == STORE_TIME_NONE ? INT64_MAX : a->due_date,
                    b->due_date == STORE_TIME_NONE ? INT64_MAX : b->due_date);
        break;
    case STORE_SORT_PRIORITY: c = cmp_i64(a->priority, b->priority); break;
    case STORE_SORT_TITLE: c = strcasecmp(a->title, b->title); break;
    default: c = cmp_i64(a->created_at, b->created_at); break;
    }
    if (c == 0)
        c = strcmp(a->id, b->id);
    return desc ? -c : c;
}

/* The ids model[] gives for q, in order; returns how many. */
static size_t model_list(const store_task_t *model, size_t n, const store_task_query_t *q, const store_task_t **out)
{
    size_t len = 0;

    for (size_t i = 0; i < n; i++)
        if (model_matches(&model[i], q))
            out[len++] = &model[i];
    for (size_t i = 1; i < len; i++) /* insertion sort: small n, no global state */
        for (size_t j = i; j > 0 && model_cmp(out[j - 1], out[j], q->sort, q->desc) > 0; j--) {
            const store_task_t *tmp = out[j];
            out[j] = out[j - 1];
            out[j - 1] = tmp;
        }
    return len;
}

typedef char task_id_t[CORE_UUID_LEN + 1];

/* Every page of q, limit tasks each, by offset or by keyset cursor. */
static size_t walk(fixture_t *f, const store_task_query_t *q0, bool keyset, size_t limit, task_id_t *ids, size_t cap,
                   int64_t *total)
{
    store_task_query_t q = *q0;
    store_task_cursor_t c;
    size_t n = 0;

    q.limit = limit;
    q.offset = 0;
    q.after = NULL;
    for (int pages = 0;; pages++) {
        store_task_page_t page;
        assert_int_equal(store_task_list(f->store, &f->pool, &q, &page), CORE_OK);
        if (pages == 0)
            *total = page.total;
        assert_int_equal(page.total, *total);
        assert_true(page.len <= limit);
        for (size_t i = 0; i < page.len; i++) {
            assert_true(n < cap);
            memcpy(ids[n++], page.tasks[i].id, sizeof(task_id_t));
        }
        if (!page.more)
            break;
        assert_int_equal(page.len, limit);
        assert_true(pages < 1000);
        if (keyset) {
            store_task_cursor_of(&page.tasks[page.len - 1], q.sort, q.desc, &c);
            q.after = &c;
        } else {
            q.offset += (int64_t)limit;
        }
    }
    return n;
}

static const char *const sort_names[] = {"createdAt", "updatedAt", "dueDate", "priority", "title"};

static void test_pages_match_model(void **state)
{
    fixture_t *f = *state;
    store_task_t model[SEEDS];
    const store_task_t *want[SEEDS];
    task_id_t got[SEEDS + 1];
    int failures = 0;

    seed(f, model);
    for (unsigned mask = 0; mask < STORE_TASK_Q_SHAPES; mask++)
        for (int sort = 0; sort < STORE_TASK_SORTS; sort++)
            for (int desc = 0; desc < 2; desc++) {
                store_task_query_t q = filtered_query(mask, sort, desc);
                size_t n = model_list(model, SEEDS, &q, want);
                for (int keyset = 0; keyset < 2; keyset++) {
                    int64_t total = -1;
                    size_t len = walk(f, &q, keyset, 7, got, NELEM(got), &total);
                    bool same = len == n && total == (int64_t)n;
                    for (size_t i = 0; same && i < n; i++)
                        same = strcmp(got[i], want[i]->id) == 0;
                    if (!same && failures++ < 10)
                        print_error("filters 0x%02x sort %s%s %s: got %zu (total %lld), model %zu\n", mask,
                                    desc ? "-" : "", sort_names[sort], keyset ? "keyset" : "offset", len,
                                    (long long)total, n);
                }
                core_pool_cleanup(&f->pool);
                core_pool_init(&f->pool);
            }
    assert_int_equal(failures, 0);
}

/* Keyset pages of every sort over many ties, null due dates and titles
 * that differ only in case, one task per page: each exactly once. */
static void test_keyset_single_steps(void **state)
{
    fixture_t *f = *state;
    store_task_t model[SEEDS];
    const store_task_t *want[SEEDS];
    task_id_t got[SEEDS + 1];

    seed(f, model);
    for (int sort = 0; sort < STORE_TASK_SORTS; sort++)
        for (int desc = 0; desc < 2; desc++) {
            store_task_query_t q = filtered_query(0, sort, desc);
            int64_t total = -1;
            size_t n = model_list(model, SEEDS, &q, want);
            assert_int_equal(n, SEEDS);
            assert_int_equal(walk(f, &q, true, 1, got, NELEM(got), &total), SEEDS);
            assert_int_equal(total, SEEDS);
            for (size_t i = 0; i < n; i++)
                assert_string_equal(got[i], want[i]->id);
        }
}

static void test_offset_past_the_end(void **state)
{
    fixture_t *f = *state;
    store_task_t model[SEEDS];
    store_task_query_t q = query(U1);
    store_task_page_t page;

    seed(f, model);
    q.limit = 10;
    q.offset = 1000;
    assert_int_equal(store_task_list(f->store, &f->pool, &q, &page), CORE_OK);
    assert_int_equal(page.len, 0);
    assert_false(page.more);
    assert_int_equal(page.total, SEEDS);
    q.offset = SEEDS - 3;
    assert_int_equal(store_task_list(f->store, &f->pool, &q, &page), CORE_OK);
    assert_int_equal(page.len, 3);
    assert_false(page.more);
}

/* Query plans. */

/* The first column of index idx, into out. */
static void index_first_column(sqlite3 *db, const char *idx, char *out, size_t cap)
{
    char sql[160];
    sqlite3_stmt *st;

    snprintf(sql, sizeof(sql), "SELECT name FROM pragma_index_info('%s') WHERE seqno = 0", idx);
    out[0] = '\0';
    assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) != NULL)
        snprintf(out, cap, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

/* NULL when the plan line reads tasks, task_tags or task_counts by user_id
 * (or by rowid, or not at all); else what is wrong with it. */
static const char *plan_line_problem(sqlite3 *db, const char *detail)
{
    static const char *const tables[] = {"tasks", "task_tags", "task_counts"};
    const char *rest = NULL;
    bool search = strncmp(detail, "SEARCH ", 7) == 0;

    if (!search && strncmp(detail, "SCAN ", 5) != 0)
        return NULL;
    for (size_t i = 0; i < NELEM(tables) && rest == NULL; i++) {
        size_t n = strlen(tables[i]);
        const char *p = detail + (search ? 7 : 5);
        if (strncmp(p, tables[i], n) == 0 && (p[n] == '\0' || p[n] == ' '))
            rest = p + n;
    }
    if (rest == NULL)
        return NULL; /* tasks_fts, json_each, subqueries, constant rows */
    if (*rest == '\0')
        return "full table scan";
    if (strncmp(rest, " USING INTEGER PRIMARY KEY (rowid=", 34) == 0)
        return NULL;
    if (strstr(rest, "AUTOMATIC") != NULL)
        return "automatic index";
    const char *idx = strstr(rest, "INDEX ");
    if (idx != NULL) {
        char name[64], first[64];
        size_t n = strcspn(idx + 6, " ");
        snprintf(name, sizeof(name), "%.*s", (int)n, idx + 6);
        index_first_column(db, name, first, sizeof(first));
        if (search && strcmp(first, "id") == 0 && strstr(rest, "(id=?)") != NULL)
            return NULL; /* the UNIQUE id: one row at most, like a rowid lookup */
        if (strcmp(first, "user_id") != 0)
            return "index does not lead with user_id";
    } else if (strstr(rest, "USING PRIMARY KEY") == NULL) {
        return "unknown access";
    }
    /* every primary key and index here leads with user_id: it must be bound */
    if (!search)
        return "index scan over every user's rows";
    if (strstr(rest, "(user_id=?") == NULL)
        return "search without user_id";
    return NULL;
}

static void assert_problem(sqlite3 *db, const char *detail, const char *want)
{
    const char *got = plan_line_problem(db, detail);
    assert_non_null(got);
    assert_string_equal(got, want);
}

/* Check the plan of sql; on a problem print label, the SQL and the plan. */
static int check_plan(sqlite3 *db, const char *label, const char *sql)
{
    char eqp[2048], plan[4096];
    size_t plen = 0;
    const char *problem = NULL;
    sqlite3_stmt *st;

    snprintf(eqp, sizeof(eqp), "EXPLAIN QUERY PLAN %s", sql);
    if (sqlite3_prepare_v2(db, eqp, -1, &st, NULL) != SQLITE_OK) {
        print_error("%s: %s\n  %s\n", label, sqlite3_errmsg(db), sql);
        return 1;
    }
    plan[0] = '\0';
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *detail = (const char *)sqlite3_column_text(st, 3);
        const char *p = plan_line_problem(db, detail);
        if (p != NULL && problem == NULL)
            problem = p;
        plen += (size_t)snprintf(plan + plen, plen < sizeof(plan) ? sizeof(plan) - plen : 0, "    %s%s%s\n", detail,
                                 p ? "   <-- " : "", p ? p : "");
        if (plen >= sizeof(plan))
            plen = sizeof(plan) - 1;
    }
    sqlite3_finalize(st);
    if (problem != NULL)
        print_error("%s: %s\n  %s\n%s", label, problem, sql, plan);
    else if (getenv("TASK_PLANS") != NULL) /* TASK_PLANS=1 shows every plan */
        print_message("%s\n  %s\n%s", label, sql, plan);
    return problem != NULL;
}

static void test_every_shape_is_indexed_by_user(void **state)
{
    fixture_t *f = *state;
    sqlite3 *db = store_sqlite_of(f->store)->db;
    store_task_t model[SEEDS];
    store_task_cursor_t after = {0};
    static const char *const fixed[] = {SQL_GET,         SQL_UPDATE,      SQL_COUNTS,     SQL_OPEN_DUE,
                                        SQL_COMPLETED_SINCE, SQL_TRASH_IN, SQL_TRASH_TAKE, SQL_TRASH_OUT,
                                        SQL_TRASH_DROP,  SQL_TRASH_GET,   SQL_TRASH_LIST, SQL_TRASH_COUNT};
    char sql[1024], label[96];
    int bad = 0, checked = 0;

    seed(f, model); /* two users' rows, so the planner sees data of both */
    for (unsigned mask = 0; mask < STORE_TASK_Q_SHAPES; mask++) {
        store_task_query_t q = filtered_query(mask, STORE_SORT_CREATED_AT, true);
        shape_sql(STORE_TASK_SQL_SQLITE, true, false, &q, sql, sizeof(sql));
        snprintf(label, sizeof(label), "count, filters 0x%02x", mask);
        bad += check_plan(db, label, sql);
        checked++;
        for (int sort = 0; sort < STORE_TASK_SORTS; sort++)
            for (int desc = 0; desc < 2; desc++)
                for (int keyset = 0; keyset < 2; keyset++) {
                    q = filtered_query(mask, sort, desc);
                    q.after = keyset ? &after : NULL;
                    shape_sql(STORE_TASK_SQL_SQLITE, false, false, &q, sql, sizeof(sql));
                    snprintf(label, sizeof(label), "list, filters 0x%02x, sort %s%s, %s", mask, desc ? "-" : "",
                             sort_names[sort], keyset ? "keyset" : "offset");
                    bad += check_plan(db, label, sql);
                    checked++;
                }
    }
    for (size_t i = 0; i < NELEM(fixed); i++)
        bad += check_plan(db, "fixed statement", fixed[i]);
    /* the checker itself catches what it is for */
    assert_problem(db, "SCAN tasks", "full table scan");
    assert_problem(db, "SCAN task_tags", "full table scan");
    assert_problem(db, "SCAN tasks USING INDEX tasks_user_due", "index scan over every user's rows");
    assert_problem(db, "SEARCH task_counts USING PRIMARY KEY (status=?)", "search without user_id");
    assert_problem(db, "SEARCH tasks USING INDEX sqlite_autoindex_tasks_1 (id>?)", "index does not lead with user_id");
    assert_null(plan_line_problem(db, "SEARCH tasks USING INDEX tasks_user_title (user_id=?)"));
    assert_null(plan_line_problem(db, "SEARCH tasks USING INTEGER PRIMARY KEY (rowid=?)"));
    assert_null(plan_line_problem(db, "SCAN tasks_fts VIRTUAL TABLE INDEX 0:M1"));
    assert_int_equal(checked, STORE_TASK_Q_SHAPES * (1 + STORE_TASK_SORTS * 2 * 2));
    assert_int_equal(bad, 0);
}

/* Keyset pages exist to be as cheap deep in a list as on its first page:
 * where only index-served filters (status, priority) are present, the plan
 * must seek the sort index to the cursor and never sort what follows it. */
static void test_keyset_seeks_to_the_cursor(void **state)
{
    fixture_t *f = *state;
    sqlite3 *db = store_sqlite_of(f->store)->db;
    store_task_t model[SEEDS];
    store_task_cursor_t after = {0};
    int bad = 0;

    seed(f, model);
    for (unsigned mask = 0; mask <= (STORE_TASK_Q_STATUS | STORE_TASK_Q_PRIORITY); mask++)
        for (int sort = 0; sort < STORE_TASK_SORTS; sort++)
            for (int desc = 0; desc < 2; desc++) {
                store_task_query_t q = filtered_query(mask, sort, desc);
                char sql[1024], eqp[1100], plan[1024];
                size_t plen = 0;
                bool seek = false, temp = false;
                sqlite3_stmt *st;

                q.after = &after;
                shape_sql(STORE_TASK_SQL_SQLITE, false, false, &q, sql, sizeof(sql));
                snprintf(eqp, sizeof(eqp), "EXPLAIN QUERY PLAN %s", sql);
                assert_int_equal(sqlite3_prepare_v2(db, eqp, -1, &st, NULL), SQLITE_OK);
                plan[0] = '\0';
                while (sqlite3_step(st) == SQLITE_ROW) {
                    const char *d = (const char *)sqlite3_column_text(st, 3);
                    seek |= strncmp(d, "SEARCH tasks ", 13) == 0 &&
                            (strstr(d, "id)>(") || strstr(d, "id)<(") || strstr(d, "id>?") || strstr(d, "id<?"));
                    temp |= strstr(d, "TEMP B-TREE") != NULL;
                    if (plen < sizeof(plan))
                        plen += (size_t)snprintf(plan + plen, sizeof(plan) - plen, "    %s\n", d);
                }
                sqlite3_finalize(st);
                if (!seek || temp) {
                    bad++;
                    print_error("keyset, filters 0x%02x, sort %s%s: %s\n  %s\n%s", mask, desc ? "-" : "",
                                sort_names[sort], !seek ? "no seek to the cursor" : "sorts the rest", sql, plan);
                }
            }
    assert_int_equal(bad, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_get_round_trip, setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_constraints_are_not_internal, setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_create_stamps_after_latest, setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_update_follows_patch_rules, setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_delete_only_own, setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_batch_commits_together_and_fails_alone, setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_counters_stay_exact, setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_stats_time_windows, setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_fts_follows_update_and_delete, setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_search_text_is_never_syntax, setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_search_long_text, setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_pages_match_model, setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_keyset_single_steps, setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_offset_past_the_end, setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_every_shape_is_indexed_by_user, setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_keyset_seeks_to_the_cursor, setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
