/*
 * Unit tests for src/kv/table.c: entries survive the table growing, keys are
 * compared by length and bytes, removal and sweeps keep the count right, and
 * sweeps resume where the last one stopped until every bucket was seen.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "kv/table.h"

typedef struct item {
    kv__entry_t e;
    int value;
} item_t;

static int setup(void **state)
{
    (void)state;
    return sodium_init() < 0 ? -1 : 0;
}

static item_t *find(kv__table_t *t, const char *key)
{
    return (item_t *)kv__table_find(t, key, strlen(key));
}

static void test_add_find_grow(void **state)
{
    (void)state;
    kv__table_t t;
    char key[32];

    kv__table_init(&t);
    size_t initial = t.mask + 1;
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "key-%d", i);
        item_t *it = (item_t *)kv__table_add(&t, key, strlen(key), sizeof(item_t));
        assert_int_equal(it->value, 0); /* zeroed */
        assert_string_equal(it->e.key, key);
        it->value = i;
    }
    assert_int_equal(t.count, 5000);
    assert_true(t.mask + 1 > initial);
    assert_true(t.mask + 1 >= 5000);
    for (int i = 0; i < 5000; i++) {
        snprintf(key, sizeof(key), "key-%d", i);
        item_t *it = find(&t, key);
        assert_non_null(it);
        assert_int_equal(it->value, i);
    }
    assert_null(find(&t, "key-5000"));
    assert_null(find(&t, "key-"));
    assert_null(kv__table_find(&t, "key-1", 4));         /* a prefix is another key */
    assert_non_null(kv__table_find(&t, "key-12345", 6)); /* "key-12" */
    kv__table_cleanup(&t);
}

static void test_remove(void **state)
{
    (void)state;
    kv__table_t t;

    kv__table_init(&t);
    kv__table_add(&t, "a", 1, sizeof(item_t));
    kv__table_add(&t, "b", 1, sizeof(item_t));
    kv__table_remove(&t, kv__table_find(&t, "a", 1));
    assert_int_equal(t.count, 1);
    assert_null(kv__table_find(&t, "a", 1));
    assert_non_null(kv__table_find(&t, "b", 1));
    kv__table_add(&t, "a", 1, sizeof(item_t));
    assert_int_equal(t.count, 2);
    kv__table_cleanup(&t);
}

static bool odd_dead(kv__entry_t *e, void *ctx)
{
    (*(int *)ctx)++;
    return ((item_t *)e)->value % 2 == 1;
}

static void test_sweep_resumes(void **state)
{
    (void)state;
    kv__table_t t;
    char key[32];
    int seen = 0;

    kv__table_init(&t);
    for (int i = 0; i < 40; i++) {
        snprintf(key, sizeof(key), "%d", i);
        ((item_t *)kv__table_add(&t, key, strlen(key), sizeof(item_t)))->value = i;
    }
    size_t buckets = t.mask + 1, removed = 0;
    /* 8 buckets at a time: only after a full round is every entry seen */
    for (size_t i = 0; i + 8 <= buckets; i += 8)
        removed += kv__table_sweep(&t, 8, odd_dead, &seen);
    assert_int_equal(seen, 40);
    assert_int_equal(removed, 20);
    assert_int_equal(t.count, 20);
    for (int i = 0; i < 40; i++) {
        snprintf(key, sizeof(key), "%d", i);
        item_t *it = find(&t, key);
        if (i % 2)
            assert_null(it);
        else
            assert_int_equal(it->value, i);
    }
    /* asking for more buckets than exist scans each once */
    seen = 0;
    assert_int_equal(kv__table_sweep(&t, SIZE_MAX, odd_dead, &seen), 0);
    assert_int_equal(seen, 20);
    kv__table_cleanup(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_add_find_grow),
        cmocka_unit_test(test_remove),
        cmocka_unit_test(test_sweep_resumes),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
