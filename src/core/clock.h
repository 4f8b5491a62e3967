/*
 * Wall-clock and monotonic time in milliseconds, and the ISO-8601 / HTTP date
 * formats the API and the logs use. Thread-safe.
 */
#ifndef CORE_CLOCK_H
#define CORE_CLOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* Milliseconds since the Unix epoch (CLOCK_REALTIME). */
int64_t core_clock_now_ms(void);

/* Milliseconds from an arbitrary origin, never going backwards (CLOCK_MONOTONIC). */
int64_t core_clock_mono_ms(void);

/* Nanoseconds, monotonic, for measuring durations. */
int64_t core_clock_mono_ns(void);

/* The time ms from now on clock (CLOCK_REALTIME, CLOCK_MONOTONIC), as the
 * absolute deadline pthread's timed waits take. */
struct timespec core_clock_deadline(clockid_t clock, int64_t ms);

/* Write "2026-11-24T19:57:03.123Z" (24 chars + NUL) into out[32]. */
#define CORE_CLOCK_ISO8601_LEN 24 /* what core_clock_iso8601 writes, always (the year has 4 digits) */
void core_clock_iso8601(int64_t ms, char out[32]);

/* Parse an ISO-8601 date-time ("2026-11-24T19:57:03Z", fractional seconds and
 * "+hh:mm" offsets accepted) or a date ("2026-11-24", midnight UTC) into ms.
 * False unless the instant, in UTC, lies in years 1970 to 9999 (what
 * core_clock_iso8601 writes), so every date accepted can be answered back. */
bool core_clock_parse_iso8601(const char *s, size_t len, int64_t *ms_out);

/* Apache log time, "24/Nov/2026:19:57:03 +0000", into out[32]. */
void core_clock_clf(int64_t ms, char out[32]);

#endif
