/*
 * Unit tests for src/core/pool.c: bump allocation and alignment, large
 * allocations in their own chunks, string helpers, and cleanup callbacks
 * run latest first, once, with the pool reusable afterwards. Run under ASan
 * this also proves the pool frees every chunk.
 */
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/pool.h"

static void test_alloc_alignment(void **state)
{
    core_pool_t pool;
    (void)state;
    core_pool_init(&pool);
    char *prev = NULL;
    for (size_t size = 1; size < 3000; size += 37) {
        char *p = core_pool_alloc(&pool, size);
        assert_non_null(p);
        assert_int_equal((uintptr_t)p % alignof(max_align_t), 0);
        memset(p, 0xa5, size); /* ASan: the whole size is ours */
        assert_ptr_not_equal(p, prev);
        prev = p;
    }
    core_pool_cleanup(&pool);
}

static void test_allocations_do_not_overlap(void **state)
{
    core_pool_t pool;
    char *ptrs[300];
    (void)state;
    core_pool_init(&pool);
    for (int i = 0; i < 300; i++) {
        size_t size = (size_t)(i % 50) * 13 + 1 + (i % 17 == 0 ? 5000 : 0);
        ptrs[i] = core_pool_alloc(&pool, size);
        memset(ptrs[i], i, size);
    }
    for (int i = 0; i < 300; i++) {
        size_t size = (size_t)(i % 50) * 13 + 1 + (i % 17 == 0 ? 5000 : 0);
        for (size_t j = 0; j < size; j++)
            if ((unsigned char)ptrs[i][j] != (unsigned char)i)
                fail_msg("allocation %d overwritten at byte %zu", i, j);
    }
    core_pool_cleanup(&pool);
}

static void test_large_then_small(void **state)
{
    core_pool_t pool;
    (void)state;
    core_pool_init(&pool);
    char *small1 = core_pool_alloc(&pool, 16);
    char *big = core_pool_alloc(&pool, 1 << 20);
    char *small2 = core_pool_alloc(&pool, 16);
    memset(big, 1, 1 << 20);
    /* a large allocation does not abandon the current chunk */
    assert_ptr_equal(small2, small1 + 16);
    core_pool_cleanup(&pool);

    core_pool_init(&pool);
    big = core_pool_alloc(&pool, 100000); /* large as the very first allocation */
    memset(big, 2, 100000);
    small1 = core_pool_alloc(&pool, 8);
    memset(small1, 3, 8);
    core_pool_cleanup(&pool);
}

static void test_zero_size(void **state)
{
    core_pool_t pool;
    (void)state;
    core_pool_init(&pool);
    /* pool.h: "never NULL", also for an empty request on a fresh pool */
    assert_non_null(core_pool_alloc(&pool, 0));
    assert_non_null(core_pool_calloc(&pool, 0));
    core_pool_cleanup(&pool);
}

static void test_calloc_and_strings(void **state)
{
    core_pool_t pool;
    (void)state;
    core_pool_init(&pool);
    unsigned char *z = core_pool_calloc(&pool, 2000);
    for (size_t i = 0; i < 2000; i++)
        assert_int_equal(z[i], 0);

    char *s = core_pool_strndup(&pool, "hello world", 5);
    assert_string_equal(s, "hello");
    s = core_pool_strndup(&pool, NULL, 0);
    assert_string_equal(s, "");
    s = core_pool_strdup(&pool, "copy");
    assert_string_equal(s, "copy");
    s = core_pool_cstr(&pool, CORE_STR_LIT("sl\0ice"));
    assert_memory_equal(s, "sl\0ice", 7);

    s = core_pool_printf(&pool, "%s-%d-%05.1f", "x", -42, 3.14159);
    assert_string_equal(s, "x--42-003.1");
    char big[10000];
    memset(big, 'q', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    s = core_pool_printf(&pool, "[%s]", big);
    assert_int_equal(strlen(s), sizeof(big) + 1);
    assert_int_equal(s[0], '[');
    assert_int_equal(s[sizeof(big)], ']');
    core_pool_cleanup(&pool);
}

static int order[16];
static int norder;

static void record(void *data)
{
    order[norder++] = *(int *)data;
}

static void test_defer_reverse_order(void **state)
{
    core_pool_t pool;
    static int ids[5] = {1, 2, 3, 4, 5};
    (void)state;
    norder = 0;
    core_pool_init(&pool);
    for (int i = 0; i < 5; i++) {
        core_pool_defer(&pool, record, &ids[i]);
        (void)core_pool_alloc(&pool, 3000); /* spread across chunks */
    }
    assert_int_equal(norder, 0);
    core_pool_cleanup(&pool);
    assert_int_equal(norder, 5);
    for (int i = 0; i < 5; i++)
        assert_int_equal(order[i], 5 - i);

    /* the pool is reusable and the callbacks do not run twice */
    (void)core_pool_alloc(&pool, 10);
    core_pool_cleanup(&pool);
    assert_int_equal(norder, 5);
}

/* A cleanup may still read pool memory: callbacks run before chunks are freed. */
static void read_pool_string(void *data)
{
    order[norder++] = strcmp(data, "still here") == 0 ? 100 : -100;
}

static void test_defer_sees_pool_memory(void **state)
{
    core_pool_t pool;
    (void)state;
    norder = 0;
    core_pool_init(&pool);
    char *s = core_pool_strdup(&pool, "still here");
    core_pool_defer(&pool, read_pool_string, s);
    core_pool_cleanup(&pool);
    assert_int_equal(norder, 1);
    assert_int_equal(order[0], 100);
}

static void test_cleanup_empty_twice(void **state)
{
    core_pool_t pool;
    (void)state;
    core_pool_init(&pool);
    core_pool_cleanup(&pool);
    core_pool_cleanup(&pool);
    assert_null(pool.chunks);
    assert_null(pool.cleanups);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc_alignment),   cmocka_unit_test(test_allocations_do_not_overlap),
        cmocka_unit_test(test_large_then_small),
        cmocka_unit_test(test_calloc_and_strings), cmocka_unit_test(test_defer_reverse_order),
        cmocka_unit_test(test_defer_sees_pool_memory), cmocka_unit_test(test_cleanup_empty_twice),
        cmocka_unit_test(test_zero_size), /* last: under UBSan the bug ends the run */
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
