/*
 * Unit tests for src/http/idempotency.c over a fake store_t that records the
 * reservation calls: which requests a key applies to, the header checks, the
 * fingerprint (same request, same hash; another method, path or body,
 * another), how each store answer becomes the phase's result (a replay sets
 * the reply and the Idempotent-Replayed header), and which answers are kept
 * for replays and which free the key (5xx, 401, 403, 409, 429), also under
 * ERROR_STATUS=legacy where errors are sent as 200.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/error.h"
#include "core/log.h"
#include "http/exchange.h"
#include "http/idempotency.h"

typedef struct fake_store {
    store_t base;
    int begins, finishes, releases, purges;
    store_idem_key_t last; /* of the last begin */
    char fingerprint[STORE_IDEM_FINGERPRINT_LEN + 1];
    int64_t lease_ms, ttl_ms;
    store_idem_answer_t answer; /* what begin answers */
    int begin_rc, finish_rc;
    int finished_status;
    char finished_body[64];
    size_t finished_len;
} fake_store_t;

static int fake_begin(store_t *s, core_pool_t *pool, const store_idem_key_t *k, int64_t now, int64_t lease_ms,
                      int64_t ttl_ms, store_idem_answer_t *out)
{
    fake_store_t *f = (fake_store_t *)s;
    (void)pool;
    (void)now;
    f->begins++;
    f->last = *k;
    snprintf(f->fingerprint, sizeof(f->fingerprint), "%s", k->fingerprint);
    f->lease_ms = lease_ms;
    f->ttl_ms = ttl_ms;
    *out = f->answer;
    return f->begin_rc;
}

static int fake_finish(store_t *s, const store_idem_key_t *k, int status, const char *body, size_t len)
{
    fake_store_t *f = (fake_store_t *)s;
    (void)k;
    f->finishes++;
    f->finished_status = status;
    assert_true(len < sizeof(f->finished_body));
    assert_int_equal(strlen(body), len); /* NUL-terminated, as PostgreSQL needs */
    memcpy(f->finished_body, body, len + 1);
    f->finished_len = len;
    return f->finish_rc;
}

static int fake_release(store_t *s, const store_idem_key_t *k)
{
    (void)k;
    ((fake_store_t *)s)->releases++;
    return CORE_OK;
}

static int fake_purge(store_t *s, int64_t now, int max, int *deleted)
{
    (void)now;
    (void)max;
    ((fake_store_t *)s)->purges++;
    *deleted = 0;
    return CORE_OK;
}

static const store_ops_t fake_ops = {.name = "fake",
                                     .idempotency_begin = fake_begin,
                                     .idempotency_finish = fake_finish,
                                     .idempotency_release = fake_release,
                                     .idempotency_purge = fake_purge};

static const api_route_t tasks_route = {API_POST | API_PUT | API_PATCH,
                                        "/api/tasks/:id",
                                        "/api/tasks/:id",
                                        NULL,
                                        API_AUTH_REQUIRED,
                                        API_RATE_API,
                                        true,
                                        false,
                                        API_SERVICE_TASKS,
                                        false};
static const api_route_t logout_route = {
    API_POST, "/api/auth/logout", "/api/auth/logout", NULL, API_AUTH_OPTIONAL, API_RATE_AUTH, false,
    false,    API_SERVICE_AUTH, false};

typedef struct fixture {
    fake_store_t store;
    http_thread_t thread;
    core_config_t cfg;
    h2o_req_t req;
    http_exchange_t x;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    f->store.base.ops = &fake_ops;
    f->thread.store = &f->store.base;
    f->cfg.idempotency_ttl_ms = 86400000;
    h2o_mem_init_pool(&f->req.pool);
    core_pool_init(&f->x.pool);
    f->x.req = &f->req;
    f->x.thread = &f->thread;
    f->x.api.cfg = &f->cfg;
    f->x.api.route = &tasks_route;
    f->x.api.method = API_POST;
    f->x.api.authenticated = true;
    f->x.api.now_ms = 1800000000000;
    strcpy(f->x.api.claims.user_id, "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c91");
    f->req.method = h2o_iovec_init(H2O_STRLIT("POST"));
    f->req.path_normalized = h2o_iovec_init(H2O_STRLIT("/api/tasks"));
    f->req.entity = h2o_iovec_init(H2O_STRLIT("{\"title\":\"Buy milk\"}"));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    core_pool_cleanup(&f->x.pool);
    h2o_mem_clear_pool(&f->req.pool);
    free(f);
    return 0;
}

