/*
 * This file implements `lsf-server backup` and `lsf-server restore` (ops.h)
 * over the backup file of manifest.h. Backup: the store writes its copy
 * (store_backup: SQLite's online backup API, or pg_dump) to a private
 * temporary file beside the output, which is gzip-compressed (zlib) into a
 * second one while its SHA-256 is computed (libsodium); then the output is
 * written as magic + manifest + payload under a temporary name, flushed to
 * disk and renamed into place, so a backup file either is whole or does
 * not exist. Files are 0600 from their creation.
 *
 * Restore reads the manifest, copies the payload out (gunzipping it) while
 * hashing what it reads, and restores only when size and SHA-256 match.
 * After the store's restore, the row counts of the restored database must
 * be the manifest's; then the schema is migrated and every session issued
 * until now ends (ops_sessions_end_all), since the copy's revocations are
 * older than the ones they replace.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/log.h"
#include "ops/manifest.h"
#include "ops/ops.h"
#include "store/admin.h"

#define CHUNK (256 * 1024)

typedef struct tmpfile {
    char path[PATH_MAX];
    int fd;
} tmpfile_t;

/* A new private file named like base plus a random suffix, in base's
 * directory (so a rename into base stays on one file system). */
static int tmp_create(const char *base, const char *tag, tmpfile_t *t)
{
    if (snprintf(t->path, sizeof(t->path), "%s.%s-XXXXXX", base, tag) >= (int)sizeof(t->path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    t->fd = mkstemp(t->path); /* 0600 */
    return t->fd < 0 ? -1 : 0;
}

static void tmp_drop(tmpfile_t *t)
{
    if (t->fd >= 0)
        close(t->fd);
    if (t->path[0] != '\0')
        unlink(t->path);
    t->fd = -1;
    t->path[0] = '\0';
}

static int write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

static void hex_of(const unsigned char *bin, size_t n, char *out)
{
    sodium_bin2hex(out, n * 2 + 1, bin, n);
}

/* Copy in (from its start) to out, gzip-compressed when gzip; hash and count
 * the bytes written. */
static int encode(int in, int out, bool gzip, crypto_hash_sha256_state *h, uint64_t *written)
{
    static unsigned char ibuf[CHUNK], obuf[CHUNK];
    z_stream z = {0};
    int rc = -1, flush = Z_NO_FLUSH;
    ssize_t n;

    *written = 0;
    if (lseek(in, 0, SEEK_SET) != 0)
        return -1;
    if (gzip && deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return -1;
    do {
        if ((n = read(in, ibuf, sizeof(ibuf))) < 0) {
            if (errno == EINTR)
                continue;
            goto out;
        }
        if (!gzip) {
            if (n > 0 && write_all(out, ibuf, (size_t)n) != 0)
                goto out;
            crypto_hash_sha256_update(h, ibuf, (unsigned long long)n);
            *written += (uint64_t)n;
            continue;
        }
        flush = n == 0 ? Z_FINISH : Z_NO_FLUSH;
        z.next_in = ibuf;
        z.avail_in = (uInt)n;
        do {
            z.next_out = obuf;
            z.avail_out = sizeof(obuf);
            if (deflate(&z, flush) == Z_STREAM_ERROR)
                goto out;
            size_t have = sizeof(obuf) - z.avail_out;
            if (have > 0 && write_all(out, obuf, have) != 0)
                goto out;
            crypto_hash_sha256_update(h, obuf, have);
            *written += have;
        } while (z.avail_out == 0);
    } while (n > 0);
    rc = 0;
out:
    if (gzip)
        deflateEnd(&z);
    return rc;
}

static int copy_fd(int in, int out)
{
    static unsigned char buf[CHUNK];
    ssize_t n;

    if (lseek(in, 0, SEEK_SET) != 0)
        return -1;
    while ((n = read(in, buf, sizeof(buf))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        if (write_all(out, buf, (size_t)n) != 0)
            return -1;
    }
    return 0;
}

static const char *backend_of(const core_config_t *cfg)
{
    return strncmp(cfg->database_url, "sqlite:", 7) == 0 ? "sqlite" : "postgres";
}

static void print_summary(FILE *out, const char *verb, const char *path, const ops_manifest_t *m)
{
    fprintf(out, "%s %s: %s, schema %d, %s payload of %llu bytes, sha256 %s\n", verb, path, m->backend,
            m->counts.schema_version, m->gzip ? "gzip" : "plain", (unsigned long long)m->payload_bytes, m->sha256);
    for (int i = 0; i < STORE_COUNT_N; i++) {
        if (m->counts.rows[i] == STORE_COUNT_UNKNOWN)
            fprintf(out, "  %-18s not counted (an older backup)\n", store_count_names[i]);
        else
            fprintf(out, "  %-18s %lld\n", store_count_names[i], (long long)m->counts.rows[i]);
    }
}

int ops_backup(const core_config_t *cfg, const char *out, bool gzip)
{
    tmpfile_t copy = {.fd = -1}, payload = {.fd = -1}, final = {.fd = -1};
    char head[OPS_MANIFEST_MAX + 64];
    unsigned char digest[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_state h;
    ops_manifest_t m = {0};
    struct stat st;
    store_t *store = NULL;
    int status = EXIT_FAILURE;
    size_t head_len;

    if (lstat(out, &st) == 0) {
        fprintf(stderr, "lsf-server backup: %s exists; choose a new name (a backup never overwrites)\n", out);
        return EXIT_FAILURE;
    }
    if (tmp_create(out, "copy", &copy) != 0 || tmp_create(out, "payload", &payload) != 0 ||
        tmp_create(out, "tmp", &final) != 0) {
        fprintf(stderr, "lsf-server backup: cannot create files beside %s: %s\n", out, strerror(errno));
        goto out;
    }
    /* A wrong DATABASE_URL must not back up an empty database (and let a
     * schedule that keeps the newest few drop the good ones): an SQLite file
     * is not created by opening it here, and a schema must be there. */
    if (strcmp(backend_of(cfg), "sqlite") == 0 && stat(cfg->database_url + 7, &st) != 0)
        goto no_schema;
    if (store_open(cfg->database_url, &store) != CORE_OK) {
        fprintf(stderr, "lsf-server backup: cannot open the database\n");
        goto out;
    }
    if (store_counts(store, &m.counts) != CORE_OK) {
        fprintf(stderr, "lsf-server backup: cannot read the database (see the log above)\n");
        goto out;
    }
    if (m.counts.schema_version == 0)
        goto no_schema;
    /* the store creates its copy itself (O_EXCL): hand it a free name */
    close(copy.fd);
    unlink(copy.path);
    copy.fd = -1;
    m.created_at = core_clock_now_ms();
    if (store_backup(store, copy.path, &m.counts) != CORE_OK) {
        fprintf(stderr, "lsf-server backup: the database copy failed (see the log above)\n");
        goto out;
    }
    if ((copy.fd = open(copy.path, O_RDONLY | O_CLOEXEC)) < 0)
        goto io;
    snprintf(m.backend, sizeof(m.backend), "%s", backend_of(cfg));
    m.gzip = gzip;
    crypto_hash_sha256_init(&h);
    if (encode(copy.fd, payload.fd, gzip, &h, &m.payload_bytes) != 0)
        goto io;
    crypto_hash_sha256_final(&h, digest);
    hex_of(digest, sizeof(digest), m.sha256);
    if ((head_len = ops_manifest_format(&m, head, sizeof(head))) == 0) {
        fprintf(stderr, "lsf-server backup: the manifest does not fit\n");
        goto out;
    }
    if (write_all(final.fd, head, head_len) != 0 || copy_fd(payload.fd, final.fd) != 0 || fsync(final.fd) != 0 ||
        close(final.fd) != 0)
        goto io;
    final.fd = -1;
    /* link, not rename: it fails instead of replacing a file made meanwhile */
    if (link(final.path, out) != 0)
        goto io;
    print_summary(stdout, "backup", out, &m);
    status = EXIT_SUCCESS;
    goto out;
io:
    fprintf(stderr, "lsf-server backup: cannot write the backup: %s\n", strerror(errno));
    goto out;
no_schema:
    fprintf(stderr, "lsf-server backup: the database has no schema (never migrated, or DATABASE_URL names the wrong "
                    "one); nothing backed up\n");
out:
    tmp_drop(&copy);
    tmp_drop(&payload);
    tmp_drop(&final);
    store_close(store);
    return status;
}

/* Copy the payload (from in's current offset) to out, gunzipping it when
 * gzip; hash and count the stored bytes read. -1 with why on a read,
 * write or decompression error. */
static int decode(int in, int out, bool gzip, crypto_hash_sha256_state *h, uint64_t *read_bytes, char *why,
                  size_t why_len)
{
    static unsigned char ibuf[CHUNK], obuf[CHUNK];
    z_stream z = {0};
    int rc = -1, zrc = Z_OK;
    ssize_t n;

    *read_bytes = 0;
    if (gzip && inflateInit2(&z, 15 + 16) != Z_OK)
        return -1;
    while ((n = read(in, ibuf, sizeof(ibuf))) != 0) {
        if (n < 0) {
            if (errno == EINTR)
                continue;
            snprintf(why, why_len, "cannot read the backup: %s", strerror(errno));
            goto out;
        }
        crypto_hash_sha256_update(h, ibuf, (unsigned long long)n);
        *read_bytes += (uint64_t)n;
        if (!gzip) {
            if (write_all(out, ibuf, (size_t)n) != 0)
                goto io;
            continue;
        }
        z.next_in = ibuf;
        z.avail_in = (uInt)n;
        while (z.avail_in > 0 && zrc != Z_STREAM_END) {
            z.next_out = obuf;
            z.avail_out = sizeof(obuf);
            zrc = inflate(&z, Z_NO_FLUSH);
            if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
                snprintf(why, why_len, "the payload is not valid gzip data");
                goto out;
            }
            if (write_all(out, obuf, sizeof(obuf) - z.avail_out) != 0)
                goto io;
        }
    }
    if (gzip && zrc != Z_STREAM_END) {
        snprintf(why, why_len, "the gzip payload ends early (the file is truncated)");
        goto out;
    }
    rc = 0;
    goto out;
io:
    snprintf(why, why_len, "cannot write the restored copy: %s", strerror(errno));
out:
    if (gzip)
        inflateEnd(&z);
    return rc;
}

/* Read and check path's head; the file stays open at the payload. */
static int open_backup(const char *path, ops_manifest_t *m, int *fd_out)
{
    char head[OPS_MANIFEST_MAX + 64], why[256];
    size_t payload_at;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        fprintf(stderr, "lsf-server restore: cannot open %s: %s\n", path, strerror(errno));
        return -1;
    }
    n = pread(fd, head, sizeof(head), 0);
    if (n < 0 || ops_manifest_parse(head, (size_t)n, m, &payload_at, why, sizeof(why)) != 0 ||
        lseek(fd, (off_t)payload_at, SEEK_SET) < 0) {
        fprintf(stderr, "lsf-server restore: %s: %s\n", path, n < 0 ? strerror(errno) : why);
        close(fd);
        return -1;
    }
    *fd_out = fd;
    return 0;
}

/* Copy the payload to out, checking size and SHA-256 against m. */
static int check_payload(const char *path, int fd, int out, const ops_manifest_t *m)
{
    unsigned char digest[crypto_hash_sha256_BYTES], want[crypto_hash_sha256_BYTES];
    crypto_hash_sha256_state h;
    char why[256] = "";
    uint64_t got = 0;

    crypto_hash_sha256_init(&h);
    int rc = decode(fd, out, m->gzip, &h, &got, why, sizeof(why));
    crypto_hash_sha256_final(&h, digest);
    if (got != m->payload_bytes) {
        fprintf(stderr,
                "lsf-server restore: %s: refused: the payload is %llu bytes, the manifest says %llu "
                "(the file is truncated or was changed)\n",
                path, (unsigned long long)got, (unsigned long long)m->payload_bytes);
        return -1;
    }
    if (sodium_hex2bin(want, sizeof(want), m->sha256, OPS_SHA256_HEX, NULL, NULL, NULL) != 0 ||
        sodium_memcmp(digest, want, sizeof(want)) != 0) {
        fprintf(stderr, "lsf-server restore: %s: refused: the payload's SHA-256 is not the manifest's "
                        "(the file was altered or damaged)\n", path);
        return -1;
    }
    if (rc != 0) {
        fprintf(stderr, "lsf-server restore: %s: refused: %s\n", path, why);
        return -1;
    }
    return 0;
}

static int counts_match(const ops_manifest_t *m, const store_counts_t *got)
{
    int ok = 0;
    if (got->schema_version != m->counts.schema_version) {
        fprintf(stderr, "lsf-server restore: restored schema version %d, the manifest says %d\n",
                got->schema_version, m->counts.schema_version);
        ok = -1;
    }
    for (int i = 0; i < STORE_COUNT_N; i++) {
        if (m->counts.rows[i] != STORE_COUNT_UNKNOWN && got->rows[i] != m->counts.rows[i]) {
            fprintf(stderr, "lsf-server restore: restored %s has %lld rows, the manifest says %lld\n",
                    store_count_names[i], (long long)got->rows[i], (long long)m->counts.rows[i]);
            ok = -1;
        }
    }
    return ok;
}

int ops_restore(const core_config_t *cfg, const char *path, bool force, bool check_only)
{
    tmpfile_t copy = {.fd = -1};
    ops_manifest_t m;
    store_counts_t got;
    store_t *store = NULL;
    kv_t *kv = NULL;
    int fd = -1, status = EXIT_FAILURE, applied = 0, rc;
    int64_t now, ended;

    if (open_backup(path, &m, &fd) != 0)
        return EXIT_FAILURE;
    if (!check_only && strcmp(m.backend, backend_of(cfg)) != 0) {
        fprintf(stderr, "lsf-server restore: %s is a %s backup, and DATABASE_URL is %s\n", path, m.backend,
                backend_of(cfg));
        goto out;
    }
    if (tmp_create(path, "restore", &copy) != 0 && tmp_create(cfg->data_dir, "restore", &copy) != 0) {
        fprintf(stderr, "lsf-server restore: cannot create a temporary file: %s\n", strerror(errno));
        goto out;
    }
    if (check_payload(path, fd, copy.fd, &m) != 0)
        goto out;
    if (check_only) {
        print_summary(stdout, "checked", path, &m);
        status = EXIT_SUCCESS;
        goto out;
    }
    if (fsync(copy.fd) != 0 || store_open(cfg->database_url, &store) != CORE_OK) {
        fprintf(stderr, "lsf-server restore: cannot open the database\n");
        goto out;
    }
    if ((rc = store_restore(store, copy.path, force)) != CORE_OK) {
        if (rc == CORE_E_CONFLICT)
            fprintf(stderr, "lsf-server restore: the database holds users or tasks; refusing to overwrite it "
                            "without --force\n");
        else
            fprintf(stderr, "lsf-server restore: the restore failed (see the log above); the database may be "
                            "partly replaced: restore again\n");
        goto out;
    }
    /* a fresh session: the old one cached statements of the replaced schema */
    store_close(store);
    store = NULL;
    if (store_open(cfg->database_url, &store) != CORE_OK || store_counts(store, &got) != CORE_OK) {
        fprintf(stderr, "lsf-server restore: cannot read the restored database\n");
        goto out;
    }
    if (counts_match(&m, &got) != 0) {
        fprintf(stderr, "lsf-server restore: the restored rows are not the manifest's: do not serve this database\n");
        goto out;
    }
    if (store_migrate(store, &applied) != CORE_OK) {
        fprintf(stderr, "lsf-server restore: migrating the restored database failed\n");
        goto out;
    }
    if ((kv = ops_kv_open(cfg, "restore")) == NULL)
        goto out;
    now = core_clock_now_ms();
    if ((ended = ops_sessions_end_all(cfg, kv, store, now)) < 0) {
        fprintf(stderr, "lsf-server restore: ending the sessions issued before the restore failed; run the "
                        "restore again before serving\n");
        goto out;
    }
    print_summary(stdout, "restored", path, &m);
    printf("  migrations applied: %d; sessions ended for %lld users (tokens issued before %lld ms)\n", applied,
           (long long)ended, (long long)now);
    status = EXIT_SUCCESS;
out:
    if (fd >= 0)
        close(fd);
    tmp_drop(&copy);
    kv_destroy(kv);
    store_close(store);
    return status;
}
