/*
 * Tests of src/api/auth.c's one-time codes against a real SQLite store and
 * the in-process kv backend:
 *
 * - send-reset-otp does the same work for a known and an unknown email
 *   (issue 10, defect 7): the statements the handler runs on its session,
 *   recorded with sqlite3_trace_v2, are the same for both and none writes;
 *   the answers are equal; the jobs it leaves differ only by the email.
 * - The job does the account's work: a code and a mail for a known address,
 *   nothing for an unknown one, nothing past OTP_SEND_MAX per window.
 * - send-verify-otp past OTP_SEND_MAX answers 429 with a Retry-After.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "api/api.h"
#include "auth/otp.h"
#include "kv/kv.h"
#include "store/test_sqlite_fixture.h"

#define T0 INT64_C(1767225600000)
#define WINDOW_MS INT64_C(900000)

/* ---- the statements a session runs ---- */

#define TRACE_MAX 32

typedef struct trace {
    size_t n;
    char sql[TRACE_MAX][256];
    bool writes[TRACE_MAX];
} trace_t;

static int trace_cb(unsigned type, void *ctx, void *p, void *x)
{
    trace_t *t = ctx;
    sqlite3_stmt *stmt = p;

    (void)x;
    if (type == SQLITE_TRACE_STMT && t->n < TRACE_MAX) {
        snprintf(t->sql[t->n], sizeof(t->sql[t->n]), "%s", sqlite3_sql(stmt));
        t->writes[t->n] = !sqlite3_stmt_readonly(stmt);
        t->n++;
    }
    return 0;
}

/* ---- a request as the HTTP layer builds it ---- */

typedef struct env {
    fixture_t *f;
    core_config_t cfg;
    kv_t *kv;
    store_user_t alice;
} env_t;

static int setup(void **state)
{
    env_t *e = calloc(1, sizeof(*e));

    if (fixture_setup((void **)&e->f) != 0 || kv_memory_create(NULL, &e->kv) != CORE_OK)
        return -1;
    e->cfg.otp_send_max = 3;
    e->cfg.otp_send_window_ms = WINDOW_MS;
    e->cfg.error_status = CORE_ERROR_STATUS_HTTP;
    e->alice = fixture_user('1', "alice@example.com", T0);
    e->alice.name = "Alice";
    if (store_user_create(e->f->store, &e->alice, NULL) != CORE_OK)
        return -1;
    auth_otp_init("a test secret of at least thirty-two bytes", 41);
    *state = e;
    return 0;
}

static int teardown(void **state)
{
    env_t *e = *state;

    kv_destroy(e->kv);
    fixture_teardown((void **)&e->f);
    free(e);
    return 0;
}

static void req_init(env_t *e, api_req_t *req, core_pool_t *pool, json_t *body)
{
    memset(req, 0, sizeof(*req));
    core_pool_init(pool);
    req->pool = pool;
    req->cfg = &e->cfg;
    req->store = e->f->store;
    req->kv = e->kv;
    req->body = body;
    req->now_ms = T0;
    req->request_id = "req-1";
}

static void req_cleanup(api_req_t *req)
{
    json_decref(req->reply);
    json_decref(req->body);
    free(req->job);
    core_pool_cleanup(req->pool);
}

static int64_t pending(env_t *e)
{
    int64_t n = -1;
    assert_int_equal(store_outbox_pending(e->f->store, &n), CORE_OK);
    return n;
}

/* ---- send-reset-otp: the same work for every address ---- */

/* Run the handler for email with the session traced; the reply text into
 * reply, the job (owned by the caller) into *job. */
static void reset_request(env_t *e, const char *email, trace_t *trace, char *reply, size_t cap, api_job_t **job)
{
    api_req_t req;
    core_pool_t pool;
    char *text;

    req_init(e, &req, &pool, json_pack("{s:s}", "email", email));
    memset(trace, 0, sizeof(*trace));
    sqlite3_trace_v2(store_sqlite_of(e->f->store)->db, SQLITE_TRACE_STMT, trace_cb, trace);
    assert_int_equal(api_auth_send_reset_otp(&req), CORE_OK);
    sqlite3_trace_v2(store_sqlite_of(e->f->store)->db, 0, NULL, NULL);
    text = json_dumps(req.reply, JSON_COMPACT | JSON_SORT_KEYS);
    snprintf(reply, cap, "%s", text);
    free(text);
    *job = req.job;
    req.job = NULL;
    req_cleanup(&req);
}

