/*
 * Unit tests for src/core/str.c: slice comparison, trimming, integer parsing
 * with overflow at both ends of int64, and UTF-8 validation against the
 * malformed forms a client can send (overlongs, surrogates, truncation,
 * code points past U+10FFFF).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "core/str.h"

#define S(lit) CORE_STR_LIT(lit)

static void test_eq_nocase(void **state)
{
    (void)state;
    assert_true(core_str_eq_nocase(S("Content-Type"), S("content-type")));
    assert_true(core_str_eq_nocase(S(""), S("")));
    assert_false(core_str_eq_nocase(S("abc"), S("abd")));
    assert_false(core_str_eq_nocase(S("abc"), S("ab")));
    /* only ASCII letters fold: '@' (0x40) and '`' (0x60) differ by 32 too */
    assert_false(core_str_eq_nocase(S("@"), S("`")));
    assert_false(core_str_eq_nocase(S("\xc3\x89"), S("\xc3\xa9")));
}

static void test_eq_and_prefix(void **state)
{
    (void)state;
    assert_true(core_str_eq(S("a\0b"), S("a\0b")));
    assert_false(core_str_eq(S("a\0b"), S("a\0c")));
    assert_true(core_str_eq(CORE_STR_NULL, S("")));
    assert_true(core_str_has_prefix(S("/api/tasks"), S("/api/")));
    assert_true(core_str_has_prefix(S("/api/"), S("/api/")));
    assert_false(core_str_has_prefix(S("/ap"), S("/api/")));
    assert_false(core_str_has_prefix(S("/API/x"), S("/api/")));
}

static void test_trim(void **state)
{
    (void)state;
    core_str_t t = core_str_trim(S(" \t\r\n hello world \n\t "));
    assert_int_equal(t.len, 11);
    assert_memory_equal(t.base, "hello world", 11);

    t = core_str_trim(S(" \t\r\n"));
    assert_int_equal(t.len, 0);

    t = core_str_trim(CORE_STR_NULL);
    assert_int_equal(t.len, 0);

    /* vertical tab, form feed and NUL are not trimmed */
    t = core_str_trim(S("\vx\f"));
    assert_int_equal(t.len, 3);
    t = core_str_trim(S("x\0"));
    assert_int_equal(t.len, 2);
}

