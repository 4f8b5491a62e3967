/*
 * Tests of the accounts side of the PostgreSQL backend through the store_t
 * ops, the same behaviour test_sqlite_{migrate,user,otp,revocation,outbox}.c
 * check for SQLite: migrations (once, concurrent migrators safe), users and
 * case-insensitive emails, OTP attempts and consumption, durable
 * revocations, and the outbox's leases (FOR UPDATE SKIP LOCKED: concurrent
 * claimers never share a row).
 */
#include "store/test_postgres_fixture.h"

#include <pthread.h>

#include "auth/jwt.h"
#include "store/migration.h"

#define T0 INT64_C(1700000000000)
#define U1 "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c91"

/* Migrations. */

static void test_migrate_is_idempotent(void **state)
{
    FIXTURE(f, state);
    int applied = -1;

    assert_int_equal(store_migrate(f->store, &applied), CORE_OK);
    assert_int_equal(applied, 0);
    assert_int_equal(fixture_sql_i64(f, "SELECT count(*) FROM schema_migrations"),
                     (int64_t)store_postgres_migrations_len);
    assert_int_equal(fixture_sql_i64(f, "SELECT max(version) FROM schema_migrations"),
                     store_postgres_migrations[store_postgres_migrations_len - 1].version);
}

typedef struct migrator {
    const char *url;
    int applied;
    int rc;
} migrator_t;

static void *migrate_thread(void *arg)
{
    migrator_t *m = arg;
    store_t *s = NULL;

    m->rc = store_postgres_open(m->url, &s);
    if (m->rc == CORE_OK)
        m->rc = store_migrate(s, &m->applied);
    store_close(s);
    return NULL;
}