static void test_reset_same_work_known_or_not(void **state)
{
    env_t *e = *state;
    trace_t known, unknown;
    char reply_known[256], reply_unknown[256];
    api_job_t *job_known = NULL, *job_unknown = NULL;

    reset_request(e, "  Alice@Example.COM ", &known, reply_known, sizeof(reply_known), &job_known);
    reset_request(e, "nobody@example.com", &unknown, reply_unknown, sizeof(reply_unknown), &job_unknown);

    /* the same statements, none writing (today: none at all) */
    assert_int_equal(known.n, unknown.n);
    for (size_t i = 0; i < known.n; i++) {
        assert_string_equal(known.sql[i], unknown.sql[i]);
        assert_false(known.writes[i]);
    }
    assert_int_equal(known.n, 0);
    assert_int_equal(pending(e), 0);

    /* the same answer */
    assert_string_equal(reply_known, "{\"message\":\"OTP sent to your email\",\"success\":true}");
    assert_string_equal(reply_unknown, reply_known);

    /* the same job but for the (normalized) email */
    assert_non_null(job_known);
    assert_non_null(job_unknown);
    assert_string_equal(job_known->arg, "alice@example.com");
    assert_string_equal(job_unknown->arg, "nobody@example.com");
    memset(job_known->arg, 0, sizeof(job_known->arg));
    memset(job_unknown->arg, 0, sizeof(job_unknown->arg));
    assert_memory_equal(job_known, job_unknown, sizeof(*job_known));
    assert_string_equal(job_known->request_id, "req-1");
    assert_true(job_known->now_ms == T0);
    free(job_known);
    free(job_unknown);
}

/* A malformed address gets the same answer and no job: its shape is public. */
static void test_reset_malformed_email_no_job(void **state)
{
    env_t *e = *state;
    trace_t trace;
    char reply[256];
    api_job_t *job = (api_job_t *)1;

    reset_request(e, "not an email", &trace, reply, sizeof(reply), &job);
    assert_null(job);
    assert_int_equal(trace.n, 0);
    assert_string_equal(reply, "{\"message\":\"OTP sent to your email\",\"success\":true}");
}

/* ---- the job: the account's work, on the worker's session ---- */

static api_job_t *reset_job(env_t *e, const char *email, int64_t now)
{
    trace_t trace;
    char reply[256];
    api_job_t *job = NULL;

    reset_request(e, email, &trace, reply, sizeof(reply), &job);
    assert_non_null(job);
    job->now_ms = now;
    return job;
}

static void run_job(env_t *e, api_job_t *job)
{
    job->run(job, e->f->store);
    free(job);
}

static void test_reset_job_sends_for_known_only(void **state)
{
    env_t *e = *state;
    store_otp_t otp;

    run_job(e, reset_job(e, "nobody@example.com", T0));
    assert_int_equal(pending(e), 0);
    assert_int_equal(store_otp_attempt(e->f->store, e->alice.id, STORE_OTP_RESET, 5, &otp), CORE_E_NOT_FOUND);

    run_job(e, reset_job(e, "ALICE@example.com", T0));
    assert_int_equal(pending(e), 1);
    assert_int_equal(store_otp_attempt(e->f->store, e->alice.id, STORE_OTP_RESET, 5, &otp), CORE_OK);
    assert_true(otp.expires_at == T0 + AUTH_OTP_RESET_TTL_MS);
}

static void test_reset_job_throttled_per_account(void **state)
{
    env_t *e = *state;

    for (int i = 0; i < 3; i++)
        run_job(e, reset_job(e, "alice@example.com", T0 + i * 1000));
    assert_int_equal(pending(e), 3);
    /* the 4th in the window sends nothing; an unknown address is not counted anywhere */
    run_job(e, reset_job(e, "alice@example.com", T0 + 5000));
    run_job(e, reset_job(e, "nobody@example.com", T0 + 5000));
    assert_int_equal(pending(e), 3);
    /* verification codes are counted apart */
    api_req_t req;
    core_pool_t pool;
    req_init(e, &req, &pool, NULL);
    snprintf(req.claims.user_id, sizeof(req.claims.user_id), "%s", e->alice.id);
    req.authenticated = true;
    assert_int_equal(api_auth_send_verify_otp(&req), CORE_OK);
    req_cleanup(&req);
    assert_int_equal(pending(e), 4);
    /* a new window */
    run_job(e, reset_job(e, "alice@example.com", T0 + WINDOW_MS + 1));
    assert_int_equal(pending(e), 5);
}

/* ---- send-verify-otp: 429 with Retry-After past the limit ---- */

static void test_verify_throttled_answers_429(void **state)
{
    env_t *e = *state;
    api_req_t req;
    core_pool_t pool;

    for (int i = 0; i < 4; i++) {
        req_init(e, &req, &pool, NULL);
        snprintf(req.claims.user_id, sizeof(req.claims.user_id), "%s", e->alice.id);
        req.authenticated = true;
        req.now_ms = T0 + i * 60000;
        int rc = api_auth_send_verify_otp(&req);
        if (i < 3) {
            assert_int_equal(rc, CORE_OK);
        } else {
            assert_int_equal(rc, CORE_E_RATE_LIMITED);
            assert_non_null(req.message);
            /* the window opened at T0: it ends WINDOW_MS later */
            assert_true(req.retry_after_ms == WINDOW_MS - 3 * 60000);
        }
        req_cleanup(&req);
    }
    assert_int_equal(pending(e), 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reset_same_work_known_or_not, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_malformed_email_no_job, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_job_sends_for_known_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reset_job_throttled_per_account, setup, teardown),
        cmocka_unit_test_setup_teardown(test_verify_throttled_answers_429, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
