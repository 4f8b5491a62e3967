/*
 * Unit tests for src/store/task_sql.c: the one SQL builder of task lists and
 * totals in both dialects, and the tags' encoding. The expected statements
 * are written out by hand: each shows one rule (which index-friendly
 * condition a filter becomes, the counters only for status and priority,
 * the keyset bound, the collation of the title sort, the parameter mark).
 * Whether every shape keeps its index is checked against the real engines
 * by test_sqlite_task.c and test_postgres_task.c (EXPLAIN of every shape).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "core/error.h"
#include "store/task_sql.h"

#define U "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c91"
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static store_task_query_t query(void)
{
    return (store_task_query_t){.user_id = U,
                                .status = -1,
                                .priority = -1,
                                .due_before = STORE_TIME_NONE,
                                .due_after = STORE_TIME_NONE,
                                .limit = 20};
}

static void assert_list(int dialect, const store_task_query_t *q, bool with_total, const char *want)
{
    char *sql = NULL;
    assert_int_equal(store_task_sql_list(dialect, q, with_total, &sql), CORE_OK);
    assert_non_null(sql);
    assert_string_equal(sql, want);
    store_task_sql_free(sql);
}

static void assert_count(int dialect, const store_task_query_t *q, const char *want)
{
    char *sql = NULL;
    assert_int_equal(store_task_sql_count(dialect, q, &sql), CORE_OK);
    assert_non_null(sql);
    assert_string_equal(sql, want);
    store_task_sql_free(sql);
}

static void test_plain_first_page(void **state)
{
    store_task_query_t q = query();
    (void)state;
    q.desc = true;
    assert_list(
        STORE_TASK_SQL_SQLITE, &q, false,
        "SELECT id, user_id, title, description, status, priority, due_date, tags, completed_at, created_at, "
        "updated_at FROM tasks WHERE user_id = ?1 ORDER BY id DESC LIMIT ?10 OFFSET ?11");
    assert_list(
        STORE_TASK_SQL_POSTGRES, &q, false,
        "SELECT id, user_id, title, description, status, priority, due_date, to_json(tags), completed_at, "
        "created_at, updated_at FROM tasks WHERE user_id = $1 ORDER BY id DESC LIMIT $10 OFFSET $11");
}

static void test_every_filter_in_each_dialect(void **state)
{
    store_task_query_t q = query();
    (void)state;
    q.status = STORE_TASK_PENDING;
    q.priority = STORE_TASK_HIGH;
    q.tag = "work";
    q.search = "alpha";
    q.due_before = 2;
    q.due_after = 1;
    q.sort = STORE_SORT_UPDATED_AT;
    assert_list(
        STORE_TASK_SQL_SQLITE, &q, false,
        "SELECT id, user_id, title, description, status, priority, due_date, tags, completed_at, created_at, "
        "updated_at FROM tasks WHERE +user_id = ?1 AND status = ?2 AND priority = ?3 AND seq IN (SELECT "
        "task_seq FROM task_tags WHERE user_id = ?1 AND tag = ?4) AND seq IN (SELECT rowid FROM tasks_fts "
        "WHERE tasks_fts MATCH ?5) AND due_date < ?6 AND due_date > ?7 ORDER BY updated_at, id LIMIT ?10 "
        "OFFSET ?11");
    assert_list(
        STORE_TASK_SQL_POSTGRES, &q, false,
        "SELECT id, user_id, title, description, status, priority, due_date, to_json(tags), completed_at, "
        "created_at, updated_at FROM tasks WHERE user_id = $1 AND status = $2 AND priority = $3 AND tags @> "
        "ARRAY[$4] AND search @@ lsf_search_query($5) AND due_date < $6 AND due_date > $7 ORDER BY "
        "updated_at, id LIMIT $10 OFFSET $11");
}

static void test_counts_use_the_counters_only_for_status_and_priority(void **state)
{
    store_task_query_t q = query();
    (void)state;
    q.status = STORE_TASK_COMPLETED;
    q.priority = STORE_TASK_LOW;
    assert_count(
        STORE_TASK_SQL_SQLITE, &q,
        "SELECT coalesce(sum(n), 0) FROM task_counts WHERE user_id = ?1 AND status = ?2 AND priority = ?3");
    assert_count(
        STORE_TASK_SQL_POSTGRES, &q,
        "SELECT coalesce(sum(n), 0) FROM task_counts WHERE user_id = $1 AND status = $2 AND priority = $3");
    q.due_after = 1;
    assert_count(STORE_TASK_SQL_SQLITE, &q,
                 "SELECT count(*) FROM tasks WHERE user_id = ?1 AND status = ?2 AND priority = ?3 AND "
                 "due_date > ?7");
    assert_count(STORE_TASK_SQL_POSTGRES, &q,
                 "SELECT count(*) FROM tasks WHERE user_id = $1 AND status = $2 AND priority = $3 AND "
                 "due_date > $7");
}

/* SQLite counts search matches from the full-text index (`+user_id` keeps
 * the planner off the user index); PostgreSQL needs no such hint. */
