/*
 * Tests of the SQLite migrations (sqlite/migrate.c): a new file gets every
 * embedded migration recorded once, a second run applies nothing, and two
 * connections migrating one new file at the same moment (two servers
 * starting together) apply each migration exactly once between them.
 */
#include "store/test_sqlite_fixture.h"

#include <pthread.h>

#include "store/migration.h"

static int64_t query_int(store_t *s, const char *sql)
{
    sqlite3_stmt *stmt;
    int64_t v = -1;

    assert_int_equal(sqlite3_prepare_v2(store_sqlite_of(s)->db, sql, -1, &stmt, NULL), SQLITE_OK);
    if (sqlite3_step(stmt) == SQLITE_ROW)
        v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return v;
}

/* Re-create the fixture's database as an empty file, not yet migrated. */
static void reopen_empty(fixture_t *f)
{
    store_close(f->store);
    fixture_unlink(f);
    assert_int_equal(store_open(f->url, &f->store), CORE_OK);
    assert_int_equal(query_int(f->store, "SELECT count(*) FROM sqlite_schema"), 0);
}

static void test_migrate_new_then_again(void **state)
{
    fixture_t *f = *state;
    int applied = -1;

    reopen_empty(f);
    assert_true(store_sqlite_migrations_len >= 1);
    assert_int_equal(store_migrate(f->store, &applied), CORE_OK);
    assert_int_equal(applied, (int)store_sqlite_migrations_len);
    assert_int_equal(query_int(f->store, "SELECT count(*) FROM schema_migrations"),
                     (int64_t)store_sqlite_migrations_len);
    assert_int_equal(query_int(f->store, "SELECT min(version) FROM schema_migrations"), 1);
    assert_int_equal(query_int(f->store, "SELECT applied_at > 0 FROM schema_migrations WHERE version = 1"),
                     1);

    applied = -1;
    assert_int_equal(store_migrate(f->store, &applied), CORE_OK);
    assert_int_equal(applied, 0);
    assert_int_equal(query_int(f->store, "SELECT count(*) FROM schema_migrations"),
                     (int64_t)store_sqlite_migrations_len);
}

static void test_schema_0001(void **state)
{
    fixture_t *f = *state;
    static const char *const tables[] = {"users", "otps", "revoked_tokens", "user_revocations", "outbox"};
    char sql[160];

    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        snprintf(sql, sizeof(sql), "SELECT strict FROM pragma_table_list WHERE name = '%s'", tables[i]);
        assert_int_equal(query_int(f->store, sql), 1);
    }
    assert_int_equal(query_int(f->store,
                               "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name IN "
                               "('users_email', 'revoked_tokens_expires_at', 'outbox_due')"),
                     3);
    assert_int_equal(query_int(f->store, "SELECT name = 'init' FROM schema_migrations WHERE version = 1"), 1);
}

struct racer {
    const char *url;
    pthread_barrier_t *start;
    int rc;
    int applied;
};

static void *race(void *arg)
{
    struct racer *r = arg;
    store_t *s = NULL;

    pthread_barrier_wait(r->start);
    r->rc = store_open(r->url, &s);
    if (r->rc == CORE_OK)
        r->rc = store_migrate(s, &r->applied);
    store_close(s);
    return NULL;
}

static void test_concurrent_migrations(void **state)
{
    fixture_t *f = *state;
    pthread_barrier_t start;
    pthread_t threads[2];
    struct racer racers[2];

    store_close(f->store);
    f->store = NULL;
    /* several rounds, since each race may or may not overlap */
    for (int round = 0; round < 5; round++) {
        fixture_unlink(f);
        pthread_barrier_init(&start, NULL, 2);
        for (int i = 0; i < 2; i++) {
            racers[i] = (struct racer){.url = f->url, .start = &start, .rc = -1, .applied = -1};
            assert_int_equal(pthread_create(&threads[i], NULL, race, &racers[i]), 0);
        }
        for (int i = 0; i < 2; i++)
            pthread_join(threads[i], NULL);
        pthread_barrier_destroy(&start);
        assert_int_equal(racers[0].rc, CORE_OK);
        assert_int_equal(racers[1].rc, CORE_OK);
        assert_int_equal(racers[0].applied + racers[1].applied, (int)store_sqlite_migrations_len);
    }
    assert_int_equal(store_open(f->url, &f->store), CORE_OK);
    assert_int_equal(query_int(f->store, "SELECT count(*) FROM schema_migrations"),
                     (int64_t)store_sqlite_migrations_len);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrate_new_then_again, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_schema_0001, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_migrations, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
