/*
 * Tests of the user rows of the SQLite backend (sqlite/user.c): sign-up
 * stores every field and queues the welcome mail in the same transaction,
 * emails match case-insensitively and are unique, and the password-hash
 * upgrade touches nothing else.
 */
#include "store/test_sqlite_fixture.h"

static int64_t outbox_rows(fixture_t *f)
{
    int64_t n = -1;
    assert_int_equal(store_outbox_pending(f->store, &n), CORE_OK);
    return n;
}

static void test_create_and_find(void **state)
{
    fixture_t *f = *state;
    store_user_t u = fixture_user('1', "alice@example.com", 1700000000123), got;

    u.updated_at = 1700000000456;
    assert_int_equal(store_user_create(f->store, &u, NULL), CORE_OK);

    memset(&got, 0, sizeof(got));
    assert_int_equal(store_user_find_by_email(f->store, &f->pool, "alice@example.com", &got), CORE_OK);
    assert_string_equal(got.id, u.id);
    assert_string_equal(got.name, "Alice");
    assert_string_equal(got.email, "alice@example.com");
    assert_string_equal(got.password_hash, u.password_hash);
    assert_false(got.is_account_verified);
    assert_int_equal(got.created_at, 1700000000123);
    assert_int_equal(got.updated_at, 1700000000456);

    memset(&got, 0, sizeof(got));
    assert_int_equal(store_user_find_by_id(f->store, &f->pool, u.id, &got), CORE_OK);
    assert_string_equal(got.email, "alice@example.com");

    /* the same address in another case is the same account */
    assert_int_equal(store_user_find_by_email(f->store, &f->pool, "Alice@Example.COM", &got), CORE_OK);
    assert_string_equal(got.id, u.id);
    assert_string_equal(got.email, "alice@example.com");
}

static void test_find_missing(void **state)
{
    fixture_t *f = *state;
    store_user_t u = fixture_user('1', "alice@example.com", 1000), got;

    assert_int_equal(store_user_find_by_email(f->store, &f->pool, "alice@example.com", &got),
                     CORE_E_NOT_FOUND);
    assert_int_equal(store_user_create(f->store, &u, NULL), CORE_OK);
    assert_int_equal(store_user_find_by_email(f->store, &f->pool, "alice@example.org", &got),
                     CORE_E_NOT_FOUND);
    assert_int_equal(store_user_find_by_email(f->store, &f->pool, "", &got), CORE_E_NOT_FOUND);
    assert_int_equal(store_user_find_by_id(f->store, &f->pool, "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c90", &got),
                     CORE_E_NOT_FOUND);
}

static void test_verified_flag_round_trips(void **state)
{
    fixture_t *f = *state;
    store_user_t u = fixture_user('1', "alice@example.com", 1000), got;

    u.is_account_verified = true;
    assert_int_equal(store_user_create(f->store, &u, NULL), CORE_OK);
    assert_int_equal(store_user_find_by_id(f->store, &f->pool, u.id, &got), CORE_OK);
    assert_true(got.is_account_verified);
}

static void test_duplicate_email(void **state)
{
    fixture_t *f = *state;
    store_user_t a = fixture_user('1', "alice@example.com", 1000);
    store_user_t b = fixture_user('2', "ALICE@example.com", 2000), got;
    mail_msg_t welcome = fixture_mail("alice@example.com", "Welcome", 2000);

    assert_int_equal(store_user_create(f->store, &a, NULL), CORE_OK);
    assert_int_equal(store_user_create(f->store, &b, &welcome), CORE_E_USER_EXISTS);
    /* the whole transaction is gone: no second user, no orphan welcome mail */
    assert_int_equal(store_user_find_by_id(f->store, &f->pool, b.id, &got), CORE_E_NOT_FOUND);
    assert_int_equal(outbox_rows(f), 0);
    /* and the connection is usable afterwards */
    b.email = "bob@example.com";
    assert_int_equal(store_user_create(f->store, &b, &welcome), CORE_OK);
    assert_int_equal(outbox_rows(f), 1);
}

