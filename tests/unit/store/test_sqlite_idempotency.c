/*
 * Tests of the SQLite backend's Idempotency-Key reservations
 * (sqlite/idempotency.c) and of its outbox at rest (sqlite/outbox.c: bodies
 * blanked once sent or given up, the purge), through the cases both
 * backends share (store_cases.h); and that a file SQLite creates is private
 * (0600, with its -wal and -shm) whatever the umask.
 */
#include "store/test_sqlite_fixture.h"

#include <sys/stat.h>

#include "store/store_cases.h"

static int64_t sql_i64(void *ctx, const char *sql)
{
    fixture_t *f = ctx;
    sqlite3_stmt *stmt = NULL;
    int64_t n = -1;

    if (sqlite3_prepare_v2(store_sqlite_of(f->store)->db, sql, -1, &stmt, NULL) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW)
        n = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return n;
}

static void test_idempotency_states(void **state)
{
    fixture_t *f = *state;
    cases_idempotency_states(f->store, &f->pool);
}

static void test_idempotency_purge(void **state)
{
    fixture_t *f = *state;
    cases_idempotency_purge(f->store, &f->pool, sql_i64, f);
}

static void test_trash(void **state)
{
    fixture_t *f = *state;
    cases_trash(f->store, &f->pool, sql_i64, f);
}

static void test_outbox_at_rest(void **state)
{
    fixture_t *f = *state;
    cases_outbox_at_rest(f->store, &f->pool, sql_i64, f);
}

static void test_database_files_private(void **state)
{
    fixture_t *f = *state;
    store_user_t u;
    char path[160];
    struct stat st;

    cases_user(f->store, '7', &u); /* a write: the -wal and -shm exist */
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof(path), "%s%s", f->path, (const char *[]){"", "-wal", "-shm"}[i]);
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0600);
    }
    snprintf(path, sizeof(path), "%s/db", f->dir);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_idempotency_states, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_idempotency_purge, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_outbox_at_rest, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_trash, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_database_files_private, fixture_setup, fixture_teardown),
    };
    umask(022); /* the usual one: SQLite alone would create 0644 files */
    return cmocka_run_group_tests(tests, NULL, NULL);
}