static void header(fixture_t *f, const char *value, size_t len)
{
    h2o_add_header_by_str(&f->req.pool, &f->req.headers, H2O_STRLIT("idempotency-key"), 0, NULL, value, len);
}

static int begin(fixture_t *f)
{
    memset(&f->x.idem, 0, sizeof(f->x.idem));
    return http_idempotency_begin(&f->x);
}

static void test_no_header_or_not_applicable(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(begin(f), CORE_OK); /* no header */
    assert_false(f->x.idem.held);
    header(f, "", 0); /* a bad key, where keys do not apply: ignored */
    f->x.api.method = API_GET;
    assert_int_equal(begin(f), CORE_OK);
    f->x.api.method = API_DELETE;
    assert_int_equal(begin(f), CORE_OK);
    f->x.api.method = API_POST;
    f->x.api.route = &logout_route;
    assert_int_equal(begin(f), CORE_OK);
    f->x.api.route = &tasks_route;
    f->x.api.authenticated = false;
    assert_int_equal(begin(f), CORE_OK);
    assert_int_equal(f->store.begins, 0);
    f->x.api.authenticated = true;
    assert_int_equal(begin(f), CORE_E_IDEMPOTENCY_KEY); /* and now it applies */
}

static void test_bad_keys(void **state)
{
    fixture_t *f = *state;
    static const char *const bad[] = {"tab\there", "caf\xc3\xa9", "del\x7f", "nul"};
    char big[257];

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        teardown(state);
        setup(state);
        f = *state;
        header(f, bad[i], i == 3 ? 4 : strlen(bad[i])); /* "nul" with its NUL byte */
        assert_int_equal(begin(f), CORE_E_IDEMPOTENCY_KEY);
    }
    memset(big, 'k', sizeof(big));
    teardown(state);
    setup(state);
    f = *state;
    header(f, big, 256);
    assert_int_equal(begin(f), CORE_E_IDEMPOTENCY_KEY);
    teardown(state);
    setup(state);
    f = *state;
    header(f, "one", 3);
    header(f, "two", 3);
    assert_int_equal(begin(f), CORE_E_IDEMPOTENCY_KEY);
    assert_int_equal(f->store.begins, 0);

    teardown(state);
    setup(state);
    f = *state;
    big[0] = ' ', big[254] = '~';
    header(f, big, 255);
    assert_int_equal(begin(f), CORE_OK);
    assert_int_equal(f->store.begins, 1);
    assert_int_equal(strlen(f->store.last.key), 255);
}

static void test_reservation(void **state)
{
    fixture_t *f = *state;
    char first[STORE_IDEM_FINGERPRINT_LEN + 1];

    f->x.api.now_ms += 2 * 3600 * 1000; /* past any purge an earlier test made due later */
    header(f, "k-1", 3);
    assert_int_equal(begin(f), CORE_OK);
    assert_true(f->x.idem.held);
    assert_false(f->x.idem.replayed);
    assert_string_equal(f->store.last.user_id, "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c91");
    assert_string_equal(f->store.last.key, "k-1");
    assert_true(f->store.last.token > 0);
    assert_int_equal(strlen(f->store.fingerprint), STORE_IDEM_FINGERPRINT_LEN);
    assert_int_equal(f->store.lease_ms, HTTP_IDEMPOTENCY_LEASE_MS);
    assert_int_equal(f->store.ttl_ms, 86400000);
    assert_int_equal(f->store.purges, 1); /* the purge is due: this reservation runs it */
    int64_t token = f->store.last.token;
    strcpy(first, f->store.fingerprint);

    /* the same request: the same fingerprint, a new token */
    assert_int_equal(begin(f), CORE_OK);
    assert_string_equal(f->store.fingerprint, first);
    assert_true(f->store.last.token != token);
    assert_int_equal(f->store.purges, 1); /* not due again within the hour */
    /* another body, path or method: another fingerprint */
    f->req.entity = h2o_iovec_init(H2O_STRLIT("{\"title\": \"Buy milk\"}"));
    assert_int_equal(begin(f), CORE_OK);
    assert_string_not_equal(f->store.fingerprint, first);
    f->req.entity = h2o_iovec_init(H2O_STRLIT("{\"title\":\"Buy milk\"}"));
    f->req.path_normalized = h2o_iovec_init(H2O_STRLIT("/api/tasks/x"));
    assert_int_equal(begin(f), CORE_OK);
    assert_string_not_equal(f->store.fingerprint, first);
    f->req.path_normalized = h2o_iovec_init(H2O_STRLIT("/api/tasks"));
    f->req.method = h2o_iovec_init(H2O_STRLIT("PUT"));
    assert_int_equal(begin(f), CORE_OK);
    assert_string_not_equal(f->store.fingerprint, first);

    /* a TTL under the lease caps the lease */
    f->cfg.idempotency_ttl_ms = 5000;
    assert_int_equal(begin(f), CORE_OK);
    assert_int_equal(f->store.lease_ms, 5000);
}

