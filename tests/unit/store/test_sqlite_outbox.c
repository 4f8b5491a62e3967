/*
 * Tests of the outbox of the SQLite backend (sqlite/outbox.c), with explicit
 * times: a claim leases due mail so a second claim gets nothing until the
 * lease ends, sent mail is done, a failed attempt is retried at its time or
 * given up, and claims through two connections never hand out one email
 * twice.
 */
#include "store/test_sqlite_fixture.h"

#include "core/clock.h"

#define LEASE 60000

/* Queue a mail created at `at` (through a sign-up, as production does). */
static void queue(fixture_t *f, char id_digit, const char *email, int64_t at)
{
    store_user_t u = fixture_user(id_digit, email, at);
    mail_msg_t m = fixture_mail(email, "Welcome", at);
    assert_int_equal(store_user_create(f->store, &u, &m), CORE_OK);
}

static size_t claim(fixture_t *f, store_t *s, int64_t now, size_t max, mail_msg_t *out)
{
    size_t n = 99;
    assert_int_equal(store_outbox_claim(s, &f->pool, now, LEASE, max, out, &n), CORE_OK);
    return n;
}

static int64_t pending(fixture_t *f)
{
    int64_t n = -1;
    assert_int_equal(store_outbox_pending(f->store, &n), CORE_OK);
    return n;
}

static void assert_last_error(fixture_t *f, int64_t id, const char *want)
{
    sqlite3_stmt *stmt;

    assert_int_equal(sqlite3_prepare_v2(store_sqlite_of(f->store)->db,
                                        "SELECT last_error FROM outbox WHERE id = ?1", -1, &stmt, NULL),
                     SQLITE_OK);
    sqlite3_bind_int64(stmt, 1, id);
    assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
    assert_string_equal((const char *)sqlite3_column_text(stmt, 0), want);
    sqlite3_finalize(stmt);
}

static void test_claim_leases(void **state)
{
    fixture_t *f = *state;
    mail_msg_t out[4];

    queue(f, '1', "a@example.com", 1000);
    assert_int_equal(claim(f, f->store, 999, 4, out), 0); /* not due yet */
    assert_int_equal(claim(f, f->store, 1000, 4, out), 1);
    assert_string_equal(out[0].recipient, "a@example.com");
    int64_t id = out[0].id;

    assert_int_equal(claim(f, f->store, 1001, 4, out), 0);
    assert_int_equal(claim(f, f->store, 1000 + LEASE - 1, 4, out), 0);
    /* the sender died: its lease runs out and the mail comes back */
    assert_int_equal(claim(f, f->store, 1000 + LEASE, 4, out), 1);
    assert_int_equal(out[0].id, id);
    assert_int_equal(pending(f), 1);
}

static void test_claim_order_and_max(void **state)
{
    fixture_t *f = *state;
    mail_msg_t out[4];

    queue(f, '1', "a@example.com", 3000);
    queue(f, '2', "b@example.com", 1000);
    queue(f, '3', "c@example.com", 2000);
    assert_int_equal(claim(f, f->store, 5000, 0, out), 0);
    assert_int_equal(claim(f, f->store, 5000, 2, out), 2);
    assert_string_equal(out[0].recipient, "b@example.com"); /* oldest first */
    assert_string_equal(out[1].recipient, "c@example.com");
    assert_int_equal(claim(f, f->store, 5000, 4, out), 1);
    assert_string_equal(out[0].recipient, "a@example.com");
    assert_int_equal(pending(f), 3);
}

static void test_unset_created_at_means_now(void **state)
{
    fixture_t *f = *state;
    mail_msg_t out[2];
    int64_t before = core_clock_now_ms();

    queue(f, '1', "a@example.com", 0);
    assert_int_equal(claim(f, f->store, before - 1, 2, out), 0);
    assert_int_equal(claim(f, f->store, core_clock_now_ms(), 2, out), 1);
    assert_in_range(out[0].created_at, before, core_clock_now_ms());
}

static void test_sent(void **state)
{
    fixture_t *f = *state;
    mail_msg_t out[2];

    queue(f, '1', "a@example.com", 1000);
    assert_int_equal(claim(f, f->store, 1000, 2, out), 1);
    assert_int_equal(store_outbox_sent(f->store, out[0].id, 1500), CORE_OK);
    assert_int_equal(pending(f), 0);
    assert_int_equal(claim(f, f->store, 1000 + 10 * LEASE, 2, out), 0);
    assert_int_equal(store_outbox_sent(f->store, 424242, 1500), CORE_E_NOT_FOUND);
}

static void test_retry_and_give_up(void **state)
{
    fixture_t *f = *state;
    mail_msg_t out[2];

    queue(f, '1', "a@example.com", 1000);
    assert_int_equal(claim(f, f->store, 1000, 2, out), 1);
    int64_t id = out[0].id;
    assert_int_equal(out[0].attempts, 0);

    /* retry at 31000: the lease is dropped, but the mail waits for its time */
    assert_int_equal(store_outbox_retry(f->store, id, 31000, "421 try later", false), CORE_OK);
    assert_int_equal(claim(f, f->store, 30999, 2, out), 0);
    assert_int_equal(claim(f, f->store, 31000, 2, out), 1);
    assert_int_equal(out[0].id, id);
    assert_int_equal(out[0].attempts, 1);
    assert_int_equal(pending(f), 1);
    assert_last_error(f, id, "421 try later");

    assert_int_equal(store_outbox_retry(f->store, id, 0, "550 no such user", true), CORE_OK);
    assert_int_equal(pending(f), 0);
    assert_last_error(f, id, "550 no such user");
    assert_int_equal(claim(f, f->store, 10 * LEASE, 2, out), 0);
    assert_int_equal(store_outbox_retry(f->store, 424242, 0, NULL, false), CORE_E_NOT_FOUND);
}

static void test_two_senders(void **state)
{
    fixture_t *f = *state;
    store_t *other = NULL;
    mail_msg_t out[4], out2[4];

    queue(f, '1', "a@example.com", 1000);
    queue(f, '2', "b@example.com", 1000);
    queue(f, '3', "c@example.com", 1000);
    assert_int_equal(store_open(f->url, &other), CORE_OK);
    assert_int_equal(claim(f, f->store, 2000, 2, out), 2);
    assert_int_equal(claim(f, other, 2000, 4, out2), 1);
    assert_true(out2[0].id != out[0].id && out2[0].id != out[1].id);
    assert_int_equal(claim(f, other, 2000, 4, out2), 0);
    store_close(other);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_claim_leases, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_claim_order_and_max, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_unset_created_at_means_now, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_sent, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_retry_and_give_up, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_two_senders, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