/* A constraint is never a 500: a colliding primary key (UUIDv7 makes it a
 * bug, not a race) is a conflict, and not "User already exists". */
static void test_duplicate_id_is_conflict(void **state)
{
    fixture_t *f = *state;
    store_user_t a = fixture_user('1', "alice@example.com", 1000);
    store_user_t b = fixture_user('1', "bob@example.com", 1000), got;

    assert_int_equal(store_user_create(f->store, &a, NULL), CORE_OK);
    assert_int_equal(store_user_create(f->store, &b, NULL), CORE_E_CONFLICT);
    assert_int_equal(store_user_find_by_email(f->store, &f->pool, "bob@example.com", &got), CORE_E_NOT_FOUND);
}

/* The access phase's check: present, absent, deleted behind the store's back. */
static void test_user_exists(void **state)
{
    fixture_t *f = *state;
    store_user_t u = fixture_user('1', "alice@example.com", 1000);
    bool exists = true;

    assert_int_equal(store_user_exists(f->store, u.id, &exists), CORE_OK);
    assert_false(exists);
    assert_int_equal(store_user_create(f->store, &u, NULL), CORE_OK);
    assert_int_equal(store_user_exists(f->store, u.id, &exists), CORE_OK);
    assert_true(exists);
    assert_int_equal(store_user_exists(f->store, "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c92", &exists), CORE_OK);
    assert_false(exists);
    assert_int_equal(store_user_exists(f->store, "' OR 1=1 --", &exists), CORE_OK);
    assert_false(exists);

    /* another connection deletes the row: the cached statement sees it gone */
    sqlite3 *other;
    assert_int_equal(sqlite3_open(f->path, &other), SQLITE_OK);
    assert_int_equal(sqlite3_exec(other, "DELETE FROM users", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(other);
    assert_int_equal(store_user_exists(f->store, u.id, &exists), CORE_OK);
    assert_false(exists);
}

static void test_create_queues_welcome(void **state)
{
    fixture_t *f = *state;
    store_user_t u = fixture_user('1', "alice@example.com", 5000);
    mail_msg_t welcome = fixture_mail("alice@example.com", "Welcome to LSF Tasks", 5000), out[4];
    size_t n = 99;

    assert_int_equal(store_user_create(f->store, &u, &welcome), CORE_OK);
    assert_int_equal(store_outbox_claim(f->store, &f->pool, 5000, 60000, 4, out, &n), CORE_OK);
    assert_int_equal(n, 1);
    assert_true(out[0].id > 0);
    assert_string_equal(out[0].recipient, "alice@example.com");
    assert_string_equal(out[0].subject, "Welcome to LSF Tasks");
    assert_string_equal(out[0].body, welcome.body);
    assert_int_equal(out[0].attempts, 0);
    assert_int_equal(out[0].created_at, 5000);
}

static void test_set_password_hash(void **state)
{
    fixture_t *f = *state;
    store_user_t u = fixture_user('1', "alice@example.com", 1000), got;

    assert_int_equal(store_user_create(f->store, &u, NULL), CORE_OK);
    assert_int_equal(store_user_set_password_hash(f->store, u.id, "$argon2id$new"), CORE_OK);
    assert_int_equal(store_user_find_by_id(f->store, &f->pool, u.id, &got), CORE_OK);
    assert_string_equal(got.password_hash, "$argon2id$new");
    assert_int_equal(got.updated_at, 1000); /* an upgrade is not an edit */
    assert_int_equal(store_user_set_password_hash(f->store, "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c90", "$x"),
                     CORE_E_NOT_FOUND);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_create_and_find, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_find_missing, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_verified_flag_round_trips, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_email, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_duplicate_id_is_conflict, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_user_exists, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_create_queues_welcome, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_set_password_hash, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