static void test_search_count(void **state)
{
    store_task_query_t q = query();
    (void)state;
    q.search = "alpha";
    assert_count(
        STORE_TASK_SQL_SQLITE, &q,
        "SELECT count(*) FROM tasks_fts WHERE tasks_fts MATCH ?5"); /* the owner is in the match */
    q.status = 1; /* with another filter: from the index's matches too */
    assert_count(
        STORE_TASK_SQL_SQLITE, &q,
        "SELECT count(*) FROM tasks WHERE +user_id = ?1 AND status = ?2 AND seq IN (SELECT rowid FROM tasks_fts "
        "WHERE tasks_fts MATCH ?5)");
    q.status = -1;
    assert_count(STORE_TASK_SQL_POSTGRES, &q,
                 "SELECT count(*) FROM tasks WHERE user_id = $1 AND search @@ lsf_search_query($5)");
}

static void test_keyset_bounds(void **state)
{
    store_task_cursor_t after = {.sort = STORE_SORT_TITLE, .text = "m", .id = U};
    store_task_query_t q = query();
    (void)state;
    q.after = &after;
    q.sort = STORE_SORT_TITLE;
    assert_list(
        STORE_TASK_SQL_SQLITE, &q, false,
        "SELECT id, user_id, title, description, status, priority, due_date, tags, completed_at, created_at, "
        "updated_at FROM tasks WHERE user_id = ?1 AND (title, id) > (?8 COLLATE NOCASE, ?9) ORDER BY title "
        "COLLATE NOCASE, id LIMIT ?10");
    q.desc = true;
    assert_list(
        STORE_TASK_SQL_POSTGRES, &q, false,
        "SELECT id, user_id, title, description, status, priority, due_date, to_json(tags), completed_at, "
        "created_at, updated_at FROM tasks WHERE user_id = $1 AND (lower(title COLLATE \"C\"), id) < "
        "(lower($8 COLLATE \"C\"), $9) ORDER BY lower(title COLLATE \"C\") DESC, id DESC LIMIT $10");
    q.sort = STORE_SORT_DUE_DATE;
    q.desc = false;
    assert_list(
        STORE_TASK_SQL_SQLITE, &q, false,
        "SELECT id, user_id, title, description, status, priority, due_date, tags, completed_at, created_at, "
        "updated_at FROM tasks WHERE user_id = ?1 AND (due_sort, id) > (?8, ?9) ORDER BY due_sort, id "
        "LIMIT ?10");
    q.sort = STORE_SORT_CREATED_AT;
    assert_list(
        STORE_TASK_SQL_POSTGRES, &q, false,
        "SELECT id, user_id, title, description, status, priority, due_date, to_json(tags), completed_at, "
        "created_at, updated_at FROM tasks WHERE user_id = $1 AND id > $9 ORDER BY id LIMIT $10");
}

/* With the priority fixed by a filter, sorting by priority is id order. */
static void test_priority_sort_under_a_priority_filter(void **state)
{
    store_task_query_t q = query();
    (void)state;
    q.sort = STORE_SORT_PRIORITY;
    q.desc = true;
    q.priority = STORE_TASK_MEDIUM;
    assert_list(
        STORE_TASK_SQL_SQLITE, &q, false,
        "SELECT id, user_id, title, description, status, priority, due_date, tags, completed_at, created_at, "
        "updated_at FROM tasks WHERE user_id = ?1 AND priority = ?3 ORDER BY id DESC LIMIT ?10 OFFSET ?11");
    q.priority = -1;
    assert_list(
        STORE_TASK_SQL_SQLITE, &q, false,
        "SELECT id, user_id, title, description, status, priority, due_date, tags, completed_at, created_at, "
        "updated_at FROM tasks WHERE user_id = ?1 ORDER BY priority DESC, id DESC LIMIT ?10 OFFSET ?11");
}