/* Four migrators on a new database at once: each migration runs once. */
static void test_concurrent_migrators(void **state)
{
    FIXTURE(f, state);
    fixture_t g = {0};
    migrator_t m[4];
    pthread_t th[4];
    int total = 0;

    assert_int_equal(fixture_new_db(&g), 0);
    for (int i = 0; i < 4; i++) {
        m[i] = (migrator_t){.url = g.url, .applied = 0, .rc = -1};
        assert_int_equal(pthread_create(&th[i], NULL, migrate_thread, &m[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(m[i].rc, CORE_OK);
        total += m[i].applied;
    }
    assert_int_equal(total, (int)store_postgres_migrations_len);
    assert_int_equal(fixture_sql_i64(&g, "SELECT count(*) FROM schema_migrations"),
                     (int64_t)store_postgres_migrations_len);
    /* every index of tasks leads with user_id */
    assert_int_equal(fixture_sql_i64(&g, "SELECT count(*) FROM pg_indexes WHERE tablename IN ('tasks', 'task_counts') "
                                         "AND indexdef NOT LIKE '%(user_id%'"),
                     0);
    assert_int_equal(pg_drop_db(g.name), 0);
    (void)f;
}

/* Users. */

static void test_user_create_and_find(void **state)
{
    FIXTURE(f, state);
    store_user_t u = fixture_user('1', "alice@example.com", T0), got, dup = fixture_user('2', "ALICE@example.com", T0);
    mail_msg_t welcome = fixture_mail("alice@example.com", "Welcome", T0);
    int64_t pending = -1;

    assert_int_equal(store_user_create(f->store, &u, &welcome), CORE_OK);
    assert_int_equal(store_outbox_pending(f->store, &pending), CORE_OK);
    assert_int_equal(pending, 1);

    memset(&got, 0, sizeof(got));
    assert_int_equal(store_user_find_by_email(f->store, &f->pool, "Alice@Example.COM", &got), CORE_OK);
    assert_string_equal(got.id, u.id);
    assert_string_equal(got.name, "Alice");
    assert_string_equal(got.email, "alice@example.com");
    assert_string_equal(got.password_hash, u.password_hash);
    assert_false(got.is_account_verified);
    assert_true(got.created_at == T0);
    assert_int_equal(store_user_find_by_id(f->store, &f->pool, u.id, &got), CORE_OK);
    assert_string_equal(got.email, "alice@example.com");

    /* the same address in another case is taken, and the mail is not queued */
    welcome.recipient = "ALICE@example.com";
    assert_int_equal(store_user_create(f->store, &dup, &welcome), CORE_E_USER_EXISTS);
    assert_int_equal(store_outbox_pending(f->store, &pending), CORE_OK);
    assert_int_equal(pending, 1);

    assert_int_equal(store_user_find_by_email(f->store, &f->pool, "bob@example.com", &got), CORE_E_NOT_FOUND);
    assert_int_equal(store_user_find_by_id(f->store, &f->pool, "' OR 1=1 --", &got), CORE_E_NOT_FOUND);

    assert_int_equal(store_user_set_password_hash(f->store, u.id, "$argon2id$new"), CORE_OK);
    assert_int_equal(store_user_find_by_id(f->store, &f->pool, u.id, &got), CORE_OK);
    assert_string_equal(got.password_hash, "$argon2id$new");
    assert_int_equal(store_user_set_password_hash(f->store, "0190f3c6-0000-7000-8000-000000000000", "x"),
                     CORE_E_NOT_FOUND);
}

/* The access phase's check, and constraints that answer their 4xx (never
 * CORE_E_INTERNAL): the foreign key of a task whose user is gone, a status
 * the CHECK refuses, a duplicate task id. */
static void test_user_exists_and_constraints(void **state)
{
    FIXTURE(f, state);
    store_user_t u = fixture_user('1', "alice@example.com", T0);
    store_task_t t = {.title = "t", .description = "", .due_date = STORE_TIME_NONE, .completed_at = STORE_TIME_NONE,
                      .created_at = T0, .updated_at = T0};
    bool exists = true;
    char sql[160];

    assert_int_equal(store_user_exists(f->store, u.id, &exists), CORE_OK);
    assert_false(exists);
    assert_int_equal(store_user_create(f->store, &u, NULL), CORE_OK);
    assert_int_equal(store_user_exists(f->store, u.id, &exists), CORE_OK);
    assert_true(exists);
    assert_int_equal(store_user_exists(f->store, "' OR 1=1 --", &exists), CORE_OK);
    assert_false(exists);

    core_log_level = CORE_LOG_ERROR + 1; /* each constraint is logged as a warning */
    snprintf(t.user_id, sizeof(t.user_id), "%s", "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c99");
    assert_int_equal(store_task_create(f->store, &t), CORE_E_NOT_FOUND); /* stamped by the store */
    core_uuid_v7(T0, t.id);
    assert_int_equal(store_task_create(f->store, &t), CORE_E_NOT_FOUND); /* an id given */
    snprintf(t.user_id, sizeof(t.user_id), "%s", u.id);
    t.status = 7;
    assert_int_equal(store_task_create(f->store, &t), CORE_E_VALIDATION);
    t.status = STORE_TASK_PENDING;
    assert_int_equal(store_task_create(f->store, &t), CORE_OK);
    assert_int_equal(store_task_create(f->store, &t), CORE_E_CONFLICT);
    core_log_level = CORE_LOG_ERROR;
    assert_int_equal(fixture_sql_i64(f, "SELECT count(*) FROM tasks"), 1);

    /* deleted behind the store's back */
    snprintf(sql, sizeof(sql), "DELETE FROM users WHERE id = '%s'", u.id);
    assert_int_equal(pg_admin_exec_on(f->name, sql), 0);
    assert_int_equal(store_user_exists(f->store, u.id, &exists), CORE_OK);
    assert_false(exists);
}

/* OTPs. */

static void hash_of(uint8_t h[STORE_OTP_HASH_LEN], uint8_t seed)
{
    for (size_t i = 0; i < STORE_OTP_HASH_LEN; i++)
        h[i] = (uint8_t)(seed * 31 + i);
}

static void test_otp_attempts_and_verify(void **state)
{
    FIXTURE(f, state);
    store_user_t u = fixture_user('1', "a@example.com", T0), got;
    mail_msg_t mail = fixture_mail("a@example.com", "Code", T0);
    uint8_t h1[STORE_OTP_HASH_LEN], h2[STORE_OTP_HASH_LEN];
    store_otp_t otp;
    int64_t pending;

    hash_of(h1, 1);
    hash_of(h2, 2);
    assert_int_equal(store_otp_put(f->store, U1, STORE_OTP_VERIFY, h1, T0 + 1000, &mail), CORE_E_NOT_FOUND);
    assert_int_equal(store_user_create(f->store, &u, NULL), CORE_OK);
    assert_int_equal(store_otp_put(f->store, U1, STORE_OTP_VERIFY, h1, T0 + 1000, &mail), CORE_OK);
    assert_int_equal(store_outbox_pending(f->store, &pending), CORE_OK);
    assert_int_equal(pending, 1);

    for (int i = 1; i <= 3; i++) {
        assert_int_equal(store_otp_attempt(f->store, U1, STORE_OTP_VERIFY, 3, &otp), CORE_OK);
        assert_int_equal(otp.attempts, i);
        assert_memory_equal(otp.hash, h1, STORE_OTP_HASH_LEN);
        assert_true(otp.expires_at == T0 + 1000);
    }
    /* used up: void, and stays void */
    assert_int_equal(store_otp_attempt(f->store, U1, STORE_OTP_VERIFY, 3, &otp), CORE_E_NOT_FOUND);
    assert_int_equal(fixture_sql_i64(f, "SELECT count(*) FROM otps"), 0);
    assert_int_equal(store_otp_attempt(f->store, U1, STORE_OTP_RESET, 3, &otp), CORE_E_NOT_FOUND);

    /* a new OTP resets attempts; consuming needs the hash it holds */
    assert_int_equal(store_otp_put(f->store, U1, STORE_OTP_VERIFY, h1, T0 + 1000, NULL), CORE_OK);
    assert_int_equal(store_otp_attempt(f->store, U1, STORE_OTP_VERIFY, 3, &otp), CORE_OK);
    assert_int_equal(store_otp_put(f->store, U1, STORE_OTP_VERIFY, h2, T0 + 2000, NULL), CORE_OK);
    assert_int_equal(store_otp_attempt(f->store, U1, STORE_OTP_VERIFY, 3, &otp), CORE_OK);
    assert_int_equal(otp.attempts, 1);
    assert_int_equal(store_user_verify(f->store, U1, h1), CORE_E_NOT_FOUND);
    assert_int_equal(store_user_verify(f->store, U1, h2), CORE_OK);
    assert_int_equal(store_user_verify(f->store, U1, h2), CORE_E_NOT_FOUND);
    assert_int_equal(store_user_find_by_id(f->store, &f->pool, U1, &got), CORE_OK);
    assert_true(got.is_account_verified);
}

typedef struct guesser {
    const char *url;
    int ok;
} guesser_t;

static void *guess_thread(void *arg)
{
    guesser_t *g = arg;
    store_t *s;
    store_otp_t otp;

    if (store_postgres_open(g->url, &s) != CORE_OK)
        return NULL;
    for (int i = 0; i < 10; i++)
        if (store_otp_attempt(s, U1, STORE_OTP_RESET, 5, &otp) == CORE_OK)
            g->ok++;
    store_close(s);
    return NULL;
}

/* 8 threads guessing at once spend exactly max_attempts. */
static void test_otp_attempts_under_concurrency(void **state)
{
    FIXTURE(f, state);
    store_user_t u = fixture_user('1', "a@example.com", T0);
    uint8_t h[STORE_OTP_HASH_LEN];
    guesser_t g[8];
    pthread_t th[8];
    int ok = 0;

    hash_of(h, 3);
    assert_int_equal(store_user_create(f->store, &u, NULL), CORE_OK);
    assert_int_equal(store_otp_put(f->store, U1, STORE_OTP_RESET, h, T0 + 1000, NULL), CORE_OK);
    for (int i = 0; i < 8; i++) {
        g[i] = (guesser_t){.url = f->url, .ok = 0};
        pthread_create(&th[i], NULL, guess_thread, &g[i]);
    }
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        ok += g[i].ok;
    }
    assert_int_equal(ok, 5);
}

static void test_reset_password_revokes_sessions(void **state)
{
    FIXTURE(f, state);
    store_user_t u = fixture_user('1', "a@example.com", T0), got;
    uint8_t h[STORE_OTP_HASH_LEN];
    bool revoked = false;

    hash_of(h, 4);
    assert_int_equal(store_user_create(f->store, &u, NULL), CORE_OK);
    assert_int_equal(store_otp_put(f->store, U1, STORE_OTP_RESET, h, T0 + 1000, NULL), CORE_OK);
    assert_int_equal(store_user_reset_password(f->store, U1, h, "$argon2id$reset"), CORE_OK);
    assert_int_equal(store_user_reset_password(f->store, U1, h, "$argon2id$again"), CORE_E_NOT_FOUND);
    assert_int_equal(store_user_find_by_id(f->store, &f->pool, U1, &got), CORE_OK);
    assert_string_equal(got.password_hash, "$argon2id$reset");
    /* a token issued a moment ago is refused now */
    assert_int_equal(store_revocation_check(f->store, "some-jti", U1, got.updated_at - 10, &revoked), CORE_OK);
    assert_true(revoked);
}

/* Revocations. */

typedef struct seen {
    int tokens, users;
    int64_t token_exp, user_before;
} seen_t;

static void token_cb(void *ctx, const char *jti, int64_t expires_at)
{
    seen_t *s = ctx;
    if (strcmp(jti, "jti-live") == 0)
        s->token_exp = expires_at;
    s->tokens++;
}

static void user_cb(void *ctx, const char *user_id, int64_t before_ms)
{
    seen_t *s = ctx;
    if (strcmp(user_id, U1) == 0)
        s->user_before = before_ms;
    s->users++;
}

static void test_revocations(void **state)
{
    FIXTURE(f, state);
    seen_t seen = {0};
    bool revoked = true;

    assert_int_equal(store_token_revoke(f->store, "jti-live", T0 + 5000), CORE_OK);
    assert_int_equal(store_token_revoke(f->store, "jti-live", T0 + 4000), CORE_OK); /* keeps the later */
    assert_int_equal(store_token_revoke(f->store, "jti-old", T0 - 1), CORE_OK);
    assert_int_equal(store_user_sessions_revoke(f->store, U1, T0 - 100), CORE_OK);
    assert_int_equal(store_user_sessions_revoke(f->store, U1, T0 - 200), CORE_OK); /* never backwards */
    assert_int_equal(store_user_sessions_revoke(f->store, "old-user", T0 - AUTH_JWT_TTL_MS - 1), CORE_OK);

    assert_int_equal(store_revocations_load(f->store, T0, token_cb, user_cb, &seen), CORE_OK);
    assert_int_equal(seen.tokens, 1);
    assert_true(seen.token_exp == T0 + 5000);
    assert_int_equal(seen.users, 1);
    assert_true(seen.user_before == T0 - 100);

    assert_int_equal(store_revocation_check(f->store, "jti-live", "x", 0, &revoked), CORE_OK);
    assert_true(revoked);
    assert_int_equal(store_revocation_check(f->store, "jti-none", U1, T0 - 100, &revoked), CORE_OK);
    assert_true(revoked);
    assert_int_equal(store_revocation_check(f->store, "jti-none", U1, T0 - 99, &revoked), CORE_OK);
    assert_false(revoked);

    assert_int_equal(store_revocations_purge(f->store, T0), CORE_OK);
    assert_int_equal(fixture_sql_i64(f, "SELECT count(*) FROM revoked_tokens"), 1);
    assert_int_equal(fixture_sql_i64(f, "SELECT count(*) FROM user_revocations"), 1);
}

/* Outbox. */

static void queue(fixture_t *f, int n, int64_t at)
{
    for (int i = 0; i < n; i++) {
        char email[64];
        store_user_t u = fixture_user((char)('0' + i), email, at + i);
        mail_msg_t m = fixture_mail(email, "Welcome", at + i);
        snprintf(email, sizeof(email), "u%d@example.com", i);
        assert_int_equal(store_user_create(f->store, &u, &m), CORE_OK);
    }
}

static void test_outbox_leases(void **state)
{
    FIXTURE(f, state);
    mail_msg_t out[8];
    size_t n = 99;
    int64_t pending;

    queue(f, 3, T0);
    assert_int_equal(store_outbox_claim(f->store, &f->pool, T0 + 10, 60000, 2, out, &n), CORE_OK);
    assert_int_equal(n, 2);
    assert_string_equal(out[0].recipient, "u0@example.com");
    assert_string_equal(out[1].recipient, "u1@example.com");
    assert_string_equal(out[0].body, "Hello,\r\nbody\r\n");
    assert_true(out[0].created_at == T0);
    assert_int_equal(out[0].attempts, 0);
    int64_t first = out[0].id, second = out[1].id;

    /* leased rows are not claimed again until the lease ends */
    assert_int_equal(store_outbox_claim(f->store, &f->pool, T0 + 20, 60000, 8, out, &n), CORE_OK);
    assert_int_equal(n, 1);
    assert_string_equal(out[0].recipient, "u2@example.com");
    assert_int_equal(store_outbox_claim(f->store, &f->pool, T0 + 30, 60000, 8, out, &n), CORE_OK);
    assert_int_equal(n, 0);

    assert_int_equal(store_outbox_sent(f->store, first, T0 + 40), CORE_OK);
    assert_int_equal(store_outbox_retry(f->store, second, T0 + 100000, "421 try later", false), CORE_OK);
    assert_int_equal(store_outbox_pending(f->store, &pending), CORE_OK);
    assert_int_equal(pending, 2);
    /* the lease of the third ends; the retried one is not due yet */
    assert_int_equal(store_outbox_claim(f->store, &f->pool, T0 + 70000, 60000, 8, out, &n), CORE_OK);
    assert_int_equal(n, 1);
    assert_string_equal(out[0].recipient, "u2@example.com");
    assert_int_equal(store_outbox_sent(f->store, out[0].id, T0 + 70001), CORE_OK);
    assert_int_equal(store_outbox_claim(f->store, &f->pool, T0 + 200000, 60000, 8, out, &n), CORE_OK);
    assert_int_equal(n, 1);
    assert_true(out[0].id == second);
    assert_int_equal(out[0].attempts, 1);
    assert_int_equal(store_outbox_retry(f->store, second, T0, "550 no such user", true), CORE_OK);
    assert_int_equal(store_outbox_pending(f->store, &pending), CORE_OK);
    assert_int_equal(pending, 0);
    assert_int_equal(store_outbox_claim(f->store, &f->pool, T0 + 900000, 60000, 8, out, &n), CORE_OK);
    assert_int_equal(n, 0);
    assert_int_equal(store_outbox_sent(f->store, 999999, T0), CORE_E_NOT_FOUND);
    assert_int_equal(store_outbox_retry(f->store, 999999, T0, "x", false), CORE_E_NOT_FOUND);
    assert_int_equal(store_outbox_claim(f->store, &f->pool, T0, 1000, 0, out, &n), CORE_OK);
    assert_int_equal(n, 0);
}

typedef struct claimer {
    const char *url;
    int64_t ids[64];
    size_t n;
} claimer_t;

static void *claim_thread(void *arg)
{
    claimer_t *c = arg;
    core_pool_t pool;
    store_t *s;
    mail_msg_t out[4];
    size_t n;

    core_pool_init(&pool);
    if (store_postgres_open(c->url, &s) == CORE_OK) {
        for (int i = 0; i < 20; i++)
            if (store_outbox_claim(s, &pool, T0 + 100, 60000, 4, out, &n) == CORE_OK)
                for (size_t j = 0; j < n && c->n < 64; j++)
                    c->ids[c->n++] = out[j].id;
        store_close(s);
    }
    core_pool_cleanup(&pool);
    return NULL;
}

static void test_outbox_concurrent_claims_never_share(void **state)
{
    FIXTURE(f, state);
    claimer_t c[4];
    pthread_t th[4];
    size_t total = 0;

    queue(f, 10, T0);
    for (int i = 0; i < 4; i++) {
        memset(&c[i], 0, sizeof(c[i]));
        c[i].url = f->url;
        pthread_create(&th[i], NULL, claim_thread, &c[i]);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    for (int i = 0; i < 4; i++)
        for (size_t j = 0; j < c[i].n; j++) {
            total++;
            for (int k = 0; k < 4; k++)
                for (size_t l = 0; l < c[k].n; l++)
                    if (k != i || l != j)
                        assert_false(c[k].ids[l] == c[i].ids[j]);
        }
    assert_int_equal(total, 10);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_migrate_is_idempotent, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_migrators, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_user_create_and_find, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_user_exists_and_constraints, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_otp_attempts_and_verify, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_otp_attempts_under_concurrency, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_reset_password_revokes_sessions, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_revocations, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_outbox_leases, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_outbox_concurrent_claims_never_share, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, pg_server_start, pg_server_stop);
}
