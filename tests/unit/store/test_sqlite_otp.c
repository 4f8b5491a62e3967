/*
 * Tests of the one-time passwords of the SQLite backend (sqlite/otp.c):
 * issuing replaces the previous OTP and queues its mail atomically, every
 * attempt is counted and the OTP is void once they are used up, and
 * consuming it (verify, reset) works once, only with the stored hash, and
 * carries its effects on the user (and, for a reset, the revocation of every
 * session) in the same transaction.
 */
#include "store/test_sqlite_fixture.h"

#include <pthread.h>

#include "core/clock.h"

static const uint8_t hash_a[STORE_OTP_HASH_LEN] = {0xaa, 1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                                                   11,   12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                                                   22,   23, 24, 25, 26, 27, 28, 29, 30, 0};
static const uint8_t hash_b[STORE_OTP_HASH_LEN] = {0xbb, 1,  2,  3,  4,  5,  6,  7,  8,  9,  10,
                                                   11,   12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
                                                   22,   23, 24, 25, 26, 27, 28, 29, 30, 0};

#define USER_ID "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c91" /* fixture_user('1', ...) */
#define MISSING_ID "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c90"

static int otp_setup(void **state)
{
    int rc = fixture_setup(state);
    if (rc == 0) {
        fixture_t *f = *state;
        store_user_t u = fixture_user('1', "alice@example.com", 1000);
        rc = store_user_create(f->store, &u, NULL) == CORE_OK ? 0 : -1;
    }
    return rc;
}

static int64_t pending(fixture_t *f)
{
    int64_t n = -1;
    assert_int_equal(store_outbox_pending(f->store, &n), CORE_OK);
    return n;
}

struct seen {
    int users;
    char user_id[CORE_UUID_LEN + 1];
    int64_t before_ms;
};

static void on_token(void *ctx, const char *jti, int64_t expires_at)
{
    (void)ctx, (void)jti, (void)expires_at;
    fail_msg("no token was revoked");
}

static void on_user(void *ctx, const char *id, int64_t before_ms)
{
    struct seen *seen = ctx;
    seen->users++;
    snprintf(seen->user_id, sizeof(seen->user_id), "%s", id);
    seen->before_ms = before_ms;
}

static void test_put_then_attempts_count(void **state)
{
    fixture_t *f = *state;
    store_otp_t otp;
    mail_msg_t mail = fixture_mail("alice@example.com", "Account Verification OTP", 2000);

    assert_int_equal(store_otp_attempt(f->store, USER_ID, STORE_OTP_VERIFY, 5, &otp), CORE_E_NOT_FOUND);
    assert_int_equal(store_otp_put(f->store, USER_ID, STORE_OTP_VERIFY, hash_a, 86400000, &mail), CORE_OK);
    assert_int_equal(pending(f), 1);

    memset(&otp, 0, sizeof(otp));
    assert_int_equal(store_otp_attempt(f->store, USER_ID, STORE_OTP_VERIFY, 5, &otp), CORE_OK);
    assert_memory_equal(otp.hash, hash_a, STORE_OTP_HASH_LEN);
    assert_int_equal(otp.expires_at, 86400000);
    assert_int_equal(otp.attempts, 1);
    assert_int_equal(store_otp_attempt(f->store, USER_ID, STORE_OTP_VERIFY, 5, &otp), CORE_OK);
    assert_int_equal(otp.attempts, 2);
    /* the other purpose is a different OTP */
    assert_int_equal(store_otp_attempt(f->store, USER_ID, STORE_OTP_RESET, 5, &otp), CORE_E_NOT_FOUND);
}

