/*
 * UUIDv7 identifiers (RFC 9562): 48 bits of Unix milliseconds, then 74 random
 * bits from libsodium's CSPRNG. They sort by creation time, are unguessable,
 * and serve as the ids of users, tasks and tokens (jti). Thread-safe once
 * sodium_init() has run.
 */
#ifndef CORE_UUID_H
#define CORE_UUID_H

#include <stdbool.h>
#include <stdint.h>

#include "core/str.h"

#define CORE_UUID_LEN 36 /* "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c9d" */

/* Write a new UUIDv7 for time ms into out (37 bytes with the NUL). */
void core_uuid_v7(int64_t ms, char out[CORE_UUID_LEN + 1]);

/* The 16 bytes of b as text, lowercase, dashed 8-4-4-4-12, into out (37
 * bytes with the NUL). */
void core_uuid_format(const uint8_t b[16], char out[CORE_UUID_LEN + 1]);

/* Write into out a new UUIDv7 that sorts after floor (a UUIDv7 string, or
 * NULL for none) and return its milliseconds: now_ms when that is later than
 * floor's time, else floor's time with the 12 bits after the version one
 * higher (RFC 9562 method 1), so ids stay in order within one millisecond and
 * when the clock steps back. */
int64_t core_uuid_v7_after(int64_t now_ms, const char *floor, char out[CORE_UUID_LEN + 1]);

/* True when s is a canonical lowercase UUID string of any version. */
bool core_uuid_valid(core_str_t s);

/* The millisecond timestamp of a UUIDv7, or -1 when s is not one. */
int64_t core_uuid_v7_time_ms(core_str_t s);

#endif
