/*
 * libFuzzer target: the mongoexport reader of `lsf-server import`
 * (ops_import_split, then libbson's bson_init_from_json, then doc.c), over
 * a file an operator hands us. The first byte picks array mode. Properties:
 * every span split out lies inside the input, after the previous one; a
 * document span starts with '{' and ends with '}'; reading always ends;
 * what doc.c accepts is within the rules (import_doc.h).
 */
#include "import_doc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    bool array = data[0] & 1;
    const char *text = (const char *)data + 1;
    size_t len = size - 1, pos = 0, start, end, last_end = 0, spans = 0;
    int rc;

    while ((rc = ops_import_split(text, len, array, &pos, &start, &end)) != 0) {
        FUZZ_CHECK(start >= last_end && start <= end && end <= len && pos == end, "span %zu..%zu after %zu (len %zu)",
                   start, end, last_end, len);
        FUZZ_CHECK(++spans <= len, "more spans than bytes");
        last_end = end;
        if (rc < 0)
            continue;
        FUZZ_CHECK(text[start] == '{' && text[end - 1] == '}', "document span %zu..%zu", start, end);
        bson_t doc;
        bson_error_t err;
        if (bson_init_from_json(&doc, text + start, (ssize_t)(end - start), &err)) {
            fuzz_import_check(&doc);
            bson_destroy(&doc);
        }
    }
    FUZZ_CHECK(pos == len, "stopped at %zu of %zu", pos, len);
    return 0;
}
