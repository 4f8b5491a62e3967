/*
 * This file implements the document sources of import.h: a file mapped
 * whole (read-only, private), then read as a sequence of BSON documents
 * (mongodump's .bson: bson_reader over the mapping) or of Extended JSON
 * documents (ops_import_split finds each, bson_init_from_json parses it:
 * relaxed and canonical Extended JSON v2, and the legacy forms libbson
 * knows). A .bson file is told by its name, an array by --jsonArray or by
 * its first character.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ops/import/import.h"

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int ops_import_source_open(ops_import_source_t *s, const char *path, bool json_array)
{
    struct stat st;
    int fd;

    memset(s, 0, sizeof(*s));
    s->path = path;
    if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0 || fstat(fd, &st) != 0) {
        fprintf(stderr, "lsf-server import: cannot read %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    s->len = (size_t)st.st_size;
    if (s->len > 0) {
        void *m = mmap(NULL, s->len, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            fprintf(stderr, "lsf-server import: cannot map %s: %s\n", path, strerror(errno));
            close(fd);
            return -1;
        }
        madvise(m, s->len, MADV_SEQUENTIAL);
        s->data = m;
    }
    close(fd);
    s->bson = ends_with(path, ".bson");
    if (s->bson) {
        s->reader = bson_reader_new_from_data((const uint8_t *)(s->data != NULL ? s->data : ""), s->len);
        return 0;
    }
    size_t i = 0;
    while (i < s->len && (s->data[i] == ' ' || s->data[i] == '\t' || s->data[i] == '\n' || s->data[i] == '\r'))
        i++;
    s->array = json_array || (i < s->len && s->data[i] == '[');
    return 0;
}

void ops_import_source_close(ops_import_source_t *s)
{
    if (s->have_doc)
        bson_destroy(&s->doc);
    if (s->reader != NULL)
        bson_reader_destroy(s->reader);
    if (s->data != NULL)
        munmap((void *)(uintptr_t)s->data, s->len);
    memset(s, 0, sizeof(*s));
}

size_t ops_import_source_offset(const ops_import_source_t *s)
{
    return s->bson ? (size_t)bson_reader_tell(s->reader) : s->pos;
}

int ops_import_source_next(ops_import_source_t *s, const bson_t **doc, char *why, size_t why_len)
{
    bson_error_t err;
    size_t start, end;
    int rc;

    if (s->have_doc) {
        bson_destroy(&s->doc);
        s->have_doc = false;
    }
    if (s->bson) {
        bool eof = false;
        if ((*doc = bson_reader_read(s->reader, &eof)) != NULL) {
            s->index++;
            return 1;
        }
        if (eof)
            return 0;
        s->index++;
        snprintf(why, why_len, "not a BSON document at byte %llu (a truncated or damaged .bson file); the rest of "
                 "the file is not read", (unsigned long long)bson_reader_tell(s->reader));
        return -2; /* nothing after this can be framed */
    }
    if ((rc = ops_import_split(s->data, s->len, s->array, &s->pos, &start, &end)) == 0)
        return 0;
    s->index++;
    if (rc < 0) {
        snprintf(why, why_len, "not a JSON document (bytes %zu to %zu)", start, end);
        return -1;
    }
    if (!bson_init_from_json(&s->doc, s->data + start, (ssize_t)(end - start), &err)) {
        snprintf(why, why_len, "not valid Extended JSON: %s", err.message);
        return -1;
    }
    s->have_doc = true;
    *doc = &s->doc;
    return 1;
}