static void test_max_attempts_voids(void **state)
{
    fixture_t *f = *state;
    store_otp_t otp;

    assert_int_equal(store_otp_put(f->store, USER_ID, STORE_OTP_VERIFY, hash_a, 9000, NULL), CORE_OK);
    assert_int_equal(pending(f), 0);
    for (int i = 1; i <= 3; i++) {
        assert_int_equal(store_otp_attempt(f->store, USER_ID, STORE_OTP_VERIFY, 3, &otp), CORE_OK);
        assert_int_equal(otp.attempts, i);
    }
    assert_int_equal(store_otp_attempt(f->store, USER_ID, STORE_OTP_VERIFY, 3, &otp), CORE_E_NOT_FOUND);
    /* void for good, even with a higher limit, and no longer consumable */
    assert_int_equal(store_otp_attempt(f->store, USER_ID, STORE_OTP_VERIFY, 10, &otp), CORE_E_NOT_FOUND);
    assert_int_equal(store_user_verify(f->store, USER_ID, hash_a), CORE_E_NOT_FOUND);
}

static void test_put_replaces_and_resets_attempts(void **state)
{
    fixture_t *f = *state;
    store_otp_t otp;

    assert_int_equal(store_otp_put(f->store, USER_ID, STORE_OTP_RESET, hash_a, 1000, NULL), CORE_OK);
    assert_int_equal(store_otp_attempt(f->store, USER_ID, STORE_OTP_RESET, 5, &otp), CORE_OK);
    assert_int_equal(store_otp_attempt(f->store, USER_ID, STORE_OTP_RESET, 5, &otp), CORE_OK);
    assert_int_equal(otp.attempts, 2);
    assert_int_equal(store_otp_put(f->store, USER_ID, STORE_OTP_RESET, hash_b, 2000, NULL), CORE_OK);
    assert_int_equal(store_otp_attempt(f->store, USER_ID, STORE_OTP_RESET, 5, &otp), CORE_OK);
    assert_memory_equal(otp.hash, hash_b, STORE_OTP_HASH_LEN);
    assert_int_equal(otp.expires_at, 2000);
    assert_int_equal(otp.attempts, 1);
    /* the replaced OTP cannot be consumed */
    assert_int_equal(store_user_reset_password(f->store, USER_ID, hash_a, "$new"), CORE_E_NOT_FOUND);
}

static void test_put_for_missing_user(void **state)
{
    fixture_t *f = *state;
    mail_msg_t mail = fixture_mail("ghost@example.com", "Password Reset OTP", 2000);

    assert_int_equal(store_otp_put(f->store, MISSING_ID, STORE_OTP_RESET, hash_a, 1000, &mail),
                     CORE_E_NOT_FOUND);
    assert_int_equal(pending(f), 0); /* the mail went with the rolled-back transaction */
}

static void test_verify_consumes(void **state)
{
    fixture_t *f = *state;
    store_user_t got;
    store_otp_t otp;
    int64_t before = core_clock_now_ms();

    assert_int_equal(store_otp_put(f->store, USER_ID, STORE_OTP_VERIFY, hash_a, 9000, NULL), CORE_OK);
    assert_int_equal(store_otp_put(f->store, USER_ID, STORE_OTP_RESET, hash_b, 9000, NULL), CORE_OK);
    /* wrong hash, or the hash of the other purpose: nothing happens */
    assert_int_equal(store_user_verify(f->store, USER_ID, hash_b), CORE_E_NOT_FOUND);
    assert_int_equal(store_user_find_by_id(f->store, &f->pool, USER_ID, &got), CORE_OK);
    assert_false(got.is_account_verified);
    assert_int_equal(got.updated_at, 1000);

    assert_int_equal(store_user_verify(f->store, USER_ID, hash_a), CORE_OK);
    assert_int_equal(store_user_find_by_id(f->store, &f->pool, USER_ID, &got), CORE_OK);
    assert_true(got.is_account_verified);
    assert_in_range(got.updated_at, before, core_clock_now_ms());
    /* used once, gone */
    assert_int_equal(store_user_verify(f->store, USER_ID, hash_a), CORE_E_NOT_FOUND);
    assert_int_equal(store_otp_attempt(f->store, USER_ID, STORE_OTP_VERIFY, 5, &otp), CORE_E_NOT_FOUND);
    /* the reset OTP is untouched */
    assert_int_equal(store_otp_attempt(f->store, USER_ID, STORE_OTP_RESET, 5, &otp), CORE_OK);
    assert_int_equal(store_user_verify(f->store, MISSING_ID, hash_a), CORE_E_NOT_FOUND);
}