static void test_to_i64_valid(void **state)
{
    long long n = 0;
    (void)state;
    assert_int_equal(core_str_to_i64(S("0"), 0, 10, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(core_str_to_i64(S("+42"), 0, 100, &n), 0);
    assert_int_equal(n, 42);
    assert_int_equal(core_str_to_i64(S("-42"), -100, 100, &n), 0);
    assert_int_equal(n, -42);
    assert_int_equal(core_str_to_i64(S("007"), 0, 10, &n), 0);
    assert_int_equal(n, 7);
    assert_int_equal(core_str_to_i64(S("9223372036854775807"), INT64_MIN, INT64_MAX, &n), 0);
    assert_true(n == INT64_MAX);
    assert_int_equal(core_str_to_i64(S("-9223372036854775808"), INT64_MIN, INT64_MAX, &n), 0);
    assert_true(n == INT64_MIN);
}

static void test_to_i64_rejects(void **state)
{
    long long n = 12345;
    (void)state;
    static const char *const bad[] = {
        "", "-", "+", " 1", "1 ", "1a", "0x10", "1.0", "1e3", "--1", "+-1",
        "9223372036854775808",   /* INT64_MAX + 1 */
        "-9223372036854775809",  /* INT64_MIN - 1 */
        "18446744073709551615",  /* UINT64_MAX */
        "18446744073709551616",  /* UINT64_MAX + 1: wraps in a naive parser */
        "99999999999999999999",
        "123456789012345678901", /* 21 characters */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (core_str_to_i64(core_str_c(bad[i]), INT64_MIN, INT64_MAX, &n) != -1)
            fail_msg("accepted \"%s\"", bad[i]);
    }
    assert_int_equal(core_str_to_i64(S("1\0"), 0, 10, &n), -1);
    assert_int_equal(n, 12345); /* untouched on failure */
}

static void test_to_i64_range(void **state)
{
    long long n = 0;
    (void)state;
    assert_int_equal(core_str_to_i64(S("1"), 1, 65535, &n), 0);
    assert_int_equal(core_str_to_i64(S("65535"), 1, 65535, &n), 0);
    assert_int_equal(core_str_to_i64(S("0"), 1, 65535, &n), -1);
    assert_int_equal(core_str_to_i64(S("65536"), 1, 65535, &n), -1);
    assert_int_equal(core_str_to_i64(S("-1"), 0, 10, &n), -1);
    assert_int_equal(core_str_to_i64(S("-5"), -10, -2, &n), 0);
    assert_int_equal(core_str_to_i64(S("-1"), -10, -2, &n), -1);
}

static void test_utf8_valid(void **state)
{
    (void)state;
    assert_true(core_str_is_utf8(S("")));
    assert_true(core_str_is_utf8(S("plain ascii\0with nul")));
    assert_true(core_str_is_utf8(S("\xc2\x80")));         /* U+0080, smallest 2-byte */
    assert_true(core_str_is_utf8(S("\xdf\xbf")));         /* U+07FF */
    assert_true(core_str_is_utf8(S("\xe0\xa0\x80")));     /* U+0800 */
    assert_true(core_str_is_utf8(S("\xed\x9f\xbf")));     /* U+D7FF, below surrogates */
    assert_true(core_str_is_utf8(S("\xee\x80\x80")));     /* U+E000, above surrogates */
    assert_true(core_str_is_utf8(S("\xef\xbf\xbf")));     /* U+FFFF */
    assert_true(core_str_is_utf8(S("\xf0\x90\x80\x80"))); /* U+10000 */
    assert_true(core_str_is_utf8(S("\xf4\x8f\xbf\xbf"))); /* U+10FFFF */
    assert_true(core_str_is_utf8(S("caf\xc3\xa9 \xf0\x9f\x98\x80")));
}

static void test_utf8_invalid(void **state)
{
    (void)state;
    static const struct {
        const char *s;
        size_t len;
        const char *why;
    } bad[] = {
#define B(lit, why) {lit, sizeof(lit) - 1, why}
        B("\x80", "lone continuation"),
        B("\xbf", "lone continuation"),
        B("a\xc3", "truncated 2-byte at end"),
        B("\xe2\x82", "truncated 3-byte"),
        B("\xf0\x9f\x98", "truncated 4-byte"),
        B("\xc3(", "bad continuation"),
        B("\xe2(\xa1", "bad continuation"),
        B("\xc0\x80", "overlong NUL"),
        B("\xc0\xaf", "overlong '/'"),
        B("\xc1\xbf", "overlong 2-byte"),
        B("\xe0\x80\xaf", "overlong 3-byte '/'"),
        B("\xe0\x9f\xbf", "overlong U+07FF"),
        B("\xf0\x80\x80\xaf", "overlong 4-byte '/'"),
        B("\xf0\x8f\xbf\xbf", "overlong U+FFFF"),
        B("\xed\xa0\x80", "surrogate U+D800"),
        B("\xed\xbf\xbf", "surrogate U+DFFF"),
        B("\xed\xa0\xbd\xed\xb8\x80", "CESU-8 surrogate pair"),
        B("\xf4\x90\x80\x80", "U+110000"),
        B("\xf5\x80\x80\x80", "lead byte F5"),
        B("\xf7\xbf\xbf\xbf", "lead byte F7"),
        B("\xf8\x88\x80\x80\x80", "5-byte form"),
        B("\xfc\x84\x80\x80\x80\x80", "6-byte form"),
        B("\xfe", "byte FE"),
        B("\xff", "byte FF"),
#undef B
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (core_str_is_utf8(core_str(bad[i].s, bad[i].len)))
            fail_msg("accepted %s (case %zu)", bad[i].why, i);
    }
}

static void test_utf8_len(void **state)
{
    (void)state;
    assert_int_equal(core_str_utf8_len(S("")), 0);
    assert_int_equal(core_str_utf8_len(S("abc")), 3);
    assert_int_equal(core_str_utf8_len(S("caf\xc3\xa9")), 4);
    assert_int_equal(core_str_utf8_len(S("\xe2\x82\xac")), 1);
    assert_int_equal(core_str_utf8_len(S("\xf0\x9f\x98\x80x")), 2);
}

/* A prefix of at most max bytes that never ends inside a character. */
static void test_utf8_prefix(void **state)
{
    (void)state;
    /* fits: the whole slice */
    assert_int_equal(core_str_utf8_prefix(S(""), 0), 0);
    assert_int_equal(core_str_utf8_prefix(S("abc"), 3), 3);
    assert_int_equal(core_str_utf8_prefix(S("abc"), 64), 3);
    assert_int_equal(core_str_utf8_prefix(S("caf\xc3\xa9"), 5), 5);
    /* ASCII: cut at max */
    assert_int_equal(core_str_utf8_prefix(S("abcdef"), 4), 4);
    assert_int_equal(core_str_utf8_prefix(S("abcdef"), 0), 0);
    /* max inside a 2-, 3- and 4-byte character: the character is left out */
    assert_int_equal(core_str_utf8_prefix(S("caf\xc3\xa9!"), 4), 3);
    assert_int_equal(core_str_utf8_prefix(S("a\xe2\x82\xac"), 2), 1);
    assert_int_equal(core_str_utf8_prefix(S("a\xe2\x82\xac"), 3), 1);
    assert_int_equal(core_str_utf8_prefix(S("ab\xf0\x9f\x98\x80z"), 3), 2);
    assert_int_equal(core_str_utf8_prefix(S("ab\xf0\x9f\x98\x80z"), 4), 2);
    assert_int_equal(core_str_utf8_prefix(S("ab\xf0\x9f\x98\x80z"), 5), 2);
    /* max on a boundary: kept */
    assert_int_equal(core_str_utf8_prefix(S("ab\xf0\x9f\x98\x80z"), 6), 6);
    assert_int_equal(core_str_utf8_prefix(S("\xc3\xa9\xc3\xa9"), 2), 2);
    /* nothing fits before the first character */
    assert_int_equal(core_str_utf8_prefix(S("\xf0\x9f\x98\x80"), 3), 0);
    /* the prefix is valid UTF-8 for every max (63 'a', then a 2-byte e-acute) */
    char buf[80];
    memset(buf, 'a', 63);
    memcpy(buf + 63, "\xc3\xa9\xf0\x9f\x98\x80", 6);
    for (size_t max = 0; max <= 69; max++)
        assert_true(core_str_is_utf8(core_str(buf, core_str_utf8_prefix(core_str(buf, 69), max))));
    assert_int_equal(core_str_utf8_prefix(core_str(buf, 69), 64), 63);
}

/* An absent value is a NULL slice (api_input_string gives one): valid, and
 * never offset (UBSan: zero offset to NULL). Last in main(): under
 * -fno-sanitize-recover it ends the run. */
static void test_utf8_null_slice(void **state)
{
    (void)state;
    assert_true(core_str_is_utf8(CORE_STR_NULL));
    assert_int_equal(core_str_utf8_len(CORE_STR_NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_eq_nocase),    cmocka_unit_test(test_eq_and_prefix),
        cmocka_unit_test(test_trim),         cmocka_unit_test(test_to_i64_valid),
        cmocka_unit_test(test_to_i64_rejects), cmocka_unit_test(test_to_i64_range),
        cmocka_unit_test(test_utf8_valid),   cmocka_unit_test(test_utf8_invalid),
        cmocka_unit_test(test_utf8_len),     cmocka_unit_test(test_utf8_prefix),
        cmocka_unit_test(test_utf8_null_slice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
