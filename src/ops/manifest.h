/*
 * The backup file of `lsf-server backup` and `restore`: one file holding a
 * magic line, a manifest (one line of JSON) and the payload, the database
 * copy the backend wrote (an SQLite file, or pg_dump's custom format),
 * gzip-compressed or not:
 *
 *   LSF-BACKUP 1\n
 *   {"backend":"sqlite","schema_version":5,"created_at":"...","rows":{...},
 *    "payload":{"encoding":"gzip","bytes":N,"sha256":"..."}}\n
 *   <N payload bytes>
 *
 * The SHA-256 covers the payload as stored, so a truncated or altered file
 * is refused before anything is restored; the row counts are checked again
 * in the restored database, which catches an edited manifest. Parsing takes
 * bytes an operator hands us (a file from anywhere), so it is bounded and
 * fuzzed (tests/fuzz/backup_header.c). Any thread; no global state.
 */
#ifndef OPS_MANIFEST_H
#define OPS_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/admin.h"

#define OPS_BACKUP_MAGIC "LSF-BACKUP 1\n"
#define OPS_MANIFEST_MAX 4096 /* bytes of the manifest line, newline included */
#define OPS_SHA256_HEX 64

typedef struct ops_manifest {
    char backend[16];      /* "sqlite" or "postgres" */
    store_counts_t counts; /* schema version and rows of the copy */
    int64_t created_at;    /* ms since the epoch */
    bool gzip;             /* payload encoding: gzip, else none */
    uint64_t payload_bytes;
    char sha256[OPS_SHA256_HEX + 1]; /* lowercase hex of the payload as stored */
} ops_manifest_t;

/* The magic line and manifest line for m, NUL-terminated, into buf (at
 * least OPS_MANIFEST_MAX + sizeof(OPS_BACKUP_MAGIC) bytes); returns the
 * length, or 0 when it does not fit. */
size_t ops_manifest_format(const ops_manifest_t *m, char *buf, size_t cap);

/* Read the head of a backup file from data[0..len) (the first bytes of the
 * file, at least the magic and manifest lines when the file has them). On
 * success returns 0 with *out filled and *payload_at the offset of the
 * payload; otherwise -1 with a message for the operator in why. */
int ops_manifest_parse(const char *data, size_t len, ops_manifest_t *out, size_t *payload_at, char *why,
                       size_t why_len);

#endif
