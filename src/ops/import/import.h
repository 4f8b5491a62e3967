/*
 * Internals of `lsf-server import` (ops.h), shared by the files of
 * src/ops/import/ and the fuzz targets: the document source (mongoexport
 * JSON, one document per line or an array, or a mongodump .bson file), the
 * reading of one users or tasks document into what the store inserts, and
 * the reasons a document is refused. Parsing is libbson's (Debian's
 * libbson-dev, from mongo-c-driver): bson_init_from_json for Extended JSON
 * v2 in relaxed and canonical mode, bson_reader for BSON; this module only
 * finds where each JSON document starts and ends. Single-threaded.
 */
#ifndef OPS_IMPORT_IMPORT_H
#define OPS_IMPORT_IMPORT_H

#include <bson/bson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/objectid.h"
#include "core/pool.h"
#include "store/store.h"

#define OPS_IMPORT_DOC_MAX (16 * 1024 * 1024) /* BSON's own limit on a document */

/* split.c: the next JSON document of data[*pos..len): a top-level object,
 * with whitespace, and when array is true the brackets and commas of one
 * top-level array, skipped around it. Returns 1 with the document at
 * data[*start..*end) and *pos after it; 0 at the end; -1 when the text
 * between documents is something else (or an object never closes), with
 * *start..*end covering the bad text, which is skipped. Never reads past
 * len; strings (and escaped quotes in them) are honoured. */
int ops_import_split(const char *data, size_t len, bool array, size_t *pos, size_t *start, size_t *end);

/* A source of documents. */
typedef struct ops_import_source {
    const char *path;
    const char *data; /* the whole file, mapped */
    size_t len;
    bool bson;  /* a mongodump .bson file */
    bool array; /* JSON: one top-level array */
    size_t pos; /* JSON: where the next document starts */
    bson_reader_t *reader; /* BSON */
    bson_t doc;            /* JSON: the document last read */
    bool have_doc;
    size_t index; /* documents (or bad spans) read so far */
} ops_import_source_t;

/* Map path and get ready to read it; json_array forces array mode (it is
 * also detected from a leading '['). 0, or -1 after printing why. */
int ops_import_source_open(ops_import_source_t *s, const char *path, bool json_array);
void ops_import_source_close(ops_import_source_t *s);

/* The next document: 1 with *doc valid until the next call, 0 at the end,
 * -1 for a document that cannot be read (why says so; reading goes on with
 * the next one), -2 for a BSON framing error (why says so; nothing after it
 * can be read). */
int ops_import_source_next(ops_import_source_t *s, const bson_t **doc, char *why, size_t why_len);

/* Bytes read so far, for the progress line. */
size_t ops_import_source_offset(const ops_import_source_t *s);

/* doc.c: a user or task document read into store records. */
typedef struct ops_import_user {
    uint8_t oid[CORE_OBJECTID_LEN];
    store_user_t user;
    bool dropped_codes; /* it had a pending verify or reset code, not imported */
    size_t index;       /* its position in the file, 1-based (set by the caller) */
    bson_t *doc;        /* a copy of the document, for a later refusal (owned by the caller) */
} ops_import_user_t;

typedef struct ops_import_task {
    uint8_t oid[CORE_OBJECTID_LEN];
    uint8_t owner[CORE_OBJECTID_LEN];
    int64_t created_in_doc; /* createdAt as exported, STORE_TIME_NONE when absent */
    store_task_t task;      /* id and user_id from the ObjectIds; created_at decided by the caller */
    size_t index;           /* its position in the file, 1-based (set by the caller) */
} ops_import_task_t;

/* Read a users document: 0 with *out filled (strings in pool), or -1 with
 * the reason in why (bad email, not a bcrypt hash, oversized name, ...). */
int ops_import_user_read(const bson_t *doc, core_pool_t *pool, ops_import_user_t *out, char *why, size_t why_len);

/* Read a tasks document likewise (bad enum value, oversized field, ...). */
int ops_import_task_read(const bson_t *doc, core_pool_t *pool, ops_import_task_t *out, char *why, size_t why_len);

/* The _id of doc as 24 hex digits into out (25 bytes), "" when it has none. */
void ops_import_doc_id(const bson_t *doc, char out[CORE_OBJECTID_HEX + 1]);

#endif
