/*
 * Tests of the connection pools of the PostgreSQL backend (postgres/pool.c):
 * an exhausted pool answers CORE_E_UNAVAILABLE within the acquire timeout
 * and serves again once a connection comes back; connections the server
 * killed are noticed and replaced; an unreachable primary fails fast; and
 * read routing: task reads go to a replica (here a second database holding
 * different rows, so the answer shows where a read went), back to the
 * primary for a user who just wrote, and to the primary when every replica
 * is down; the write hook of store.h (a fake standing for
 * Redis, i.e. another instance's write) also sends reads to the primary,
 * and so does a hook that cannot answer; and the db_pool_* gauges follow
 * the connections.
 */
#include "store/test_postgres_fixture.h"

#include <pthread.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/metrics.h"
#include "core/uuid.h"

#define U1 "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c91"
#define T0 INT64_C(1700000000000)

/* A store on a fresh migrated database with these settings, and U1. */
static int open_with(fixture_t *f, const core_config_t *cfg)
{
    store_user_t u = fixture_user('1', "a@example.com", T0);
    int applied;

    store_postgres_configure(cfg);
    if (fixture_new_db(f) != 0 || store_postgres_open(f->url, &f->store) != CORE_OK ||
        store_migrate(f->store, &applied) != CORE_OK || store_user_create(f->store, &u, NULL) != CORE_OK)
        return -1;
    core_pool_init(&f->pool);
    return 0;
}

static void close_fixture(fixture_t *f)
{
    store_close(f->store);
    core_pool_cleanup(&f->pool);
    pg_drop_db(f->name);
}

static void test_exhausted_pool_answers_unavailable(void **state)
{
    core_config_t cfg = pg_test_config();
    fixture_t f = {0};
    store_pg_conn_t *a = NULL, *b = NULL;
    int64_t start, took;

    if (!pg_server.available)
        skip();
    (void)state;
    cfg.db_pool_max = 2;
    cfg.db_pool_min = 0;
    cfg.db_pool_acquire_timeout_ms = 300;
    assert_int_equal(open_with(&f, &cfg), 0);
    store_pg_cluster_t *cl = store_pg_of(f.store)->cluster;

    assert_int_equal(store_pg_acquire(cl, STORE_PG_PRIMARY, NULL, &a), CORE_OK);
    assert_int_equal(store_pg_acquire(cl, STORE_PG_PRIMARY, NULL, &b), CORE_OK);
    start = core_clock_mono_ms();
    assert_int_equal(store_ping(f.store), CORE_E_UNAVAILABLE);
    took = core_clock_mono_ms() - start;
    assert_true(took >= 290);
    assert_true(took < 1500);
    assert_int_equal(store_pg_primary_open(cl), 2);

    store_pg_release(a);
    assert_int_equal(store_ping(f.store), CORE_OK);
    store_pg_release(b);
    assert_int_equal(store_pg_primary_open(cl), 2);
    close_fixture(&f);
}

static void test_killed_connections_are_replaced(void **state)
{
    FIXTURE(f, state);
    char sql[256];
    store_task_stats_t st;

    /* warm the pool with a few connections, then kill every one of them */
    assert_int_equal(store_ping(f->store), CORE_OK);
    assert_true(store_pg_primary_open(store_pg_of(f->store)->cluster) >= 1);
    snprintf(sql, sizeof(sql),
             "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '%s' AND pid <> pg_backend_pid()",
             f->name);
    assert_int_equal(pg_admin_exec_on("postgres", sql), 0);
    usleep(100 * 1000);
    /* the dead ones are dropped when taken; the operation gets a new one */
    assert_int_equal(store_ping(f->store), CORE_OK);
    assert_int_equal(store_task_stats(f->store, U1, T0, &st), CORE_OK);
}

static void test_unreachable_primary_fails_fast(void **state)
{
    core_config_t cfg = pg_test_config();
    store_t *s = NULL;
    int64_t start;

    if (!pg_server.available)
        skip();
    (void)state;
    cfg.db_connect_timeout_ms = 500;
    store_postgres_configure(&cfg);
    /* port 1 on loopback: refused at once */
    assert_int_equal(store_postgres_open("postgres://lsf@127.0.0.1:1/none", &s), CORE_OK);
    start = core_clock_mono_ms();
    assert_int_equal(store_ping(s), CORE_E_UNAVAILABLE);
    assert_int_equal(store_task_create(s, &(store_task_t){.id = "x", .user_id = U1, .title = "t", .description = ""}),
                     CORE_E_UNAVAILABLE);
    assert_true(core_clock_mono_ms() - start < 1500);
    store_close(s);
}

