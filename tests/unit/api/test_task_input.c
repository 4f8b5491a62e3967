/* Unit tests for task body and query validation (src/api/task_input.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "api/cursor.h"
#include "api/task_input.h"
#include "core/error.h"

static core_pool_t pool;
static api_req_t req;

static int setup(void **state)
{
    (void)state;
    core_pool_init(&pool);
    memset(&req, 0, sizeof(req));
    req.pool = &pool;
    req.now_ms = 1767225600000; /* 2026-01-01T00:00:00Z */
    api_cursor_init("unit-test-secret-of-at-least-32-bytes", 37);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    json_decref(req.body);
    core_pool_cleanup(&pool);
    return 0;
}

/* Parse body as the request body and run the validator. */
static int input(const char *body, bool creating, store_task_patch_t *patch)
{
    json_decref(req.body);
    req.body = json_loads(body, 0, NULL);
    assert_non_null(req.body);
    req.message = NULL;
    return api_task_input(&req, creating, patch);
}

static void expect_refused(const char *body, bool creating, const char *message_part)
{
    store_task_patch_t p;
    assert_int_equal(input(body, creating, &p), CORE_E_VALIDATION);
    assert_non_null(req.message);
    if (strstr(req.message, message_part) == NULL)
        fail_msg("body %s: message \"%s\" does not name \"%s\"", body, req.message, message_part);
}

static void create_applies_defaults(void **state)
{
    (void)state;
    store_task_patch_t p;
    assert_int_equal(input("{\"title\":\"  Buy milk  \"}", true, &p), CORE_OK);
    assert_string_equal(p.values.title, "Buy milk");
    assert_string_equal(p.values.description, "");
    assert_int_equal(p.values.status, STORE_TASK_PENDING);
    assert_int_equal(p.values.priority, STORE_TASK_MEDIUM);
    assert_true(p.values.due_date == STORE_TIME_NONE);
    assert_true(p.values.completed_at == STORE_TIME_NONE);
    assert_int_equal(p.values.tags_len, 0);

    assert_int_equal(input("{\"title\":\"x\",\"status\":\"completed\",\"priority\":\"high\",\"dueDate\":"
                           "\"2026-02-03T04:05:06.789Z\",\"tags\":[\"a\",\" b \"]}",
                           true, &p),
                     CORE_OK);
    assert_int_equal(p.values.status, STORE_TASK_COMPLETED);
    assert_true(p.values.completed_at == req.now_ms);
    assert_int_equal(p.values.priority, STORE_TASK_HIGH);
    assert_true(p.values.due_date == 1770091506789);
    assert_int_equal(p.values.tags_len, 2);
    assert_string_equal(p.values.tags[1], "b");
}

static void update_marks_only_sent_fields(void **state)
{
    (void)state;
    store_task_patch_t p;
    assert_int_equal(input("{\"status\":\"in-progress\",\"dueDate\":null}", false, &p), CORE_OK);
    assert_int_equal(p.fields, STORE_TASK_F_STATUS | STORE_TASK_F_DUE_DATE);
    assert_true(p.values.due_date == STORE_TIME_NONE);
    expect_refused("{}", false, "Nothing to update");
}

static void refusals_name_the_field(void **state)
{
    (void)state;
    char long_title[260], body[400];
    memset(long_title, 'x', 201);
    long_title[201] = '\0';
    snprintf(body, sizeof(body), "{\"title\":\"%s\"}", long_title);

    expect_refused("{}", true, "title");
    expect_refused("{\"title\":\"   \"}", true, "title");
    expect_refused("{\"title\":5}", true, "title");
    expect_refused(body, true, "title");
    expect_refused("{\"title\":\"a\",\"status\":\"done\"}", true, "status");
    expect_refused("{\"title\":\"a\",\"priority\":\"urgent\"}", true, "priority");
    expect_refused("{\"title\":\"a\",\"priority\":2}", true, "priority");
    expect_refused("{\"title\":\"a\",\"dueDate\":\"tomorrow\"}", true, "dueDate");
    expect_refused("{\"title\":\"a\",\"dueDate\":\"2026-02-30\"}", true, "dueDate");
    expect_refused("{\"title\":\"a\",\"dueDate\":1700000000}", true, "dueDate");
    expect_refused("{\"title\":\"a\",\"tags\":\"x\"}", true, "tags");
    expect_refused("{\"title\":\"a\",\"tags\":[1]}", true, "tags");
    expect_refused("{\"title\":\"a\",\"tags\":[\"\"]}", true, "tags");
    expect_refused("{\"title\":\"a\",\"tags\":[\"x\",\"x\"]}", true, "tags");
    expect_refused("{\"title\":\"a\",\"tags\":[\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\",\"10\",\"11\","
                   "\"12\",\"13\",\"14\",\"15\",\"16\",\"17\",\"18\",\"19\",\"20\",\"21\"]}",
                   true, "tags");
    expect_refused("{\"title\":\"a\",\"description\":null}", true, "description");
    expect_refused("{\"title\":\"a\",\"owner\":\"x\"}", true, "owner");
    expect_refused("{\"title\":\"a\",\"_id\":\"x\"}", true, "_id");
    expect_refused("{\"title\":\"a\",\"userId\":\"x\"}", true, "userId");
    expect_refused("{\"title\":\"a\\u0001b\"}", true, "title");
}

static int query(const char *qs, store_task_query_t *q, int64_t *page)
{
    req.query = core_str_c(qs);
    req.message = NULL;
    return api_task_query(&req, q, page);
}

