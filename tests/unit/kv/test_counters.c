/*
 * Unit tests for src/kv/counters.c with small capacities (the capacity is an
 * argument of kv__counters_init): a full table forgets the key whose window
 * opened first among those with hits left, never a key at or over its
 * limit, takes room from ended windows first, and refuses a new key (saying
 * when room is expected) when every key held is at its limit; a flood of
 * new keys through a small table leaves blocked keys blocked. Times are
 * explicit milliseconds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/error.h"
#include "kv/counters.h"

#define WINDOW 1000

static kv__counters_t c;

static int setup(void **state)
{
    (void)state;
    return sodium_init() < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    (void)state;
    kv__counters_cleanup(&c);
    return 0;
}

/* Hit key (limit max) at now; returns the count, or -1 when refused. */
static long hit(const char *key, long max, int64_t now)
{
    long count = 0;
    int64_t reset_at = 0;
    int rc = kv__counters_hit(&c, key, strlen(key), WINDOW, max, now, &count, &reset_at);
    if (rc == CORE_E_UNAVAILABLE)
        return -1;
    assert_int_equal(rc, CORE_OK);
    return count;
}

static bool held(const char *key)
{
    return kv__table_find(&c.table, key, strlen(key)) != NULL;
}

static void test_evicts_oldest_window_with_hits_left(void **state)
{
    (void)state;
    kv__counters_init(&c, 3);
    assert_int_equal(hit("a", 10, 100), 1);
    assert_int_equal(hit("b", 10, 110), 1);
    assert_int_equal(hit("c", 10, 120), 1);
    assert_int_equal(hit("a", 10, 130), 2); /* a hit inside its window does not make it younger */
    assert_int_equal(hit("d", 10, 140), 1);
    assert_false(held("a"));
    assert_true(held("b") && held("c") && held("d"));
    assert_int_equal(c.evicted, 1);
    assert_int_equal(c.table.count, 3);

    /* b's window ends and reopens at 1110: now the youngest, so c goes next */
    assert_int_equal(hit("b", 10, 1110), 1);
    assert_int_equal(hit("e", 10, 1115), 1);
    assert_false(held("c"));
    assert_true(held("b") && held("d") && held("e"));
    /* a forgotten key starts over: it lost its count, not its limit */
    assert_int_equal(hit("a", 10, 1116), 1);
}

static void test_never_evicts_a_key_at_its_limit(void **state)
{
    (void)state;
    long count;
    int64_t reset_at = -1;

    kv__counters_init(&c, 3);
    assert_int_equal(hit("blocked", 2, 100), 1);
    assert_int_equal(hit("blocked", 2, 101), 2); /* at its limit: the next hit is refused upstream */
    assert_int_equal(hit("over", 1, 102), 1);
    assert_int_equal(hit("over", 1, 103), 2); /* over */
    assert_int_equal(hit("open", 5, 104), 1);
    /* room for x comes from "open", the only key with hits left */
    assert_int_equal(hit("x", 1, 200), 1);
    assert_false(held("open"));
    /* x is at its limit too: nothing can go, so y is refused with when room comes */
    assert_int_equal(kv__counters_hit(&c, "y", 1, WINDOW, 5, 300, &count, &reset_at), CORE_E_UNAVAILABLE);
    assert_int_equal(reset_at, 100 + WINDOW); /* blocked's window, the oldest held */
    assert_int_equal(c.table.count, 3);
    /* the blocked keys keep counting */
    assert_int_equal(hit("blocked", 2, 400), 3);
    assert_int_equal(hit("over", 1, 400), 3);
}

static void test_undo_does_not_make_a_key_evictable(void **state)
{
    (void)state;
    kv__counters_init(&c, 2);
    assert_int_equal(hit("a", 2, 100), 1);
    assert_int_equal(hit("a", 2, 101), 2);
    assert_int_equal(kv__counters_undo(&c, "a", 1, 102), CORE_OK); /* a successful request taken back */
    assert_int_equal(hit("b", 1, 103), 1);
    assert_int_equal(hit("new", 5, 104), -1); /* a reached its limit in this window: kept */
    assert_int_equal(hit("a", 2, 105), 2);
}

static void test_ended_windows_make_room_first(void **state)
{
    (void)state;
    kv__counters_init(&c, 2);
    assert_int_equal(hit("first", 1, 100), 1);  /* at its limit until 1100 */
    assert_int_equal(hit("second", 1, 200), 1); /* at its limit until 1200 */
    assert_int_equal(hit("x", 5, 1050), -1);    /* full sweep done: nothing ended yet */
    /* at 1150 the first window has ended: that room is taken, though the
     * next full sweep is not due before 2050 */
    assert_int_equal(hit("y", 5, 1150), 1);
    assert_false(held("first"));
    assert_true(held("second") && held("y"));
    assert_int_equal(c.evicted, 0);
}

static void test_flood_through_a_small_table(void **state)
{
    (void)state;
    char key[32];

    kv__counters_init(&c, 16);
    for (int i = 0; i < 8; i++) {
        snprintf(key, sizeof(key), "attacker-%d", i);
        for (int n = 1; n <= 4; n++)
            assert_int_equal(hit(key, 3, 100), n); /* over their limit of 3 */
    }
    /* 10,000 one-hit clients pass through the other 8 places */
    for (int i = 0; i < 10000; i++) {
        snprintf(key, sizeof(key), "client-%d", i);
        assert_int_equal(hit(key, 100, 200), 1);
    }
    assert_int_equal(c.table.count, 16);
    assert_int_equal(c.evicted, 10000 - 8);
    for (int i = 0; i < 8; i++) {
        snprintf(key, sizeof(key), "attacker-%d", i);
        assert_int_equal(hit(key, 3, 300), 5); /* still counted: still refused */
    }
}

static void test_bad_arguments(void **state)
{
    (void)state;
    long count;
    int64_t reset_at;

    kv__counters_init(&c, 2);
    assert_int_equal(kv__counters_hit(&c, "k", 1, 0, 5, 100, &count, &reset_at), CORE_E_INTERNAL);
    assert_int_equal(kv__counters_hit(&c, "k", 1, WINDOW, 0, 100, &count, &reset_at), CORE_E_INTERNAL);
    assert_int_equal(c.table.count, 0);
}

#define T(f) cmocka_unit_test_teardown(f, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_evicts_oldest_window_with_hits_left), T(test_never_evicts_a_key_at_its_limit),
        T(test_undo_does_not_make_a_key_evictable),  T(test_ended_windows_make_room_first),
        T(test_flood_through_a_small_table),         T(test_bad_arguments),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