static void test_reset_sets_hash_and_revokes(void **state)
{
    fixture_t *f = *state;
    store_user_t got;
    struct seen seen = {0};
    int64_t before = core_clock_now_ms();

    assert_int_equal(store_otp_put(f->store, USER_ID, STORE_OTP_RESET, hash_a, 9000, NULL), CORE_OK);
    assert_int_equal(store_user_reset_password(f->store, USER_ID, hash_b, "$new"), CORE_E_NOT_FOUND);
    assert_int_equal(store_revocations_load(f->store, before, on_token, on_user, &seen), CORE_OK);
    assert_int_equal(seen.users, 0);
    assert_int_equal(store_user_find_by_id(f->store, &f->pool, USER_ID, &got), CORE_OK);
    assert_string_not_equal(got.password_hash, "$new");

    assert_int_equal(store_user_reset_password(f->store, USER_ID, hash_a, "$argon2id$new"), CORE_OK);
    int64_t after = core_clock_now_ms();
    assert_int_equal(store_user_find_by_id(f->store, &f->pool, USER_ID, &got), CORE_OK);
    assert_string_equal(got.password_hash, "$argon2id$new");
    assert_in_range(got.updated_at, before, after);
    assert_false(got.is_account_verified);
    assert_int_equal(store_revocations_load(f->store, after, on_token, on_user, &seen), CORE_OK);
    assert_int_equal(seen.users, 1);
    assert_string_equal(seen.user_id, USER_ID);
    assert_in_range(seen.before_ms, before, after);
    assert_int_equal(store_user_reset_password(f->store, USER_ID, hash_a, "$again"), CORE_E_NOT_FOUND);
}

#define RACE_MAX 10

struct guesser {
    const char *url;
    pthread_barrier_t *start;
    int ok;
    bool seen[RACE_MAX + 2]; /* attempts values returned */
    int errors;
};

static void *guess(void *arg)
{
    struct guesser *g = arg;
    store_t *s = NULL;
    store_otp_t otp;

    if (store_open(g->url, &s) != CORE_OK) {
        g->errors++;
        return NULL;
    }
    pthread_barrier_wait(g->start);
    for (int i = 0; i < RACE_MAX; i++) {
        int rc = store_otp_attempt(s, USER_ID, STORE_OTP_VERIFY, RACE_MAX, &otp);
        if (rc == CORE_OK && otp.attempts >= 1 && otp.attempts <= RACE_MAX) {
            g->ok++;
            g->seen[otp.attempts] = true;
        } else if (rc != CORE_E_NOT_FOUND) {
            g->errors++;
        }
    }
    store_close(s);
    return NULL;
}

static void test_parallel_attempts_never_exceed_max(void **state)
{
    fixture_t *f = *state;
    pthread_barrier_t start;
    pthread_t threads[2];
    struct guesser g[2];

    assert_int_equal(store_otp_put(f->store, USER_ID, STORE_OTP_VERIFY, hash_a, 9000, NULL), CORE_OK);
    pthread_barrier_init(&start, NULL, 2);
    for (int i = 0; i < 2; i++) {
        memset(&g[i], 0, sizeof(g[i]));
        g[i].url = f->url;
        g[i].start = &start;
        assert_int_equal(pthread_create(&threads[i], NULL, guess, &g[i]), 0);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(threads[i], NULL);
    pthread_barrier_destroy(&start);
    assert_int_equal(g[0].errors + g[1].errors, 0);
    assert_int_equal(g[0].ok + g[1].ok, RACE_MAX);
    /* each attempt number was handed out exactly once */
    for (int n = 1; n <= RACE_MAX; n++)
        assert_true(g[0].seen[n] != g[1].seen[n]);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_put_then_attempts_count, otp_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_max_attempts_voids, otp_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_put_replaces_and_resets_attempts, otp_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_put_for_missing_user, otp_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_verify_consumes, otp_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_reset_sets_hash_and_revokes, otp_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_parallel_attempts_never_exceed_max, otp_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
