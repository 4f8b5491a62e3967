/*
 * libFuzzer target: the mongodump reader of `lsf-server import` (libbson's
 * bson_reader over the bytes, then doc.c). Properties: reading ends; what
 * doc.c accepts is within the rules (import_doc.h), whatever the BSON.
 */
#include "import_doc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bson_reader_t *reader = bson_reader_new_from_data(data, size);
    const bson_t *doc;
    bool eof = false;
    size_t n = 0;

    while ((doc = bson_reader_read(reader, &eof)) != NULL) {
        FUZZ_CHECK(++n <= size / 5, "more documents than the bytes can hold");
        fuzz_import_check(doc);
    }
    bson_reader_destroy(reader);
    return 0;
}
