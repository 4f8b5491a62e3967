/*
 * Unit tests for src/core/clock.c: ISO-8601 formatting and parsing (round
 * trips, offsets, fractions, every kind of invalid date a client can put in
 * a dueDate), the Apache CLF time of the access log, and clock sanity.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "core/clock.h"

/* 2026-11-24T19:57:03.123Z */
#define T_2026 1795550223123LL

static bool parse(const char *s, int64_t *ms)
{
    return core_clock_parse_iso8601(s, strlen(s), ms);
}

static void test_format(void **state)
{
    char out[32];
    (void)state;
    core_clock_iso8601(0, out);
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
    core_clock_iso8601(T_2026, out);
    assert_string_equal(out, "2026-11-24T19:57:03.123Z");
    core_clock_iso8601(951782400000LL, out); /* leap day 2000 */
    assert_string_equal(out, "2000-02-29T00:00:00.000Z");
    core_clock_iso8601(-1, out); /* one ms before the epoch */
    assert_string_equal(out, "1969-12-31T23:59:59.999Z");
    core_clock_iso8601(253402300799999LL, out);
    assert_string_equal(out, "9999-12-31T23:59:59.999Z");
}

static void test_parse_forms(void **state)
{
    int64_t ms = 0;
    (void)state;
    assert_true(parse("2026-11-24T19:57:03.123Z", &ms));
    assert_true(ms == T_2026);
    assert_true(parse("2026-11-24t19:57:03.123z", &ms));
    assert_true(ms == T_2026);
    assert_true(parse("2026-11-24T19:57:03Z", &ms));
    assert_true(ms == T_2026 - 123);
    assert_true(parse("2026-11-24T19:57Z", &ms));
    assert_true(ms == T_2026 - 3123);
    assert_true(parse("2026-11-24", &ms));
    assert_true(ms == 1795478400000LL);
    /* fractions: fewer digits scale up, more than 3 are truncated, up to 9 */
    assert_true(parse("2026-11-24T19:57:03.1Z", &ms));
    assert_true(ms == T_2026 - 23);
    assert_true(parse("2026-11-24T19:57:03.123999999Z", &ms));
    assert_true(ms == T_2026);
    /* offsets move the instant to UTC */
    assert_true(parse("2026-11-24T21:57:03.123+02:00", &ms));
    assert_true(ms == T_2026);
    assert_true(parse("2026-11-24T14:27:03.123-05:30", &ms));
    assert_true(ms == T_2026);
    assert_true(parse("1970-01-01T00:00:00Z", &ms));
    assert_true(ms == 0);
}

static void test_parse_length_bounds(void **state)
{
    int64_t ms = 0;
    const char *s = "2026-11-24T19:57:03Z trailing";
    (void)state;
    /* only len bytes are read: no NUL terminator needed */
    assert_true(core_clock_parse_iso8601(s, 20, &ms));
    assert_true(ms == T_2026 - 123);
    assert_false(core_clock_parse_iso8601(s, strlen(s), &ms));
    assert_true(core_clock_parse_iso8601(s, 10, &ms)); /* "2026-11-24" */
    assert_false(core_clock_parse_iso8601(s, 9, &ms));
    assert_false(core_clock_parse_iso8601(s, 0, &ms));
}

static void test_parse_invalid(void **state)
{
    int64_t ms = 0;
    (void)state;
    static const char *const bad[] = {
        "",
        "2026",
        "2026-11",
        "2026-1-24",
        "26-11-24",
        "2026/11/24",
        "2026-00-10",
        "2026-13-10",
        "2026-11-00",
        "2026-11-31",
        "2026-02-29", /* not a leap year */
        "1900-02-29", /* century, not leap */
        "2026-04-31",
        "1969-12-31", /* before the epoch */
        "0000-01-01",
        "2026-11-24T",
        "2026-11-24T19:57:03",   /* a time without a zone is ambiguous */
        "2026-11-24T19:57",
        "2026-11-24 19:57:03Z",  /* space separator */
        "2026-11-24T24:00:00Z",
        "2026-11-24T23:60:00Z",
        "2026-11-24T23:59:60Z",  /* leap second */
        "2026-11-24T19:57:03.Z",
        "2026-11-24T19:57:03.1234567890Z", /* 10 fraction digits */
        "2026-11-24T19:57:03+0200",
        "2026-11-24T19:57:03+02",
        "2026-11-24T19:57:03+24:00",
        "2026-11-24T19:57:03+02:60",
        "2026-11-24T19:57:03ZZ",
        "2026-11-24T19:57:03Z ",
        " 2026-11-24",
        "2026-11-24x",
        "2026-11-24T1:57:03Z",
        "+2026-11-24",
        "-2026-11-24",
        "2026-11-24T19:57:03,123Z",
        "\xef\xbc\x92\xef\xbc\x90\xef\xbc\x92\xef\xbc\x96-11-24", /* fullwidth digits */
        /* an offset may not carry the instant outside 1970-9999, which the
         * formatter could not write back (found by tests/fuzz/iso8601.c) */
        "1970-01-01T00:30:00+01:00",   /* 1969-12-31T23:30:00Z */
        "1970-01-01T00:00:00.000+00:01",
        "9999-12-31T23:30:00-01:00",   /* 10000-01-01T00:30:00Z, written "0000-..." */
        "9999-12-31T23:59:59.999-00:01",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse(bad[i], &ms))
            fail_msg("accepted \"%s\"", bad[i]);
    }
}

