/*
 * Unit tests for src/core/objectid.c: the ObjectId -> UUIDv7 map of
 * imported data. Expected ids were computed apart from this code (Python,
 * one 128-bit integer: ms << 80 | 7 << 76 | rest >> 52 << 64 | 2 << 62 |
 * (rest & (2^52 - 1)) << 10); the map keeps order, is a valid UUIDv7 whose
 * time is the ObjectId's, and parsing takes 24 hex digits in either case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/objectid.h"

static void map(const char *hex, char out[CORE_UUID_LEN + 1])
{
    uint8_t oid[CORE_OBJECTID_LEN];
    assert_true(core_objectid_parse(core_str_c(hex), oid));
    core_objectid_to_uuid(oid, out);
}

static void test_known_values(void **state)
{
    char id[CORE_UUID_LEN + 1];
    (void)state;
    map("65a1b2c3aaaaaaaaaa000001", id);
    assert_string_equal(id, "018cffa2-49b8-7aaa-aaaa-aaa800000400");
    map("65a1b2d0000000000000a001", id);
    assert_string_equal(id, "018cffa2-7c80-7000-8000-000002800400");
    map("000000000000000000000000", id);
    assert_string_equal(id, "00000000-0000-7000-8000-000000000000");
    map("FFFFFFFFFFFFFFFFFFFFFFFF", id);
    assert_string_equal(id, "03e7ffff-fc18-7fff-bfff-fffffffffc00");
    assert_true(core_uuid_valid(core_str_c(id)));
    assert_int_equal(core_uuid_v7_time_ms(core_str_c(id)), 4294967295000LL);
}

static void test_order_kept(void **state)
{
    static const char *const sorted[] = {"000000000000000000000001", "65a1b2c3000000000000ffff",
                                         "65a1b2c3000000000001ffff", "65a1b2c3fff00000000000ff",
                                         "65a1b2c3fff00000000001ff", "65a1b2c4000000000000000a"};
    char a[CORE_UUID_LEN + 1], b[CORE_UUID_LEN + 1];
    (void)state;
    for (size_t i = 1; i < sizeof(sorted) / sizeof(sorted[0]); i++) {
        map(sorted[i - 1], a);
        map(sorted[i], b);
        assert_true(strcmp(a, b) < 0);
    }
}

static void test_parse_refuses(void **state)
{
    uint8_t oid[CORE_OBJECTID_LEN];
    (void)state;
    assert_false(core_objectid_parse(core_str_c("65a1b2c3aaaaaaaaaa00000"), oid));   /* 23 */
    assert_false(core_objectid_parse(core_str_c("65a1b2c3aaaaaaaaaa0000012"), oid)); /* 25 */
    assert_false(core_objectid_parse(core_str_c("65a1b2c3aaaaaaaaaa00000g"), oid));
    assert_false(core_objectid_parse(core_str_c("018cffa2-49b8-7aaa-aaaa-aaa800000400"), oid));
    assert_false(core_objectid_parse(CORE_STR_NULL, oid));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_values),
        cmocka_unit_test(test_order_kept),
        cmocka_unit_test(test_parse_refuses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
