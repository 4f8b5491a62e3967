/*
 * A guard against obviously weak secrets (JWT_SECRET in production): not a
 * strength meter, only a refusal of what no one should deploy, such as one
 * repeated character, a string that is mostly a repetition of itself, a run
 * like "abcdef...", or text whose byte statistics put it far below 128 bits.
 * Pure; any thread.
 */
#ifndef CORE_SECRET_H
#define CORE_SECRET_H

#include <stddef.h>

/* The estimated entropy (bits) below which a secret is refused: len times
 * the Shannon entropy of its own byte frequencies. That underestimates a
 * random secret (32 random hex digits, 128 real bits, score about 115, and
 * 96 or more but for 1 in 10,000; none of 100,000 under 80) and
 * overestimates text, so the bar is set low. */
#define CORE_SECRET_MIN_BITS 80

/* NULL when s (len bytes) shows none of the weaknesses above, else a static
 * phrase saying which ("one character repeated"), for an error message. */
const char *core_secret_weakness(const char *s, size_t len);

#endif
