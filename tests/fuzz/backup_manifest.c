/*
 * libFuzzer target: ops_manifest_parse (src/ops/manifest.c), the head of a
 * backup file that `lsf-server restore` reads from wherever the operator
 * kept it. Properties: an accepted head leaves the payload inside the
 * input, its fields in range; writing the manifest back and reading that
 * gives the same manifest; a refusal says why in UTF-8.
 */
#include "fuzz.h"
#include "ops/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = malloc(size + 1), why[256], buf[OPS_MANIFEST_MAX + 64];
    ops_manifest_t m, again;
    size_t at, at2;

    memcpy(copy, data, size); /* exact size: ASan sees an over-read */
    if (ops_manifest_parse(copy, size, &m, &at, why, sizeof(why)) == 0) {
        FUZZ_CHECK(at > 0 && at <= size, "payload at %zu of %zu", at, size);
        FUZZ_CHECK(strcmp(m.backend, "sqlite") == 0 || strcmp(m.backend, "postgres") == 0, "backend %s", m.backend);
        FUZZ_CHECK(strlen(m.sha256) == OPS_SHA256_HEX, "sha256 %s", m.sha256);
        size_t n = ops_manifest_format(&m, buf, sizeof(buf));
        FUZZ_CHECK(n > 0, "an accepted manifest cannot be written back");
        FUZZ_CHECK(ops_manifest_parse(buf, n, &again, &at2, why, sizeof(why)) == 0, "written back, refused: %s", why);
        FUZZ_CHECK(at2 == n && strcmp(again.backend, m.backend) == 0 && again.gzip == m.gzip &&
                       again.payload_bytes == m.payload_bytes && strcmp(again.sha256, m.sha256) == 0 &&
                       again.created_at == m.created_at && memcmp(&again.counts, &m.counts, sizeof(m.counts)) == 0,
                   "the manifest changed in a round trip");
    } else {
        FUZZ_CHECK(core_str_is_utf8(core_str_c(why)), "the reason is not UTF-8");
    }
    free(copy);
    return 0;
}