static size_t list_len(fixture_t *f)
{
    store_task_query_t q = {.user_id = U1,
                            .status = -1,
                            .priority = -1,
                            .due_before = STORE_TIME_NONE,
                            .due_after = STORE_TIME_NONE,
                            .sort = STORE_SORT_CREATED_AT,
                            .desc = true,
                            .limit = 10};
    store_task_page_t page;

    assert_int_equal(store_task_list(f->store, &f->pool, &q, &page), CORE_OK);
    return page.len;
}

static store_task_t task_at(int64_t at)
{
    store_task_t t = {.user_id = U1,
                      .title = "t",
                      .description = "",
                      .priority = STORE_TASK_MEDIUM,
                      .due_date = STORE_TIME_NONE,
                      .completed_at = STORE_TIME_NONE,
                      .created_at = at,
                      .updated_at = at};
    core_uuid_v7(at, t.id);
    return t;
}

/* The "replica": a database of its own with the same schema and user, and
 * 3 tasks the primary does not have, so a read shows where it went. */
static void open_replica(fixture_t *replica, const core_config_t *cfg)
{
    assert_int_equal(open_with(replica, cfg), 0);
    for (int i = 0; i < 3; i++) {
        store_task_t t = task_at(T0 + i);
        assert_int_equal(store_task_create(replica->store, &t), CORE_OK);
    }
}

static void test_reads_go_to_replicas(void **state)
{
    core_config_t cfg = pg_test_config();
    fixture_t replica = {0}, f = {0};
    char urls[800];
    store_task_stats_t st;

    if (!pg_server.available)
        skip();
    (void)state;
    open_replica(&replica, &cfg);
    /* a dead replica first: it is skipped */
    snprintf(urls, sizeof(urls), "postgres://lsf@127.0.0.1:1/none,%s", replica.url);
    cfg.database_replica_urls = urls;
    cfg.db_connect_timeout_ms = 500;
    cfg.db_read_your_writes_ms = 400;
    assert_int_equal(open_with(&f, &cfg), 0);

    assert_int_equal(list_len(&f), 3); /* read on the replica */
    assert_int_equal(list_len(&f), 3);
    assert_int_equal(store_task_stats(f.store, U1, T0, &st), CORE_OK);
    assert_int_equal(st.total, 3);

    store_task_t mine = task_at(T0 + 100);
    assert_int_equal(store_task_create(f.store, &mine), CORE_OK);
    assert_int_equal(list_len(&f), 1); /* read your writes: the primary */
    store_task_t got;
    assert_int_equal(store_task_get(f.store, &f.pool, U1, mine.id, &got), CORE_OK);
    usleep(500 * 1000);
    assert_int_equal(list_len(&f), 3); /* the window passed: the replica again */

    /* every replica gone: the primary serves reads */
    close_fixture(&replica);
    assert_int_equal(list_len(&f), 1);
    assert_int_equal(list_len(&f), 1);
    close_fixture(&f);
}

/* The access phase's account check: a replica's "yes" is taken, its "no" is
 * asked again of the primary (a sign-up the replica has not replayed). */
