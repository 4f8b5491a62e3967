/*
 * Tests of the PostgreSQL backend's Idempotency-Key reservations
 * (postgres/idempotency.c) and of its outbox at rest (postgres/outbox.c),
 * through the cases both backends share (store_cases.h), plus many
 * connections racing for one key: exactly one reserves it.
 */
#include "store/test_postgres_fixture.h"

#include <pthread.h>

#include "store/store_cases.h"

static int64_t sql_i64(void *ctx, const char *sql)
{
    return fixture_sql_i64(ctx, sql);
}

static void test_idempotency_states(void **state)
{
    FIXTURE(f, state);
    cases_idempotency_states(f->store, &f->pool);
}

static void test_idempotency_purge(void **state)
{
    FIXTURE(f, state);
    cases_idempotency_purge(f->store, &f->pool, sql_i64, f);
}

static void test_trash(void **state)
{
    FIXTURE(f, state);
    cases_trash(f->store, &f->pool, sql_i64, f);
}

static void test_outbox_at_rest(void **state)
{
    FIXTURE(f, state);
    cases_outbox_at_rest(f->store, &f->pool, sql_i64, f);
}

typedef struct racer {
    const char *url;
    const char *user_id;
    int64_t token;
    pthread_barrier_t *go;
    int rc;
    enum store_idem_state state;
} racer_t;

static void *race_thread(void *arg)
{
    racer_t *r = arg;
    core_pool_t pool;
    store_t *s = NULL;
    store_idem_answer_t a = {.state = STORE_IDEM_MISMATCH};
    store_idem_key_t k = {.user_id = r->user_id, .key = "race", .fingerprint = CASES_FP_A, .token = r->token};

    core_pool_init(&pool);
    r->rc = store_postgres_open(r->url, &s);
    pthread_barrier_wait(r->go);
    if (r->rc == CORE_OK)
        r->rc = store_idempotency_begin(s, &pool, &k, CASES_T0, CASES_LEASE, CASES_TTL, &a);
    r->state = a.state;
    store_close(s);
    core_pool_cleanup(&pool);
    return NULL;
}

static void test_idempotency_race(void **state)
{
    FIXTURE(f, state);
    enum { N = 8 };
    racer_t r[N];
    pthread_t th[N];
    pthread_barrier_t go;
    store_user_t u;
    int reserved = 0, running = 0;

    cases_user(f->store, '8', &u);
    pthread_barrier_init(&go, NULL, N);
    for (int i = 0; i < N; i++) {
        r[i] = (racer_t){.url = f->url, .user_id = u.id, .token = i + 1, .go = &go};
        pthread_create(&th[i], NULL, race_thread, &r[i]);
    }
    for (int i = 0; i < N; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&go);
    for (int i = 0; i < N; i++) {
        assert_int_equal(r[i].rc, CORE_OK);
        reserved += r[i].state == STORE_IDEM_RESERVED;
        running += r[i].state == STORE_IDEM_RUNNING;
    }
    assert_int_equal(reserved, 1);
    assert_int_equal(running, N - 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_idempotency_states, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_idempotency_purge, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_outbox_at_rest, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_trash, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_idempotency_race, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, pg_server_start, pg_server_stop);
}
