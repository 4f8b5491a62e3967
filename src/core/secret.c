/*
 * This file implements the weak-secret guard of secret.h with four tests
 * over the bytes: how many distinct values, how much of it repeats earlier
 * parts (a third or more: "password1password1...", "key-key-key-1234"), the
 * commonest step between neighbours (3/4 of them equal: "abcdef..."), and a
 * Shannon estimate. config.c runs it on JWT_SECRET when LSF_ENV=production
 * and refuses to start on a hit.
 */
#include "core/secret.h"

#include <math.h>
#include <stdbool.h>

#define MIN_DISTINCT 8 /* "abababab..." and one repeated character */

/* How much of s (its first SCAN_MAX bytes) repeats what came before it: a
 * greedy LZ77 parse, summing the matches of at least MIN_MATCH bytes. At most
 * SCAN_MAX^3 / 6 byte comparisons, once at start-up. */
#define SCAN_MAX 256
#define MIN_MATCH 4

static size_t repeated_bytes(const unsigned char *s, size_t len)
{
    size_t covered = 0, n = len < SCAN_MAX ? len : SCAN_MAX;

    for (size_t i = 0; i < n;) {
        size_t best = 0;
        for (size_t j = 0; j < i; j++) {
            size_t k = 0;
            while (i + k < n && s[j + k] == s[i + k])
                k++;
            if (k > best)
                best = k;
        }
        if (best >= MIN_MATCH) {
            covered += best;
            i += best;
        } else {
            i++;
        }
    }
    return covered;
}

/* True when at least 3/4 of the steps between neighbours are one same step
 * ("abcdef...", "97531..."). */
static bool mostly_one_step(const unsigned char *s, size_t len)
{
    size_t steps[511] = {0}, best = 0; /* step + 255 */

    for (size_t i = 1; i < len; i++) {
        size_t n = ++steps[(int)s[i] - (int)s[i - 1] + 255];
        if (n > best)
            best = n;
    }
    return len > 1 && best * 4 >= (len - 1) * 3;
}

static double shannon_bits(const size_t counts[256], size_t len)
{
    double h = 0;

    for (int b = 0; b < 256; b++) {
        if (counts[b] > 0) {
            double p = (double)counts[b] / (double)len;
            h -= p * log2(p);
        }
    }
    return h * (double)len;
}

const char *core_secret_weakness(const char *secret, size_t len)
{
    const unsigned char *s = (const unsigned char *)secret;
    size_t counts[256] = {0}, distinct = 0;

    for (size_t i = 0; i < len; i++)
        distinct += counts[s[i]]++ == 0;
    if (distinct == 1)
        return "one character repeated";
    if (distinct < MIN_DISTINCT)
        return "very few different characters";
    if (repeated_bytes(s, len) * 3 >= (len < SCAN_MAX ? len : SCAN_MAX))
        return "mostly a repetition of itself";
    if (mostly_one_step(s, len))
        return "a run such as abcdef or 123456";
    if (shannon_bits(counts, len) < CORE_SECRET_MIN_BITS)
        return "too little variety for its length (low estimated entropy)";
    return NULL;
}
