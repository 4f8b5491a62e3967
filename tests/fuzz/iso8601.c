/*
 * libFuzzer target: core_clock_parse_iso8601 (src/core/clock.c), which reads
 * the dueDate of a task body and the dueBefore/dueAfter query parameters.
 * Properties of an accepted date: its instant lies in the years the API
 * accepts (1970-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z), the
 * server's own rendering of it (core_clock_iso8601, what a task answer
 * carries) parses back to the same instant, and that rendering has the
 * canonical 24-character shape. So whatever a client may send, the server
 * never hands back a date it would refuse or one that means another instant.
 */
#include <string.h>

#include "core/clock.h"
#include "fuzz.h"

#define FIRST_MS 0LL                /* 1970-01-01T00:00:00.000Z */
#define LAST_MS 253402300799999LL   /* 9999-12-31T23:59:59.999Z */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    core_str_t in = core_str((const char *)data, size);
    int64_t ms, again;
    char text[32];

    if (!core_clock_parse_iso8601(in.base, in.len, &ms))
        return 0;
    FUZZ_CHECK(ms >= FIRST_MS && ms <= LAST_MS, "\"%.*s\" accepted as %lld ms, outside years 1970-9999",
               (int)in.len, in.base, (long long)ms);
    core_clock_iso8601(ms, text);
    FUZZ_CHECK(strlen(text) == 24 && text[4] == '-' && text[10] == 'T' && text[23] == 'Z',
               "\"%.*s\" (%lld ms) renders as \"%s\"", (int)in.len, in.base, (long long)ms, text);
    FUZZ_CHECK(core_clock_parse_iso8601(text, strlen(text), &again) && again == ms,
               "\"%.*s\" is %lld ms, rendered \"%s\", which reads back as %lld", (int)in.len, in.base,
               (long long)ms, text, (long long)again);
    return 0;
}
