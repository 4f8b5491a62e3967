/* Unit tests for the JSON text writer (src/api/json_out.c) and the task
 * serialiser written with it (api_task_write in src/api/task_input.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "api/json_out.h"
#include "api/task_input.h"
#include "core/clock.h"
#include "pool_fixture.h"

static const char *text_of(api_json_out_t *out)
{
    size_t len;
    const char *t = api_json_out_text(out, &len);
    assert_int_equal(strlen(t), len);
    return t;
}

/* The text of one string value written by the writer. */
static const char *quoted(const char *s, size_t len)
{
    api_json_out_t out;
    api_json_out_init(&out, &pool, 8);
    api_json_out_string(&out, s, len);
    return text_of(&out);
}

static void control_characters_are_escaped(void **state)
{
    (void)state;
    for (unsigned c = 0; c < 0x20; c++) {
        char in[3] = {'a', (char)c, 'b'};
        const char *t = quoted(in, sizeof(in));
        for (const char *p = t; *p != '\0'; p++)
            if ((unsigned char)*p < 0x20)
                fail_msg("0x%02x left raw in %s", c, t);
        json_error_t err;
        json_t *j = json_loads(t, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
        if (j == NULL)
            fail_msg("0x%02x: %s does not parse: %s", c, t, err.text);
        assert_int_equal(json_string_length(j), 3);
        assert_memory_equal(json_string_value(j), in, 3);
        json_decref(j);
    }
    assert_string_equal(quoted("\n\t\r\b\f", 5), "\"\\n\\t\\r\\b\\f\"");
    assert_string_equal(quoted("\x01\x1f", 2), "\"\\u0001\\u001f\"");
    assert_string_equal(quoted("\0", 1), "\"\\u0000\"");
}

static void quotes_and_backslashes_are_escaped(void **state)
{
    (void)state;
    assert_string_equal(quoted("a\"b\\c", 5), "\"a\\\"b\\\\c\"");
    assert_string_equal(quoted("\"\"", 2), "\"\\\"\\\"\"");
    assert_string_equal(quoted("", 0), "\"\"");
    assert_string_equal(quoted("a/b\x7f", 4), "\"a/b\x7f\""); /* no escape needed */
}

static void utf8_is_kept_as_is(void **state)
{
    (void)state;
    const char *s = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe2\x80\xa8";
    char want[64];
    snprintf(want, sizeof(want), "\"%s\"", s);
    assert_string_equal(quoted(s, strlen(s)), want);
    json_t *j = json_loads(want, JSON_DECODE_ANY, NULL);
    assert_string_equal(json_string_value(j), s);
    json_decref(j);
}

static void integers_cover_the_int64_range(void **state)
{
    (void)state;
    static const struct {
        int64_t n;
        const char *text;
    } cases[] = {
        {0, "0"},
        {7, "7"},
        {-1, "-1"},
        {10, "10"},
        {-100, "-100"},
        {1000000000000, "1000000000000"},
        {INT64_MAX, "9223372036854775807"},
        {INT64_MIN, "-9223372036854775808"},
        {INT64_MIN + 1, "-9223372036854775807"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        api_json_out_t out;
        api_json_out_init(&out, &pool, 1);
        api_json_out_int(&out, cases[i].n);
        assert_string_equal(text_of(&out), cases[i].text);
        json_t *j = json_loads(cases[i].text, JSON_DECODE_ANY, NULL);
        assert_true(json_integer_value(j) == cases[i].n);
        json_decref(j);
    }
}

static void times_are_dates_or_null(void **state)
{
    (void)state;
    api_json_out_t out;
    api_json_out_init(&out, &pool, 4); /* grows inside api_json_out_time */
    api_json_out_array_open(&out);
    api_json_out_time(&out, 0);
    api_json_out_time(&out, INT64_MIN); /* STORE_TIME_NONE */
    api_json_out_time(&out, 1795550223123LL);
    api_json_out_time(&out, 253402300799999LL);
    api_json_out_array_close(&out);
    assert_string_equal(text_of(&out), "[\"1970-01-01T00:00:00.000Z\",null,"
                                                      "\"2026-11-24T19:57:03.123Z\",\"9999-12-31T23:59:59.999Z\"]");
}

static void nesting_places_commas_and_colons(void **state)
{
    (void)state;
    api_json_out_t out;
    api_json_out_init(&out, &pool, 4); /* grows many times */
    api_json_out_object_open(&out);
    api_json_out_key(&out, "a");
    api_json_out_array_open(&out);
    api_json_out_int(&out, 1);
    api_json_out_object_open(&out);
    api_json_out_key(&out, "b");
    api_json_out_null(&out);
    api_json_out_object_close(&out);
    api_json_out_array_open(&out);
    api_json_out_array_close(&out);
    api_json_out_object_open(&out);
    api_json_out_object_close(&out);
    api_json_out_cstr(&out, NULL);
    api_json_out_array_close(&out);
    api_json_out_key(&out, "c");
    api_json_out_bool(&out, true);
    api_json_out_key(&out, "d\"");
    api_json_out_bool(&out, false);
    api_json_out_key(&out, "e");
    api_json_out_object_open(&out);
    api_json_out_object_close(&out);
    api_json_out_object_close(&out);
    assert_string_equal(text_of(&out),
                        "{\"a\":[1,{\"b\":null},[],{},null],\"c\":true,\"d\\\"\":false,\"e\":{}}");
}

static void long_strings_grow_the_buffer(void **state)
{
    (void)state;
    static char big[20000];
    memset(big, 'x', sizeof(big));
    big[100] = '"';
    big[sizeof(big) - 1] = '\n';
    api_json_out_t out;
    api_json_out_init(&out, &pool, 16);
    api_json_out_array_open(&out);
    api_json_out_string(&out, big, sizeof(big));
    api_json_out_string(&out, big, sizeof(big));
    api_json_out_array_close(&out);
    size_t len;
    const char *t = api_json_out_text(&out, &len);
    assert_int_equal(len, 2 * (sizeof(big) + 2 + 2) + 1 + 2);
    json_t *j = json_loadb(t, len, 0, NULL);
    assert_non_null(j);
    assert_int_equal(json_array_size(j), 2);
    assert_memory_equal(json_string_value(json_array_get(j, 1)), big, sizeof(big));
    json_decref(j);

    /* escapes only: the text is six times the input, grown escape by escape */
    memset(big, '\x01', 3000);
    big[1500] = '\\';
    api_json_out_init(&out, &pool, 1);
    api_json_out_string(&out, big, 3000);
    t = api_json_out_text(&out, &len);
    assert_int_equal(len, 2999 * 6 + 2 + 2);
    assert_memory_equal(t + 1 + 1500 * 6, "\\\\\\u0001", 8);
    j = json_loadb(t, len, JSON_DECODE_ANY, NULL);
    assert_non_null(j);
    assert_memory_equal(json_string_value(j), big, 3000);
    json_decref(j);
}

/* The jansson tree a task had before the writer: the reference shape. */
static json_t *time_or_null(int64_t ms)
{
    char buf[32];
    if (ms == STORE_TIME_NONE)
        return json_null();
    core_clock_iso8601(ms, buf);
    return json_string(buf);
}

static json_t *reference_task(const store_task_t *t)
{
    json_t *tags = json_array();
    for (size_t i = 0; i < t->tags_len; i++)
        json_array_append_new(tags, json_string(t->tags[i]));
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "_id", t->id, "userId",
                     t->user_id, "title", t->title, "description", t->description, "status",
                     api_task_statuses[t->status], "priority", api_task_priorities[t->priority], "dueDate",
                     time_or_null(t->due_date), "tags", tags, "completedAt", time_or_null(t->completed_at),
                     "createdAt", time_or_null(t->created_at), "updatedAt", time_or_null(t->updated_at));
}

static void tasks_parse_to_the_jansson_shape(void **state)
{
    (void)state;
    static const char *tags[] = {"work", "caf\xc3\xa9", "a\"b\\c"};
    store_task_t tasks[] = {
        {.id = "0192f3c5-7a00-7cc3-9d2b-1b2c3d4e5f60",
         .user_id = "0192f3c5-7a00-7cc3-9d2b-1b2c3d4e5f61",
         .title = "Buy milk",
         .description = "",
         .status = STORE_TASK_PENDING,
         .priority = STORE_TASK_MEDIUM,
         .due_date = STORE_TIME_NONE,
         .tags = tags,
         .tags_len = 0,
         .completed_at = STORE_TIME_NONE,
         .created_at = 1767225600000,
         .updated_at = 1767225600123},
        {.id = "0192f3c5-7a00-7cc3-9d2b-1b2c3d4e5f62",
         .user_id = "0192f3c5-7a00-7cc3-9d2b-1b2c3d4e5f61",
         .title = "Say \"hi\" \xf0\x9f\x98\x80",
         .description = "line 1\nline 2\ttab\r\\",
         .status = STORE_TASK_COMPLETED,
         .priority = STORE_TASK_HIGH,
         .due_date = 1767312000000,
         .tags = tags,
         .tags_len = 3,
         .completed_at = 1767225700000,
         .created_at = 0,
         .updated_at = 1767225700000},
    };
    api_json_out_t out;
    json_t *want = json_array();

    api_json_out_init(&out, &pool, 64);
    api_json_out_array_open(&out);
    for (size_t i = 0; i < sizeof(tasks) / sizeof(tasks[0]); i++) {
        api_task_write(&out, &tasks[i]);
        json_array_append_new(want, reference_task(&tasks[i]));
    }
    api_json_out_array_close(&out);

    json_error_t err;
    json_t *got = json_loads(text_of(&out), 0, &err);
    if (got == NULL)
        fail_msg("%s does not parse: %s", text_of(&out), err.text);
    if (!json_equal(got, want)) {
        char *w = json_dumps(want, JSON_COMPACT);
        fail_msg("got %s\nwant %s", text_of(&out), w);
    }
    /* field order as before: the Mongo document's order */
    const char *t = text_of(&out);
    const char *keys[] = {"\"_id\"",         "\"userId\"",    "\"title\"",    "\"description\"",
                          "\"status\"",      "\"priority\"",  "\"dueDate\"",  "\"tags\"",
                          "\"completedAt\"", "\"createdAt\"", "\"updatedAt\""};
    for (size_t i = 1; i < sizeof(keys) / sizeof(keys[0]); i++)
        assert_true(strstr(t, keys[i - 1]) < strstr(t, keys[i]));

    json_decref(got);
    json_decref(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(control_characters_are_escaped, pool_setup, pool_teardown),
        cmocka_unit_test_setup_teardown(quotes_and_backslashes_are_escaped, pool_setup, pool_teardown),
        cmocka_unit_test_setup_teardown(utf8_is_kept_as_is, pool_setup, pool_teardown),
        cmocka_unit_test_setup_teardown(integers_cover_the_int64_range, pool_setup, pool_teardown),
        cmocka_unit_test_setup_teardown(nesting_places_commas_and_colons, pool_setup, pool_teardown),
        cmocka_unit_test_setup_teardown(times_are_dates_or_null, pool_setup, pool_teardown),
        cmocka_unit_test_setup_teardown(long_strings_grow_the_buffer, pool_setup, pool_teardown),
        cmocka_unit_test_setup_teardown(tasks_parse_to_the_jansson_shape, pool_setup, pool_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