static void test_store_answers(void **state)
{
    fixture_t *f = *state;

    header(f, "k-2", 3);
    f->store.answer = (store_idem_answer_t){
        .state = STORE_IDEM_DONE, .status = 201, .body = "{\"success\":true}", .body_len = 16};
    assert_int_equal(begin(f), CORE_OK);
    assert_true(f->x.idem.replayed);
    assert_false(f->x.idem.held);
    assert_int_equal(f->x.api.status, 201);
    assert_string_equal(f->x.api.reply_text, "{\"success\":true}");
    assert_int_equal(f->x.api.reply_len, 16);
    assert_string_equal(f->x.api.reply_type, "application/json; charset=utf-8");
    ssize_t i = h2o_find_header_by_str(&f->req.res.headers, H2O_STRLIT("idempotent-replayed"), -1);
    assert_true(i >= 0);
    assert_memory_equal(f->req.res.headers.entries[i].value.base, "true", 4);

    f->store.answer.state = STORE_IDEM_RUNNING;
    assert_int_equal(begin(f), CORE_E_IDEMPOTENCY_IN_PROGRESS);
    f->store.answer.state = STORE_IDEM_MISMATCH;
    assert_int_equal(begin(f), CORE_E_IDEMPOTENCY_MISMATCH);
    f->store.begin_rc = CORE_E_UNAVAILABLE;
    assert_int_equal(begin(f), CORE_E_UNAVAILABLE);
    assert_false(f->x.idem.held);
}

/* Reserve, then end with code and the status as sent. */
static void end(fixture_t *f, int code, int status, const char *body)
{
    f->store.answer.state = STORE_IDEM_RESERVED;
    assert_int_equal(begin(f), CORE_OK);
    assert_true(f->x.idem.held);
    f->x.code = code;
    http_idempotency_end(&f->x, status, body, body != NULL ? strlen(body) : 0);
    assert_false(f->x.idem.held);
}

static void test_what_is_kept(void **state)
{
    fixture_t *f = *state;
    /* code, status sent, kept */
    static const struct {
        int code, status;
        bool kept;
    } cases[] = {
        {CORE_OK, 201, true},
        {CORE_OK, 200, true},
        {CORE_E_VALIDATION, 400, true},
        {CORE_E_VALIDATION, 200, true}, /* legacy: sent as 200, kept as sent */
        {CORE_E_TASK_NOT_FOUND, 404, true},
        {CORE_E_INTERNAL, 500, false},
        {CORE_E_INTERNAL, 200, false}, /* legacy 500: still not final */
        {CORE_E_UNAVAILABLE, 503, false},
        {CORE_E_NOT_AUTHORIZED, 200, false},
        {CORE_E_FORBIDDEN, 403, false},
        {CORE_E_CONFLICT, 409, false},
        {CORE_E_RATE_LIMITED, 429, false},
    };

    header(f, "k-3", 3);
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int finishes = f->store.finishes, releases = f->store.releases;
        end(f, cases[i].code, cases[i].status, "{\"success\":false}");
        assert_int_equal(f->store.finishes - finishes, cases[i].kept);
        assert_int_equal(f->store.releases - releases, !cases[i].kept);
        if (cases[i].kept) {
            assert_int_equal(f->store.finished_status, cases[i].status);
            assert_string_equal(f->store.finished_body, "{\"success\":false}");
        }
    }
    end(f, CORE_OK, 204, NULL); /* no body: kept as "" */
    assert_int_equal(f->store.finished_len, 0);
    f->store.finish_rc = CORE_E_NOT_FOUND; /* taken over meanwhile: logged, nothing else */
    end(f, CORE_OK, 201, "{}");

    /* an exchange that holds nothing stores nothing */
    int finishes = f->store.finishes, releases = f->store.releases;
    memset(&f->x.idem, 0, sizeof(f->x.idem));
    http_idempotency_end(&f->x, 201, "{}", 2);
    assert_int_equal(f->store.finishes, finishes);
    assert_int_equal(f->store.releases, releases);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_header_or_not_applicable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reservation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_answers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_what_is_kept, setup, teardown),
    };
    if (sodium_init() < 0)
        return 1;
    core_log_level = CORE_LOG_ERROR;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
