/*
 * Unit tests for src/core/uuid.c: UUIDv7 layout (version and variant bits),
 * time extraction, ordering across milliseconds, randomness within one
 * millisecond, ids made after a floor (in order within one millisecond and
 * when the clock steps back), and validation of what clients send as ids.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/uuid.h"

static int setup(void **state)
{
    (void)state;
    return sodium_init() < 0 ? -1 : 0;
}

static void test_layout(void **state)
{
    char id[CORE_UUID_LEN + 1];
    (void)state;
    for (int i = 0; i < 200; i++) {
        core_uuid_v7(1795550223123LL, id);
        assert_int_equal(strlen(id), CORE_UUID_LEN);
        assert_true(core_uuid_valid(core_str(id, CORE_UUID_LEN)));
        assert_int_equal(id[14], '7');
        assert_non_null(strchr("89ab", id[19])); /* RFC 9562 variant 10xx */
        /* 1795550223123 = 0x01a2 0f22 1b13 */
        assert_memory_equal(id, "01a20f22-1b13-", 14);
    }
}

static void test_time_round_trip(void **state)
{
    char id[CORE_UUID_LEN + 1];
    (void)state;
    static const int64_t samples[] = {0, 1, 1795550223123LL, 0xffffffffffffLL /* 48-bit max */};
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        core_uuid_v7(samples[i], id);
        assert_true(core_uuid_v7_time_ms(core_str(id, CORE_UUID_LEN)) == samples[i]);
    }
}

static void test_ordering(void **state)
{
    char prev[CORE_UUID_LEN + 1], cur[CORE_UUID_LEN + 1];
    (void)state;
    core_uuid_v7(1700000000000LL, prev);
    for (int64_t ms = 1700000000001LL; ms < 1700000000000LL + 5000; ms += 3) {
        core_uuid_v7(ms, cur);
        assert_true(strcmp(prev, cur) < 0);
        memcpy(prev, cur, sizeof(cur));
    }
    /* byte-wise order follows time across a hex digit carry */
    core_uuid_v7(0x0fffffffffffLL, prev);
    core_uuid_v7(0x100000000000LL, cur);
    assert_true(strcmp(prev, cur) < 0);
}

static void test_random_within_ms(void **state)
{
    char a[CORE_UUID_LEN + 1], b[CORE_UUID_LEN + 1];
    (void)state;
    core_uuid_v7(42, a);
    core_uuid_v7(42, b);
    assert_string_not_equal(a, b);
}

static void test_valid(void **state)
{
    (void)state;
    assert_true(core_uuid_valid(CORE_STR_LIT("0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c9d")));
    assert_true(core_uuid_valid(CORE_STR_LIT("00000000-0000-0000-0000-000000000000")));
    assert_true(core_uuid_valid(CORE_STR_LIT("6ba7b810-9dad-41d1-80b4-00c04fd430c8"))); /* v4 is valid too */

    static const char *const bad[] = {
        "",
        "0190F3C6-8D5E-7B1A-9C3D-4E5F6A7B8C9D", /* uppercase is not canonical */
        "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c9",  /* 35 chars */
        "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c9d0", /* 37 chars */
        "0190f3c68d5e7b1a9c3d4e5f6a7b8c9d",     /* no dashes */
        "0190f3c6-8d5e-7b1a-9c3d4-e5f6a7b8c9d", /* dash misplaced */
        "0190f3c6+8d5e-7b1a-9c3d-4e5f6a7b8c9d",
        "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c9g",
        "{190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c9d}",
        "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c ",
        "../../../../../../../../../etc/passwd",
        "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c9\xc3",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (core_uuid_valid(core_str_c(bad[i])))
            fail_msg("accepted \"%s\"", bad[i]);
    }
    /* an embedded NUL inside the 36 bytes */
    assert_false(core_uuid_valid(core_str("0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b\0c9d", 36)));
}

static void test_time_of_non_v7(void **state)
{
    (void)state;
    assert_true(core_uuid_v7_time_ms(CORE_STR_LIT("6ba7b810-9dad-41d1-80b4-00c04fd430c8")) == -1);
    assert_true(core_uuid_v7_time_ms(CORE_STR_LIT("not-a-uuid")) == -1);
    assert_true(core_uuid_v7_time_ms(CORE_STR_NULL) == -1);
    assert_true(core_uuid_v7_time_ms(CORE_STR_LIT("0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c9d")) == 0x0190f3c68d5eLL);
}

/* A chain of ids made after each other sorts in order, whatever the clock. */
static void test_after(void **state)
{
    char prev[CORE_UUID_LEN + 1], cur[CORE_UUID_LEN + 1];
    (void)state;

    /* no floor, or a floor in the past: the time given, random bits */
    assert_true(core_uuid_v7_after(1000, NULL, prev) == 1000);
    assert_true(core_uuid_v7_time_ms(core_str(prev, CORE_UUID_LEN)) == 1000);
    assert_true(core_uuid_v7_after(2000, prev, cur) == 2000);
    assert_true(strcmp(prev, cur) < 0);
    /* the same millisecond 5000 times, then the clock stepping back */
    for (int i = 0; i < 5000; i++) {
        memcpy(prev, cur, sizeof(cur));
        int64_t ms = core_uuid_v7_after(i < 4000 ? 2000 : 1500, prev, cur);
        assert_true(strcmp(prev, cur) < 0);
        assert_true(core_uuid_valid(core_str(cur, CORE_UUID_LEN)));
        assert_int_equal(cur[14], '7');
        assert_non_null(strchr("89ab", cur[19]));
        assert_true(ms == core_uuid_v7_time_ms(core_str(cur, CORE_UUID_LEN)));
        assert_true(ms >= 2000 && ms <= 2002); /* 12 bits of counter per ms */
    }
    /* the counter's last value moves on to the next millisecond */
    strcpy(prev, "00000000-07d0-7fff-8000-000000000000"); /* ms 2000, rand_a 0xfff */
    assert_true(core_uuid_v7_after(2000, prev, cur) == 2001);
    assert_true(strcmp(prev, cur) < 0);
    /* a floor that is not a UUIDv7 is ignored */
    assert_true(core_uuid_v7_after(7, "6ba7b810-9dad-41d1-80b4-00c04fd430c8", cur) == 7);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_layout),  cmocka_unit_test(test_time_round_trip),
        cmocka_unit_test(test_ordering), cmocka_unit_test(test_random_within_ms),
        cmocka_unit_test(test_valid),   cmocka_unit_test(test_time_of_non_v7),
        cmocka_unit_test(test_after),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