static void test_leap_days(void **state)
{
    int64_t ms = 0;
    (void)state;
    assert_true(parse("2024-02-29", &ms));
    assert_true(parse("2000-02-29", &ms));
    assert_true(ms == 951782400000LL);
    assert_true(parse("9999-12-31T23:59:59.999Z", &ms));
    assert_true(ms == 253402300799999LL);
}

static void test_round_trip(void **state)
{
    (void)state;
    static const int64_t samples[] = {0, 1, 999, 1000, 86399999, T_2026, 951782400000LL, 4102444800000LL,
                                      253402300799999LL};
    for (size_t i = 0; i < sizeof(samples) / sizeof(samples[0]); i++) {
        char out[32];
        int64_t back = -1;
        core_clock_iso8601(samples[i], out);
        assert_int_equal(strlen(out), 24);
        assert_true(parse(out, &back));
        assert_true(back == samples[i]);
    }
    /* every ms step across a second boundary */
    for (int64_t ms = T_2026 - 1500; ms < T_2026 + 1500; ms += 7) {
        char out[32];
        int64_t back = -1;
        core_clock_iso8601(ms, out);
        assert_true(parse(out, &back));
        assert_true(back == ms);
    }
}

/* The calendar arithmetic of the formatter against glibc's gmtime_r(3), on a
 * step that is prime in days so every day of the month, month and kind of
 * year comes round, from before the epoch to the last year we write. */
static void test_matches_gmtime(void **state)
{
    (void)state;
    char want[64], got[32], clf[32];
    struct tm tm;

    for (int64_t ms = -86400000LL * 400; ms <= 253402300799999LL; ms += 86400000LL * 37 + 3723456) {
        time_t t = (time_t)(ms >= 0 ? ms / 1000 : (ms - 999) / 1000);
        gmtime_r(&t, &tm);
        size_t n = strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%S", &tm);
        snprintf(want + n, sizeof(want) - n, ".%03dZ", (int)(ms - (int64_t)t * 1000));
        core_clock_iso8601(ms, got);
        if (ms >= 0) /* the API's range; before it only the CLF below is used (a skewed clock) */
            assert_string_equal(got, want);
        strftime(want, sizeof(want), "%d/%b/%Y:%H:%M:%S +0000", &tm);
        core_clock_clf(ms, clf);
        assert_string_equal(clf, want);
    }
}

static void test_clf(void **state)
{
    char out[32];
    (void)state;
    core_clock_clf(T_2026, out);
    assert_string_equal(out, "24/Nov/2026:19:57:03 +0000");
    core_clock_clf(0, out);
    assert_string_equal(out, "01/Jan/1970:00:00:00 +0000");
    core_clock_clf(-1, out);
    assert_string_equal(out, "31/Dec/1969:23:59:59 +0000");
}

static void test_clocks(void **state)
{
    (void)state;
    int64_t now = core_clock_now_ms();
    assert_true(now > 1700000000000LL); /* after Nov 2023 */
    int64_t a = core_clock_mono_ns(), b = core_clock_mono_ns();
    assert_true(b >= a);
    int64_t m = core_clock_mono_ms();
    assert_true(m >= a / 1000000);
}

/* A deadline is now + ms on that clock, normalized: 0 <= tv_nsec < 1e9. */
static void test_deadline(void **state)
{
    (void)state;
    static const int64_t cases[] = {0, 1, 999, 1000, 1500, 5000, 86400001};
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        int64_t before = core_clock_mono_ns();
        struct timespec d = core_clock_deadline(CLOCK_MONOTONIC, cases[i]);
        int64_t after = core_clock_mono_ns();
        int64_t at = (int64_t)d.tv_sec * 1000000000 + d.tv_nsec;
        assert_true(d.tv_nsec >= 0 && d.tv_nsec < 1000000000L);
        assert_true(at >= before + cases[i] * 1000000);
        assert_true(at <= after + cases[i] * 1000000);
    }
    int64_t before = core_clock_now_ms();
    struct timespec wall = core_clock_deadline(CLOCK_REALTIME, 2000);
    int64_t after = core_clock_now_ms();
    int64_t wall_ms = (int64_t)wall.tv_sec * 1000 + wall.tv_nsec / 1000000;
    assert_true(wall_ms >= before + 2000 && wall_ms <= after + 2000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_format),      cmocka_unit_test(test_parse_forms),
        cmocka_unit_test(test_parse_length_bounds), cmocka_unit_test(test_parse_invalid),
        cmocka_unit_test(test_leap_days),   cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_clf),         cmocka_unit_test(test_matches_gmtime),         cmocka_unit_test(test_clocks),
        cmocka_unit_test(test_deadline),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