static void test_user_exists_asks_primary_on_no(void **state)
{
    core_config_t cfg = pg_test_config();
    fixture_t replica = {0}, f = {0};
    store_user_t fresh = fixture_user('2', "fresh@example.com", T0);
    store_user_t gone = fixture_user('3', "gone@example.com", T0);
    bool exists = false;
    char urls[400];

    if (!pg_server.available)
        skip();
    (void)state;
    open_replica(&replica, &cfg);
    snprintf(urls, sizeof(urls), "%s", replica.url);
    cfg.database_replica_urls = urls;
    assert_int_equal(open_with(&f, &cfg), 0);
    assert_int_equal(store_user_create(f.store, &fresh, NULL), CORE_OK);  /* primary only */
    assert_int_equal(store_user_create(replica.store, &gone, NULL), CORE_OK); /* "replica" only */

    assert_int_equal(store_user_exists(f.store, U1, &exists), CORE_OK); /* on both */
    assert_true(exists);
    assert_int_equal(store_user_exists(f.store, fresh.id, &exists), CORE_OK);
    assert_true(exists);
    assert_int_equal(store_user_exists(f.store, gone.id, &exists), CORE_OK); /* deleted, not replayed yet */
    assert_true(exists);
    assert_int_equal(store_user_exists(f.store, "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c99", &exists), CORE_OK);
    assert_false(exists);
    close_fixture(&replica);
    close_fixture(&f);
}

/* A stand-in for the Redis marks of other instances. */
typedef struct fake_marks {
    int answer; /* what check returns */
    bool marked;
    int marks, checks;
    char last_user[64];
    int64_t last_ttl;
} fake_marks_t;

/* The write hook: a write that asks for a read-your-writes mark. */
static void fake_written(void *ctx, store_t *s, const store_write_t *w)
{
    fake_marks_t *m = ctx;
    (void)s;
    if (w->kind != STORE_WROTE_TASKS || w->ryw_ms <= 0)
        return;
    m->marks++;
    snprintf(m->last_user, sizeof(m->last_user), "%s", w->user_id);
    m->last_ttl = w->ryw_ms;
}

static int fake_check(void *ctx, const char *user_id, bool *marked)
{
    fake_marks_t *m = ctx;
    (void)user_id;
    m->checks++;
    *marked = m->marked;
    return m->answer;
}

static void test_shared_mark_routes_reads(void **state)
{
    core_config_t cfg = pg_test_config();
    fixture_t replica = {0}, f = {0}, plain = {0};
    fake_marks_t m = {.answer = CORE_OK};
    store_hooks_t hook = {.ctx = &m, .written = fake_written, .wrote_recently = fake_check};
    char urls[400];

    if (!pg_server.available)
        skip();
    (void)state;
    open_replica(&replica, &cfg);
    snprintf(urls, sizeof(urls), "%s", replica.url);
    cfg.database_replica_urls = urls;
    cfg.db_read_your_writes_ms = 60000;
    assert_int_equal(open_with(&f, &cfg), 0);
    store_hooks_set(&hook);

    assert_int_equal(list_len(&f), 3); /* no mark anywhere: the replica */
    assert_int_equal(m.checks, 1);
    m.marked = true; /* the user wrote on another instance */
    assert_int_equal(list_len(&f), 0);
    m.marked = false;
    m.answer = CORE_E_UNAVAILABLE; /* Redis down: the safe side */
    assert_int_equal(list_len(&f), 0);
    m.answer = CORE_OK;
    assert_int_equal(list_len(&f), 3);

    store_task_t mine = task_at(T0 + 100);
    assert_int_equal(store_task_create(f.store, &mine), CORE_OK);
    assert_int_equal(m.marks, 1);
    assert_string_equal(m.last_user, U1);
    assert_int_equal(m.last_ttl, 60000);
    int checks = m.checks;
    assert_int_equal(list_len(&f), 1); /* the local mark answers without the hook */
    assert_int_equal(m.checks, checks);

    /* without replicas the hook is never bothered */
    cfg.database_replica_urls = "";
    assert_int_equal(open_with(&plain, &cfg), 0);
    store_task_t other = task_at(T0 + 200);
    assert_int_equal(store_task_create(plain.store, &other), CORE_OK);
    assert_int_equal(m.marks, 1);

    store_hooks_set(NULL);
    close_fixture(&plain);
    close_fixture(&f);
    close_fixture(&replica);
}

/* The value of the exposition line that starts with name, or -1. */
static long long metric(const char *name)
{
    size_t len;
    char *text = core_metrics_render(&len, false), *at;
    long long v = -1;

    assert_non_null(text);
    at = strstr(text, name);
    if (at != NULL)
        v = strtoll(at + strlen(name), NULL, 10);
    free(text);
    return v;
}

#define IN_USE "\ndb_pool_connections{state=\"in_use\"} "
#define IDLE "\ndb_pool_connections{state=\"idle\"} "
#define MAX "\ndb_pool_max_connections "

