/*
 * This file implements the clocks and date formats of clock.h on top of
 * clock_gettime(2) and timegm(3), with calendar arithmetic of our own for
 * formatting (see split()).
 */
#include "core/clock.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t core_clock_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t core_clock_mono_ms(void)
{
    return core_clock_mono_ns() / 1000000;
}

int64_t core_clock_mono_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

struct timespec core_clock_deadline(clockid_t clock, int64_t ms)
{
    struct timespec ts;

    clock_gettime(clock, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

/* Floor division, for instants before 1970. */
static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

/* The UTC calendar fields of ms (all of struct tm but tm_yday and tm_isdst).
 * Computed here rather than by gmtime_r(3), which takes glibc's time zone
 * lock on every call: a list page formats 40 dates, and both event loops
 * contended for that lock. Days to a proleptic Gregorian date by eras of
 * 400 years (146,097 days) that start on March 1st, so the leap day ends a
 * year. */
static void split(int64_t ms, struct tm *tm, int *millis)
{
    int64_t sec = floor_div(ms, 1000);
    int64_t days = floor_div(sec, 86400);
    int64_t in_day = sec - days * 86400;
    int64_t z = days + 719468; /* days since 0000-03-01 */
    int64_t era = floor_div(z, 146097);
    int64_t doe = z - era * 146097;                                      /* [0, 146096] */
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365], from March 1st */
    int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11], March = 0 */
    int64_t month = mp < 10 ? mp + 3 : mp - 9;                           /* [1, 12] */

    *millis = (int)(ms - sec * 1000);
    memset(tm, 0, sizeof(*tm));
    tm->tm_year = (int)(yoe + era * 400 + (month <= 2) - 1900);
    tm->tm_mon = (int)month - 1;
    tm->tm_mday = (int)(doy - (153 * mp + 2) / 5 + 1);
    tm->tm_hour = (int)(in_day / 3600);
    tm->tm_min = (int)(in_day / 60 % 60);
    tm->tm_sec = (int)(in_day % 60);
    tm->tm_wday = (int)(days + 4 - floor_div(days + 4, 7) * 7); /* 1970-01-01 was a Thursday */
}

/* Write v as exactly width decimal digits. */
static char *put_digits(char *p, unsigned v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        p[i] = (char)('0' + v % 10);
        v /= 10;
    }
    return p + width;
}

void core_clock_iso8601(int64_t ms, char out[32])
{
    struct tm tm;
    int millis;
    char *p = out;

    split(ms, &tm, &millis);
    p = put_digits(p, (unsigned)(tm.tm_year + 1900), 4);
    *p++ = '-';
    p = put_digits(p, (unsigned)(tm.tm_mon + 1), 2);
    *p++ = '-';
    p = put_digits(p, (unsigned)tm.tm_mday, 2);
    *p++ = 'T';
    p = put_digits(p, (unsigned)tm.tm_hour, 2);
    *p++ = ':';
    p = put_digits(p, (unsigned)tm.tm_min, 2);
    *p++ = ':';
    p = put_digits(p, (unsigned)tm.tm_sec, 2);
    *p++ = '.';
    p = put_digits(p, (unsigned)millis, 3);
    *p++ = 'Z';
    *p = '\0';
}

void core_clock_clf(int64_t ms, char out[32])
{
    struct tm tm;
    int millis;
    split(ms, &tm, &millis);
    strftime(out, 32, "%d/%b/%Y:%H:%M:%S +0000", &tm);
}

#define CLOCK_LAST_MS 253402300799999LL /* 9999-12-31T23:59:59.999Z */

/* Read exactly n digits at *p into *v. */
static bool digits(const char **p, const char *end, int n, int *v)
{
    if (end - *p < n)
        return false;
    *v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        *v = *v * 10 + (c - '0');
    }
    *p += n;
    return true;
}

static bool expect(const char **p, const char *end, char c)
{
    if (*p < end && **p == c) {
        (*p)++;
        return true;
    }
    return false;
}

static int days_in_month(int year, int month)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

bool core_clock_parse_iso8601(const char *s, size_t len, int64_t *ms_out)
{
    const char *p = s, *end = s + len;
    int year, mon, day, hour = 0, min = 0, sec = 0, millis = 0, offset_min = 0;

    if (!digits(&p, end, 4, &year) || !expect(&p, end, '-') || !digits(&p, end, 2, &mon) ||
        !expect(&p, end, '-') || !digits(&p, end, 2, &day))
        return false;
    if (year < 1970 || year > 9999 || mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon))
        return false;
    if (p < end) {
        if (!expect(&p, end, 'T') && !expect(&p, end, 't'))
            return false;
        if (!digits(&p, end, 2, &hour) || !expect(&p, end, ':') || !digits(&p, end, 2, &min))
            return false;
        if (expect(&p, end, ':')) {
            if (!digits(&p, end, 2, &sec))
                return false;
            if (expect(&p, end, '.')) {
                int ndig = 0;
                while (p < end && *p >= '0' && *p <= '9') {
                    if (ndig < 3)
                        millis = millis * 10 + (*p - '0');
                    ndig++;
                    p++;
                }
                if (ndig == 0 || ndig > 9)
                    return false;
                for (int i = ndig; i < 3; i++)
                    millis *= 10;
            }
        }
        if (hour > 23 || min > 59 || sec > 59)
            return false;
        if (expect(&p, end, 'Z') || expect(&p, end, 'z')) {
            /* UTC */
        } else if (p < end && (*p == '+' || *p == '-')) {
            int sign = *p++ == '-' ? -1 : 1, oh, om;
            if (!digits(&p, end, 2, &oh) || !expect(&p, end, ':') || !digits(&p, end, 2, &om) || oh > 23 ||
                om > 59)
                return false;
            offset_min = sign * (oh * 60 + om);
        } else {
            return false; /* a time without a zone is ambiguous */
        }
        if (p != end)
            return false;
    }
    struct tm tm = {.tm_year = year - 1900, .tm_mon = mon - 1, .tm_mday = day,
                    .tm_hour = hour, .tm_min = min, .tm_sec = sec};
    time_t t = timegm(&tm);
    int64_t ms = ((int64_t)t - (int64_t)offset_min * 60) * 1000 + millis;
    /* an offset can carry the instant out of the years core_clock_iso8601
     * writes ("9999-12-31T23:30:00-01:00" is in year 10000 in UTC) */
    if (ms < 0 || ms > CLOCK_LAST_MS)
        return false;
    *ms_out = ms;
    return true;
}
