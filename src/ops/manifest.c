/*
 * This file implements the backup file head of manifest.h: writing the
 * magic and manifest lines with jansson, and reading them back strictly (a
 * known magic, one bounded line of JSON, every member present with its
 * type and range), so restore can refuse a file it does not understand
 * with a message instead of guessing.
 */
#include "ops/manifest.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/clock.h"

static int fail(char *why, size_t why_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t why_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
    return -1;
}

size_t ops_manifest_format(const ops_manifest_t *m, char *buf, size_t cap)
{
    char when[32];
    json_t *rows = json_object(), *doc;
    size_t magic = strlen(OPS_BACKUP_MAGIC), n = 0;
    char *text;

    for (int i = 0; i < STORE_COUNT_N; i++) {
        if (m->counts.rows[i] != STORE_COUNT_UNKNOWN) /* a manifest read from an older backup stays as it was */
            json_object_set_new(rows, store_count_names[i], json_integer(m->counts.rows[i]));
    }
    core_clock_iso8601(m->created_at, when);
    doc = json_pack("{s:s, s:i, s:s, s:o, s:{s:s, s:I, s:s}}", "backend", m->backend, "schema_version",
                    m->counts.schema_version, "created_at", when, "rows", rows, "payload", "encoding",
                    m->gzip ? "gzip" : "none", "bytes", (json_int_t)m->payload_bytes, "sha256", m->sha256);
    text = doc != NULL ? json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    if (text != NULL && strlen(text) + 1 < OPS_MANIFEST_MAX && magic + strlen(text) + 2 <= cap)
        n = (size_t)snprintf(buf, cap, "%s%s\n", OPS_BACKUP_MAGIC, text);
    free(text);
    json_decref(doc);
    return n;
}

/* jansson quotes the input it stopped at: keep only printable ASCII of it */
static const char *ascii(char *text)
{
    for (char *p = text; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
            *p = '?';
    return text;
}

static bool hex_lower(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
            return false;
    return true;
}

static int read_doc(json_t *doc, ops_manifest_t *out, char *why, size_t why_len)
{
    const char *backend = NULL, *when = NULL, *encoding = NULL, *sha = NULL;
    json_int_t version = -1, bytes = -1;
    json_t *rows = NULL;
    json_error_t err;

    if (json_unpack_ex(doc, &err, JSON_STRICT, "{s:s, s:I, s:s, s:o, s:{s:s, s:I, s:s}}", "backend", &backend,
                       "schema_version", &version, "created_at", &when, "rows", &rows, "payload", "encoding",
                       &encoding, "bytes", &bytes, "sha256", &sha) != 0)
        return fail(why, why_len, "the manifest is not as written by lsf-server backup: %s", ascii(err.text));
    if (strcmp(backend, "sqlite") != 0 && strcmp(backend, "postgres") != 0)
        return fail(why, why_len, "the manifest names an unknown backend");
    snprintf(out->backend, sizeof(out->backend), "%s", backend);
    if (version < 0 || version > 1000000)
        return fail(why, why_len, "the manifest's schema_version is out of range");
    out->counts.schema_version = (int)version;
    if (!core_clock_parse_iso8601(when, strlen(when), &out->created_at))
        return fail(why, why_len, "the manifest's created_at is not an ISO 8601 time");
    if (strcmp(encoding, "gzip") != 0 && strcmp(encoding, "none") != 0)
        return fail(why, why_len, "the manifest names an unknown payload encoding");
    out->gzip = strcmp(encoding, "gzip") == 0;
    if (bytes < 0)
        return fail(why, why_len, "the manifest's payload size is negative");
    out->payload_bytes = (uint64_t)bytes;
    if (strlen(sha) != OPS_SHA256_HEX || !hex_lower(sha, OPS_SHA256_HEX))
        return fail(why, why_len, "the manifest's sha256 is not 64 lowercase hex digits");
    memcpy(out->sha256, sha, OPS_SHA256_HEX + 1);
    if (!json_is_object(rows))
        return fail(why, why_len, "the manifest's rows must name the %d tables of a backup", STORE_COUNT_N);
    size_t named = 0;
    for (int i = 0; i < STORE_COUNT_N; i++) {
        json_t *n = json_object_get(rows, store_count_names[i]);
        if (n == NULL && i >= STORE_COUNT_FIRST_LATER) { /* a backup from before the table was counted */
            out->counts.rows[i] = STORE_COUNT_UNKNOWN;
            continue;
        }
        if (!json_is_integer(n) || json_integer_value(n) < 0)
            return fail(why, why_len, "the manifest's rows.%s is not a count", store_count_names[i]);
        out->counts.rows[i] = json_integer_value(n);
        named++;
    }
    if (json_object_size(rows) != named)
        return fail(why, why_len, "the manifest's rows name a table that a backup does not count");
    return 0;
}

int ops_manifest_parse(const char *data, size_t len, ops_manifest_t *out, size_t *payload_at, char *why,
                       size_t why_len)
{
    size_t magic = strlen(OPS_BACKUP_MAGIC), limit;
    const char *line, *nl;
    json_error_t err;
    json_t *doc;
    int rc;

    memset(out, 0, sizeof(*out));
    *payload_at = 0;
    if (len < magic || memcmp(data, OPS_BACKUP_MAGIC, magic) != 0)
        return fail(why, why_len, "not an lsf-server backup (no \"LSF-BACKUP 1\" first line)");
    line = data + magic;
    limit = len - magic < OPS_MANIFEST_MAX ? len - magic : OPS_MANIFEST_MAX;
    if ((nl = memchr(line, '\n', limit)) == NULL)
        return fail(why, why_len, "the manifest line is missing, cut short or longer than %d bytes", OPS_MANIFEST_MAX);
    doc = json_loadb(line, (size_t)(nl - line), JSON_REJECT_DUPLICATES, &err);
    if (doc == NULL)
        return fail(why, why_len, "the manifest is not JSON: %s", ascii(err.text));
    rc = read_doc(doc, out, why, why_len);
    json_decref(doc);
    if (rc == 0)
        *payload_at = (size_t)(nl + 1 - data);
    else
        memset(out, 0, sizeof(*out));
    return rc;
}
