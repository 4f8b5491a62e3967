/*
 * Tests of the compiled searches of the SQLite backend (sqlite/search.c):
 * the row test that walks use must say exactly what the full-text index
 * says. Tasks with texts that probe case, accents, punctuation, phrases,
 * prefixes, tags and JSON escapes are written through the store (so the
 * triggers index them), and for every search in a list the test's verdict on
 * each row is compared with the row's membership in the index's matches.
 */
#include "store/test_sqlite_fixture.h"

#define U1 "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c91"
#define U2 "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c92"
#define T0 INT64_C(1700000000000)
#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int setup(void **state)
{
    fixture_t *f;
    store_user_t a = fixture_user('1', "a@example.com", T0), b = fixture_user('2', "b@example.com", T0);

    if (fixture_setup(state) != 0)
        return -1;
    f = *state;
    if (store_user_create(f->store, &a, NULL) != CORE_OK || store_user_create(f->store, &b, NULL) != CORE_OK)
        return -1;
    return 0;
}

typedef struct row {
    const char *title, *description;
    const char *tags[3];
} row_t;

static const row_t ROWS[] = {
    {"Alpha report", "numbers for the board", {"kitchen"}},
    {"alphabet soup", "", {NULL}},
    {"ALPHA", "the Alpha team", {"work", "home"}},
    {"Éclair recipe", "Café meeting in Zürich", {"café"}},
    {"push-ups", "10 push ups a day", {NULL}},
    {"meeting-room booking", "room 12", {"meeting room"}},
    {"a \"quoted\" word", "back\\slash and\ttab", {"quo\"te", "new\nline", "x\\y"}},
    {"über straße", "naïve coöperation", {"Ölfass"}},
    {"emoji 🚀 launch", "dash—separated words", {"🚀"}},
    {"numbers 123 4567", "v2.0 release", {"2024"}},
    {"plain", "nothing to see", {"work"}},
    {"room service", "booking meeting", {"room"}},
};

static const char *const SEARCHES[] = {
    "alpha", "ALPH", "alpha report", "report alpha", "alphabet", "a", "al", "alp", "zurich", "ZÜR", "cafe",
    "éclair", "eclair recipe", "push", "push-ups", "push-up", "pushups", "ups", "meeting room", "meeting-room",
    "meeting-ro", "room-meeting", "room", "booking", "quoted", "\"quoted\"", "quo", "back", "slash", "tab",
    "line", "new", "newline", "te", "x", "y", "uber", "strasse", "stra", "naive", "cooperation", "olfass",
    "launch", "🚀", "dash", "separated", "dash—separated", "123", "45", "v2", "v2.0", "2.0", "2024", "plain",
    "nothing", "work", "home", "kitchen", "board kitch", "alpha garden", "—", "alpha —", "“alpha” report",
    "the", "to", "see nothing",
};

static void create(fixture_t *f, const char *user, int64_t at, const row_t *r)
{
    const char *tags[3] = {r->tags[0], r->tags[1], r->tags[2]};
    store_task_t t = {.title = r->title,
                      .description = r->description,
                      .status = STORE_TASK_PENDING,
                      .priority = STORE_TASK_MEDIUM,
                      .due_date = STORE_TIME_NONE,
                      .completed_at = STORE_TIME_NONE,
                      .created_at = at,
                      .updated_at = at,
                      .tags = tags};
    snprintf(t.user_id, sizeof(t.user_id), "%s", user);
    while (t.tags_len < 3 && tags[t.tags_len] != NULL)
        t.tags_len++;
    assert_int_equal(store_task_create(f->store, &t), CORE_OK);
}

static void test_row_test_agrees_with_the_index(void **state)
{
    fixture_t *f = *state;
    store_sqlite_t *s = store_sqlite_of(f->store);
    size_t matched = 0;

    for (size_t i = 0; i < NELEM(ROWS); i++) {
        create(f, U1, T0 + (int64_t)i, &ROWS[i]);
        create(f, U2, T0 + 100 + (int64_t)i, &ROWS[i]); /* the index holds another user's copies */
    }
    for (size_t i = 0; i < NELEM(SEARCHES); i++) {
        store_sqlite_search_t *x = NULL;
        sqlite3_stmt *st;

        assert_int_equal(store_sqlite_search_compile(s, U1, SEARCHES[i], &x), CORE_OK);
        if (x == NULL) /* nothing searchable: the list answers no tasks without asking */
            continue;
        assert_true(store_sqlite_search_testable(x));
        assert_int_equal(sqlite3_prepare_v2(s->db,
                                            "SELECT title, description, tags, seq IN (SELECT rowid FROM tasks_fts "
                                            "WHERE tasks_fts MATCH ?2) FROM tasks WHERE user_id = ?1",
                                            -1, &st, NULL),
                         SQLITE_OK);
        sqlite3_bind_text(st, 1, U1, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, store_sqlite_search_expr(x), -1, SQLITE_STATIC);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const char *title = (const char *)sqlite3_column_text(st, 0);
            bool index = sqlite3_column_int(st, 3) != 0;
            bool test = store_sqlite_search_matches(x, title, (const char *)sqlite3_column_text(st, 1),
                                                    (const char *)sqlite3_column_text(st, 2));
            if (index != test)
                print_error("search %s, task %s: index %d, row test %d\n", SEARCHES[i], title, index, test);
            assert_int_equal(index, test);
            matched += index;
        }
        sqlite3_finalize(st);
        store_sqlite_search_free(x);
    }
    assert_true(matched >= 60); /* the searches find things, not only agree on nothing */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_row_test_agrees_with_the_index, setup, fixture_teardown),
    };
    return cmocka_run_group_tests_name("store/sqlite_search", tests, NULL, NULL);
}