static void query_defaults_and_values(void **state)
{
    (void)state;
    store_task_query_t q;
    int64_t page;

    assert_int_equal(query("", &q, &page), CORE_OK);
    assert_int_equal(q.sort, STORE_SORT_CREATED_AT);
    assert_true(q.desc);
    assert_int_equal(q.limit, 10);
    assert_int_equal(page, 1);
    assert_int_equal(q.status, -1);
    assert_null(q.after);

    assert_int_equal(query("status=in-progress&priority=low&tag=home%20work&search=milk+bread&sort=title&page=3&"
                           "limit=20&dueBefore=2026-03-01&dueAfter=2026-02-01T00:00:00Z",
                           &q, &page),
                     CORE_OK);
    assert_int_equal(q.status, STORE_TASK_IN_PROGRESS);
    assert_int_equal(q.priority, STORE_TASK_LOW);
    assert_string_equal(q.tag, "home work");
    assert_string_equal(q.search, "milk bread");
    assert_int_equal(q.sort, STORE_SORT_TITLE);
    assert_false(q.desc);
    assert_int_equal(page, 3);
    assert_int_equal(q.offset, 40);
    assert_true(q.due_before == 1772323200000);

    /* empty filters mean no filter, as in the original app */
    assert_int_equal(query("status=&search=%20", &q, &page), CORE_OK);
    assert_int_equal(q.status, -1);
    assert_null(q.search);
}

static void query_refusals_name_the_parameter(void **state)
{
    (void)state;
    store_task_query_t q;
    int64_t page;
    const char *cases[][2] = {
        {"status=done", "status"},     {"priority=urgent", "priority"}, {"limit=0", "limit"},
        {"limit=1000", "limit"},       {"limit=ten", "limit"},          {"page=-1", "page"},
        {"page=0", "page"},            {"page=1.5", "page"},            {"dueBefore=yesterday", "dueBefore"},
        {"dueAfter=2026-13-01", "dueAfter"}, {"sort=owner", "sort"},    {"sort=--title", "sort"},
        {"cursor=abc", "cursor"},      {"colour=red", "colour"},        {"limit=5&limit=6", "limit"},
        {"search=%zz", "percent"},     {"search=%00", "percent"},       {"search=%ff", "percent"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(query(cases[i][0], &q, &page), CORE_E_VALIDATION);
        if (strstr(req.message, cases[i][1]) == NULL)
            fail_msg("query %s: message \"%s\" does not name %s", cases[i][0], req.message, cases[i][1]);
    }
}

static void cursor_must_match_the_sort(void **state)
{
    (void)state;
    store_task_query_t q;
    int64_t page;
    store_task_cursor_t c = {.sort = STORE_SORT_UPDATED_AT, .desc = true, .num = 5};
    memcpy(c.id, "0192f3c5-7a00-7cc3-9d2b-1b2c3d4e5f60", sizeof(c.id));
    char *cur = api_cursor_encode(&pool, &c), qs[512];

    snprintf(qs, sizeof(qs), "sort=-updatedAt&page=7&cursor=%s", cur);
    assert_int_equal(query(qs, &q, &page), CORE_OK);
    assert_non_null(q.after);
    assert_int_equal(page, 1); /* page is ignored with a cursor */
    assert_true(q.after->num == 5);

    snprintf(qs, sizeof(qs), "sort=updatedAt&cursor=%s", cur);
    assert_int_equal(query(qs, &q, &page), CORE_E_VALIDATION);
    assert_non_null(strstr(req.message, "cursor"));
}

/* A task as the API writes it, parsed back. */
static json_t *task_json(const store_task_t *t)
{
    core_pool_t arena;
    api_json_out_t out;
    size_t len;

    core_pool_init(&arena);
    api_json_out_init(&out, &arena, 64);
    api_task_write(&out, t);
    const char *text = api_json_out_text(&out, &len);
    json_t *j = json_loadb(text, len, 0, NULL);
    core_pool_cleanup(&arena);
    assert_non_null(j);
    return j;
}

static void task_json_has_the_mongo_shape(void **state)
{
    (void)state;
    const char *tags[] = {"a"};
    store_task_t t = {.id = "0192f3c5-7a00-7cc3-9d2b-1b2c3d4e5f60", .user_id = "0192f3c5-7a00-7cc3-9d2b-1b2c3d4e5f61",
                      .title = "T", .description = "", .status = STORE_TASK_IN_PROGRESS,
                      .priority = STORE_TASK_HIGH, .due_date = STORE_TIME_NONE, .tags = tags, .tags_len = 1,
                      .completed_at = STORE_TIME_NONE, .created_at = 0, .updated_at = 1000};
    json_t *j = task_json(&t);
    assert_string_equal(json_string_value(json_object_get(j, "_id")), t.id);
    assert_string_equal(json_string_value(json_object_get(j, "userId")), t.user_id);
    assert_string_equal(json_string_value(json_object_get(j, "status")), "in-progress");
    assert_string_equal(json_string_value(json_object_get(j, "priority")), "high");
    assert_true(json_is_null(json_object_get(j, "dueDate")));
    assert_true(json_is_null(json_object_get(j, "completedAt")));
    assert_string_equal(json_string_value(json_object_get(j, "createdAt")), "1970-01-01T00:00:00.000Z");
    assert_string_equal(json_string_value(json_array_get(json_object_get(j, "tags"), 0)), "a");
    assert_int_equal(json_object_size(j), 11);
    json_decref(j);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(create_applies_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(update_marks_only_sent_fields, setup, teardown),
        cmocka_unit_test_setup_teardown(refusals_name_the_field, setup, teardown),
        cmocka_unit_test_setup_teardown(query_defaults_and_values, setup, teardown),
        cmocka_unit_test_setup_teardown(query_refusals_name_the_parameter, setup, teardown),
        cmocka_unit_test_setup_teardown(cursor_must_match_the_sort, setup, teardown),
        cmocka_unit_test_setup_teardown(task_json_has_the_mongo_shape, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
