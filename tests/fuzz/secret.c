/*
 * libFuzzer target: core_secret_weakness (src/core/secret.c), the guard
 * against weak JWT_SECRET values in production. The input is the secret.
 * Properties: the same answer twice (no state); an answer is NULL or a
 * phrase of printable text; one repeated byte is always refused; a secret
 * accepted has at least 8 different bytes and at least 10 bytes in all (80
 * bits cannot fit in fewer), and written twice over (up to 256 bytes, the
 * part the guard scans for repeats) it is refused.
 */
#include <string.h>

#include "core/secret.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    core_str_t s = fuzz_copy(core_str((const char *)data, size));
    const char *why = core_secret_weakness(s.base, s.len);
    bool seen[256] = {false};
    size_t distinct = 0;

    FUZZ_CHECK(core_secret_weakness(s.base, s.len) == why, "two answers for one secret of %zu bytes", size);
    if (why != NULL) {
        FUZZ_CHECK(why[0] != '\0', "an empty phrase");
        for (const char *p = why; *p; p++)
            FUZZ_CHECK(*p >= 0x20 && *p < 0x7f, "phrase byte 0x%02x", (unsigned char)*p);
    }
    for (size_t i = 0; i < size; i++) {
        if (!seen[data[i]])
            distinct++;
        seen[data[i]] = true;
    }
    if (size > 0 && distinct == 1)
        FUZZ_CHECK(why != NULL, "%zu times byte 0x%02x accepted", size, data[0]);
    if (why == NULL) {
        FUZZ_CHECK(distinct >= 8 && size >= 10, "accepted %zu bytes of %zu different values", size, distinct);
        if (size <= 128) {
            char twice[256];
            memcpy(twice, data, size);
            memcpy(twice + size, data, size);
            FUZZ_CHECK(core_secret_weakness(twice, 2 * size) != NULL,
                       "accepted a secret of %zu bytes written twice", size);
        }
    }
    fuzz_free(s);
    return 0;
}
