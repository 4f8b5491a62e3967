/*
 * Tests of the SQLite connection (sqlite/conn.c) and of store_open()'s URL
 * dispatch: the file and its directory are created, the pragmas are in
 * force, statements are cached, and two connections on one file (two
 * processes, as far as SQLite can tell) see each other's writes, read during
 * a write, and turn an expired busy wait into CORE_E_UNAVAILABLE.
 */
#include "store/test_sqlite_fixture.h"

#include <sys/stat.h>

static int64_t pragma_int(store_t *s, const char *sql)
{
    sqlite3_stmt *stmt;
    int64_t v = -1;

    assert_int_equal(sqlite3_prepare_v2(store_sqlite_of(s)->db, sql, -1, &stmt, NULL), SQLITE_OK);
    if (sqlite3_step(stmt) == SQLITE_ROW)
        v = sqlite3_column_int64(stmt, 0);
    sqlite3_finalize(stmt);
    return v;
}

static void test_open_creates_file_and_dir(void **state)
{
    fixture_t *f = *state;
    struct stat st;

    assert_int_equal(stat(f->path, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_string_equal(f->store->ops->name, "sqlite");
}

static void test_open_rejects_unknown_scheme(void **state)
{
    store_t dummy, *s = &dummy; /* to see *out reset */

    (void)state;
    core_log_level = CORE_LOG_ERROR + 1; /* the refusals are logged as errors */
    assert_int_equal(store_open("mysql://u:secret@localhost/db", &s), CORE_E_INTERNAL);
    assert_null(s);
    assert_int_equal(store_open("lsf.db", &s), CORE_E_INTERNAL);
    assert_null(s);
    assert_int_equal(store_open("sqlite:", &s), CORE_E_INTERNAL);
    assert_null(s);
    core_log_level = CORE_LOG_ERROR;
}

static void test_open_fails_on_unwritable_path(void **state)
{
    fixture_t *f = *state;
    char url[160];
    store_t *s = NULL;

    /* the database file is not a directory, so nothing can be created under it */
    core_log_level = CORE_LOG_ERROR + 1;
    snprintf(url, sizeof(url), "sqlite:%s/sub/x.db", f->path);
    assert_int_equal(store_open(url, &s), CORE_E_INTERNAL);
    assert_null(s);
    core_log_level = CORE_LOG_ERROR;
}

static void test_pragmas(void **state)
{
    fixture_t *f = *state;
    sqlite3_stmt *stmt;

    assert_int_equal(
        sqlite3_prepare_v2(store_sqlite_of(f->store)->db, "PRAGMA journal_mode", -1, &stmt, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(stmt, 0), "wal");
    sqlite3_finalize(stmt);
    assert_int_equal(pragma_int(f->store, "PRAGMA foreign_keys"), 1);
    assert_int_equal(pragma_int(f->store, "PRAGMA synchronous"), 2); /* FULL: a commit fsyncs the WAL */
    assert_int_equal(pragma_int(f->store, "PRAGMA busy_timeout"), STORE_SQLITE_BUSY_TIMEOUT_MS);
}

static void test_ping(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(store_ping(f->store), CORE_OK);
    assert_int_equal(store_ping(f->store), CORE_OK); /* the cached statement was reset */
}

static void test_statement_cache(void **state)
{
    static const char sql_a[] = "SELECT 1", sql_b[] = "SELECT 2";
    store_sqlite_t *s = store_sqlite_of(((fixture_t *)*state)->store);
    sqlite3_stmt *a1, *a2, *b;

    assert_int_equal(store_sqlite_prepare(s, sql_a, &a1), CORE_OK);
    assert_int_equal(store_sqlite_prepare(s, sql_b, &b), CORE_OK);
    assert_int_equal(store_sqlite_prepare(s, sql_a, &a2), CORE_OK);
    assert_ptr_equal(a1, a2);
    assert_ptr_not_equal(a1, b);
    core_log_level = CORE_LOG_ERROR + 1;
    assert_int_equal(store_sqlite_prepare(s, "SELECT FROM nowhere", &b), CORE_E_INTERNAL);
    core_log_level = CORE_LOG_ERROR;
    assert_null(b);
}

static void test_two_connections(void **state)
{
    fixture_t *f = *state;
    store_t *other = NULL;
    store_user_t u = fixture_user('1', "bob@example.com", 1000), found;

    assert_int_equal(store_open(f->url, &other), CORE_OK);
    assert_int_equal(store_user_create(f->store, &u, NULL), CORE_OK);
    assert_int_equal(store_user_find_by_email(other, &f->pool, "bob@example.com", &found), CORE_OK);
    assert_string_equal(found.id, u.id);

    /* the same email through the other connection loses to the unique index */
    store_user_t dup = fixture_user('2', "bob@example.com", 2000);
    assert_int_equal(store_user_create(other, &dup, NULL), CORE_E_USER_EXISTS);

    /* while f->store holds the write lock, other still reads (WAL) but
     * cannot write; a short timeout keeps the test fast */
    sqlite3_busy_timeout(store_sqlite_of(other)->db, 50);
    assert_int_equal(store_sqlite_begin(store_sqlite_of(f->store)), CORE_OK);
    assert_int_equal(store_user_find_by_id(other, &f->pool, u.id, &found), CORE_OK);
    assert_int_equal(store_token_revoke(other, "jti-1", 5000), CORE_E_UNAVAILABLE);
    store_user_t third = fixture_user('3', "carol@example.com", 3000);
    assert_int_equal(store_user_create(other, &third, NULL), CORE_E_UNAVAILABLE);
    assert_int_equal(store_sqlite_commit(store_sqlite_of(f->store)), CORE_OK);

    /* and once it is released, other writes again */
    assert_int_equal(store_user_create(other, &third, NULL), CORE_OK);
    assert_int_equal(store_user_find_by_email(f->store, &f->pool, "carol@example.com", &found), CORE_OK);
    store_close(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_open_creates_file_and_dir, fixture_setup, fixture_teardown),
        cmocka_unit_test(test_open_rejects_unknown_scheme),
        cmocka_unit_test_setup_teardown(test_open_fails_on_unwritable_path, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_pragmas, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_ping, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_statement_cache, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_two_connections, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