/* The page's one PostgreSQL statement: the total as a last column. */
static void test_page_with_total(void **state)
{
    store_task_query_t q = query();
    (void)state;
    q.tag = "home";
    assert_list(
        STORE_TASK_SQL_POSTGRES, &q, true,
        "SELECT id, user_id, title, description, status, priority, due_date, to_json(tags), completed_at, "
        "created_at, updated_at, (SELECT count(*) FROM tasks WHERE user_id = $1 AND tags @> ARRAY[$4]) AS "
        "total FROM tasks WHERE user_id = $1 AND tags @> ARRAY[$4] ORDER BY id LIMIT $10 OFFSET $11");
}

/* Every shape builds whole in both dialects: the statement ends with its
 * paging clause, never cut short. */
static void test_every_shape_builds_whole(void **state)
{
    store_task_cursor_t after = {.text = "t", .id = U};
    (void)state;
    for (unsigned mask = 0; mask < STORE_TASK_Q_SHAPES; mask++)
        for (int sort = 0; sort < STORE_TASK_SORTS; sort++)
            for (int keyset = 0; keyset < 2; keyset++)
                for (int dialect = 0; dialect < 2; dialect++) {
                    store_task_query_t q = query();
                    char *sql = NULL;
                    const char *end;
                    q.status = mask & STORE_TASK_Q_STATUS ? 1 : -1;
                    q.priority = mask & STORE_TASK_Q_PRIORITY ? 1 : -1;
                    q.tag = mask & STORE_TASK_Q_TAG ? "t" : NULL;
                    q.search = mask & STORE_TASK_Q_SEARCH ? "s" : NULL;
                    q.due_before = mask & STORE_TASK_Q_DUE_BEFORE ? 2 : STORE_TIME_NONE;
                    q.due_after = mask & STORE_TASK_Q_DUE_AFTER ? 1 : STORE_TIME_NONE;
                    q.sort = sort;
                    q.desc = true;
                    q.after = keyset ? &after : NULL;
                    assert_int_equal(store_task_sql_filters(&q), mask);
                    assert_int_equal(store_task_sql_list(dialect, &q, true, &sql), CORE_OK);
                    end = keyset ? (dialect ? " LIMIT $10" : " LIMIT ?10")
                                 : (dialect ? " LIMIT $10 OFFSET $11" : " LIMIT ?10 OFFSET ?11");
                    assert_true(strlen(sql) > strlen(end));
                    assert_string_equal(sql + strlen(sql) - strlen(end), end);
                    store_task_sql_free(sql);
                    assert_int_equal(store_task_sql_count(dialect, &q, &sql), CORE_OK);
                    /* SQLite's search alone: the match expression holds the owner */
                    if (dialect == STORE_TASK_SQL_SQLITE && mask == STORE_TASK_Q_SEARCH)
                        assert_string_equal(sql, "SELECT count(*) FROM tasks_fts WHERE tasks_fts MATCH ?5");
                    else
                        assert_non_null(strstr(sql, dialect ? "user_id = $1" : "user_id = ?1"));
                    store_task_sql_free(sql);
                }
}

static void test_tags_encode(void **state)
{
    const char *tags[] = {"plain", "a \"quoted\" one", "back\\slash", "tab\there", "caf\xc3\xa9"};
    store_task_t t = {.tags = tags, .tags_len = NELEM(tags)};
    store_task_t none = {.tags = NULL, .tags_len = 0};
    char *text;
    (void)state;
    text = store_task_tags_encode(&t);
    assert_string_equal(
        text, "[\"plain\",\"a \\\"quoted\\\" one\",\"back\\\\slash\",\"tab\\there\",\"caf\xc3\xa9\"]");
    free(text);
    text = store_task_tags_encode(&none);
    assert_string_equal(text, "[]");
    free(text);
}