static void test_pool_gauges(void **state)
{
    core_config_t cfg = pg_test_config();
    fixture_t f = {0};
    store_pg_conn_t *a = NULL, *b = NULL;
    long long in_use, idle, max;
    int open;

    if (!pg_server.available)
        skip();
    (void)state;
    cfg.db_pool_max = 7;
    assert_int_equal(open_with(&f, &cfg), 0); /* its connections are idle again */
    store_pg_cluster_t *cl = store_pg_of(f.store)->cluster;
    open = store_pg_primary_open(cl);
    in_use = metric(IN_USE);
    idle = metric(IDLE);
    max = metric(MAX);
    assert_true(open >= 1);
    assert_true(in_use >= 0 && idle >= open && max >= 7);

    assert_int_equal(store_pg_acquire(cl, STORE_PG_PRIMARY, NULL, &a), CORE_OK);
    assert_int_equal(store_pg_acquire(cl, STORE_PG_PRIMARY, NULL, &b), CORE_OK);
    assert_int_equal(metric(IN_USE), in_use + 2);
    assert_int_equal(metric(IN_USE) + metric(IDLE), in_use + idle + store_pg_primary_open(cl) - open);
    store_pg_release(a);
    store_pg_release(b);
    assert_int_equal(metric(IN_USE), in_use);
    assert_int_equal(metric(IDLE), idle + store_pg_primary_open(cl) - open);
    close_fixture(&f);
    assert_int_equal(metric(MAX), max - 7);
    assert_int_equal(metric(IDLE), idle - open);
}

#define WAITING "\ndb_pool_waiting "

typedef struct waiter {
    store_pg_cluster_t *cl;
    int rc;
} waiter_t;

static void *wait_thread(void *arg)
{
    waiter_t *w = arg;
    store_pg_conn_t *c = NULL;
    w->rc = store_pg_acquire(w->cl, STORE_PG_PRIMARY, NULL, &c);
    if (c != NULL)
        store_pg_release(c);
    return NULL;
}

/* A caller blocked on a full pool shows in db_pool_waiting until served; the
 * sessions run without JIT. */
static void test_waiting_gauge_and_session(void **state)
{
    core_config_t cfg = pg_test_config();
    fixture_t f = {0};
    store_pg_conn_t *a = NULL;
    pthread_t th;
    long long before;

    if (!pg_server.available)
        skip();
    (void)state;
    cfg.db_pool_max = 1;
    cfg.db_pool_min = 0;
    cfg.db_pool_acquire_timeout_ms = 5000;
    assert_int_equal(open_with(&f, &cfg), 0);
    waiter_t w = {.cl = store_pg_of(f.store)->cluster, .rc = -1};
    assert_int_equal(store_pg_acquire(w.cl, STORE_PG_PRIMARY, NULL, &a), CORE_OK);

    PGresult *res = PQexec(a->pg, "SHOW jit");
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    assert_string_equal(PQgetvalue(res, 0, 0), "off");
    PQclear(res);

    before = metric(WAITING);
    assert_true(before >= 0);
    assert_int_equal(pthread_create(&th, NULL, wait_thread, &w), 0);
    for (int i = 0; i < 400 && metric(WAITING) == before; i++)
        usleep(5000);
    assert_int_equal(metric(WAITING), before + 1);
    store_pg_release(a);
    pthread_join(th, NULL);
    assert_int_equal(w.rc, CORE_OK);
    assert_int_equal(metric(WAITING), before);
    close_fixture(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_exhausted_pool_answers_unavailable),
        cmocka_unit_test_setup_teardown(test_killed_connections_are_replaced, fixture_setup, fixture_teardown),
        cmocka_unit_test(test_unreachable_primary_fails_fast),
        cmocka_unit_test(test_reads_go_to_replicas),
        cmocka_unit_test(test_user_exists_asks_primary_on_no),
        cmocka_unit_test(test_shared_mark_routes_reads),
        cmocka_unit_test(test_pool_gauges),
        cmocka_unit_test(test_waiting_gauge_and_session),
    };
    return cmocka_run_group_tests(tests, pg_server_start, pg_server_stop);
}