/* The most tags can hold: 20 tags of 40 four-byte characters, whole. */
static void test_tags_round_trip_at_the_limit(void **state)
{
    char tag[STORE_TASK_TAG_MAX * 4 + 1];
    const char *tags[STORE_TASK_TAGS_MAX];
    store_task_t t = {.tags = tags, .tags_len = STORE_TASK_TAGS_MAX}, back = {0};
    core_pool_t pool_, *pool = &pool_;
    char *text;
    (void)state;
    core_pool_init(pool);
    for (int i = 0; i < STORE_TASK_TAG_MAX; i++)
        memcpy(tag + 4 * i, "\xf0\x9f\x98\x80", 4); /* U+1F600 */
    tag[sizeof(tag) - 1] = '\0';
    for (size_t i = 0; i < NELEM(tags); i++)
        tags[i] = tag;
    text = store_task_tags_encode(&t);
    assert_int_equal(strlen(text),
                     2 + STORE_TASK_TAGS_MAX * (2 + STORE_TASK_TAG_MAX * 4) + STORE_TASK_TAGS_MAX - 1);
    store_task_tags_decode(pool, text, &back);
    assert_int_equal(back.tags_len, STORE_TASK_TAGS_MAX);
    for (size_t i = 0; i < back.tags_len; i++)
        assert_string_equal(back.tags[i], tag);
    free(text);
    core_pool_cleanup(pool);
}

static void test_tags_decode_odd_text(void **state)
{
    core_pool_t pool_, *pool = &pool_;
    store_task_t t = {0};
    (void)state;
    core_pool_init(pool);
    store_task_tags_decode(pool, NULL, &t);
    assert_int_equal(t.tags_len, 0);
    store_task_tags_decode(pool, "{\"a\":1}", &t);
    assert_int_equal(t.tags_len, 0);
    store_task_tags_decode(pool, "not json", &t);
    assert_int_equal(t.tags_len, 0);
    store_task_tags_decode(pool, "[\"a\",1,null,[\"x\"],\"b\"]", &t);
    assert_int_equal(t.tags_len, 2);
    assert_string_equal(t.tags[0], "a");
    assert_string_equal(t.tags[1], "b");
    core_pool_cleanup(pool);
}

/* The plain ASCII form is read without jansson; whatever it cannot read must
 * still come out as jansson reads it. */
static void test_tags_decode_plain_and_not(void **state)
{
    static const struct {
        const char *text;
        size_t n;
        const char *tags[3];
    } cases[] = {
        {"[]", 0, {NULL}},
        {"[\"work\",\"q2\"]", 2, {"work", "q2"}},
        {"[\"\",\"a b\",\"~\"]", 3, {"", "a b", "~"}},
        {"[\"a\\\"b\"]", 1, {"a\"b"}},             /* an escape: jansson */
        {"[\"\\u00e9t\u00e9\"]", 1, {"\u00e9t\u00e9"}}, /* \u escape and UTF-8 */
        {"[\"a\", \"b\"]", 2, {"a", "b"}},           /* another writer's spacing */
        {"[\"a\"] ", 1, {"a"}},                      /* trailing space: JSON allows it */
        {"[\"a\"]x", 0, {NULL}},                     /* not JSON */
        {"[\"a\",]", 0, {NULL}},
        {"[\"a\"", 0, {NULL}},
        {"[\"a", 0, {NULL}},
        {"[", 0, {NULL}},
        {"", 0, {NULL}},
        {"[\"tab\there\"]", 0, {NULL}},               /* a raw control character: not JSON */
    };
    core_pool_t pool_, *pool = &pool_;
    (void)state;
    core_pool_init(pool);
    for (size_t i = 0; i < NELEM(cases); i++) {
        store_task_t t = {0};
        store_task_tags_decode(pool, cases[i].text, &t);
        if (t.tags_len != cases[i].n)
            fail_msg("%s: %zu tags, want %zu", cases[i].text, t.tags_len, cases[i].n);
        for (size_t k = 0; k < t.tags_len; k++)
            assert_string_equal(t.tags[k], cases[i].tags[k]);
    }
    core_pool_cleanup(pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_first_page),
        cmocka_unit_test(test_every_filter_in_each_dialect),
        cmocka_unit_test(test_counts_use_the_counters_only_for_status_and_priority),
        cmocka_unit_test(test_search_count),
        cmocka_unit_test(test_keyset_bounds),
        cmocka_unit_test(test_priority_sort_under_a_priority_filter),
        cmocka_unit_test(test_page_with_total),
        cmocka_unit_test(test_every_shape_builds_whole),
        cmocka_unit_test(test_tags_encode),
        cmocka_unit_test(test_tags_decode_plain_and_not),
        cmocka_unit_test(test_tags_round_trip_at_the_limit),
        cmocka_unit_test(test_tags_decode_odd_text),
    };
    return cmocka_run_group_tests_name("store/task_sql", tests, NULL, NULL);
}
