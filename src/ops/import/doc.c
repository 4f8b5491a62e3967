/*
 * This file implements the reading of the original app's documents
 * (import.h) into what the store inserts, with the rules of
 * docs/OPERATIONS.md ("Importing from the MERN app"):
 * - users: _id an ObjectId; name 1..100 characters; email valid (trimmed,
 *   lowercased, as register does); password a bcrypt hash, kept as it is;
 *   isAccountVerified a boolean (absent: false); createdAt/updatedAt dates
 *   (absent: the ObjectId's time). verifyOtp, resetOtp and their expiries
 *   are not imported: users ask for new codes.
 * - tasks: _id and userId ObjectIds (userId also as 24 hex digits); title
 *   1..200 characters, description up to 5000, tags up to 20 of up to 40
 *   (the API's limits; repeated and empty tags dropped); status pending |
 *   in-progress | completed (absent: pending); priority low | medium | high
 *   (absent: medium); dueDate and completedAt dates or null.
 * Dates are BSON dates, which is what both Extended JSON forms of $date
 * become, or ISO 8601 strings. Fields not named here are ignored. Strings
 * must be valid UTF-8 without control characters other than tab and
 * newlines (bson_validate first).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api/input.h"
#include "core/clock.h"
#include "core/str.h"
#include "ops/import/import.h"
#include "store/task.h"

static int fail(char *why, size_t why_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *why, size_t why_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
    return -1;
}

static bool valid(const bson_t *doc, char *why, size_t why_len)
{
    bson_error_t err;
    if (bson_validate_with_error(doc, BSON_VALIDATE_UTF8, &err))
        return true;
    fail(why, why_len, "not a valid document: %s", err.message);
    return false;
}

static bool oid_of(const bson_iter_t *it, uint8_t out[CORE_OBJECTID_LEN], bool hex_string_too)
{
    if (BSON_ITER_HOLDS_OID(it)) {
        memcpy(out, bson_iter_oid(it)->bytes, CORE_OBJECTID_LEN);
        return true;
    }
    if (hex_string_too && BSON_ITER_HOLDS_UTF8(it)) {
        uint32_t len;
        const char *s = bson_iter_utf8(it, &len);
        return core_objectid_parse(core_str(s, len), out);
    }
    return false;
}

void ops_import_doc_id(const bson_t *doc, char out[CORE_OBJECTID_HEX + 1])
{
    bson_iter_t it;
    out[0] = '\0';
    if (bson_iter_init_find(&it, doc, "_id") && BSON_ITER_HOLDS_OID(&it))
        bson_oid_to_string(bson_iter_oid(&it), out);
}

/* A trimmed string field of min..max characters, NULL when absent or null
 * (*present false). -1 with why for another type, a size out of range or a
 * control character. */
static int text(const bson_t *doc, const char *field, size_t min, size_t max, core_pool_t *pool, const char **out,
                char *why, size_t why_len)
{
    bson_iter_t it;
    uint32_t len;

    *out = NULL;
    if (!bson_iter_init_find(&it, doc, field) || BSON_ITER_HOLDS_NULL(&it) || BSON_ITER_HOLDS_UNDEFINED(&it)) {
        if (min > 0)
            return fail(why, why_len, "%s is missing", field);
        return 0;
    }
    if (!BSON_ITER_HOLDS_UTF8(&it))
        return fail(why, why_len, "%s is not a string", field);
    const char *raw = bson_iter_utf8(&it, &len); /* sets len: not in the same expression */
    core_str_t s = core_str_trim(core_str(raw, len));
    /* bson_validate let invalid UTF-8 through in a mongodump file (fuzz:
     * tests/fuzz/regression/import_bson/invalid-utf8-title) */
    if (!core_str_is_utf8(s) || memchr(s.base, '\0', s.len) != NULL)
        return fail(why, why_len, "%s is not valid UTF-8", field);
    size_t chars = core_str_utf8_len(s);
    if (chars < min)
        return fail(why, why_len, "%s is empty", field);
    if (chars > max)
        return fail(why, why_len, "oversized field: %s is %zu characters, at most %zu", field, chars, max);
    for (size_t i = 0; i < s.len; i++)
        if ((unsigned char)s.base[i] < 0x20 && s.base[i] != '\n' && s.base[i] != '\t' && s.base[i] != '\r')
            return fail(why, why_len, "%s holds a control character", field);
    *out = core_pool_cstr(pool, s);
    return 0;
}

/* A date field: a BSON date or an ISO 8601 string, STORE_TIME_NONE when
 * absent or null. */
static int date(const bson_t *doc, const char *field, int64_t *out, char *why, size_t why_len)
{
    bson_iter_t it;
    uint32_t len;

    *out = STORE_TIME_NONE;
    if (!bson_iter_init_find(&it, doc, field) || BSON_ITER_HOLDS_NULL(&it) || BSON_ITER_HOLDS_UNDEFINED(&it))
        return 0;
    if (BSON_ITER_HOLDS_DATE_TIME(&it)) {
        int64_t ms = bson_iter_date_time(&it);
        /* the years core_clock_iso8601 can write back: 1970 to 9999 */
        if (ms < 0 || ms > 253402300799999LL)
            return fail(why, why_len, "%s is outside the years 1970 to 9999", field);
        *out = ms;
        return 0;
    }
    if (BSON_ITER_HOLDS_UTF8(&it)) {
        const char *s = bson_iter_utf8(&it, &len);
        if (core_clock_parse_iso8601(s, len, out))
            return 0;
    }
    *out = STORE_TIME_NONE;
    return fail(why, why_len, "%s is not a date", field);
}

/* $2a$, $2b$ or $2y$, a two-digit cost, 53 characters of bcrypt's base64. */
static bool is_bcrypt(const char *s)
{
    if (strlen(s) != 60 || s[0] != '$' || s[1] != '2' || (s[2] != 'a' && s[2] != 'b' && s[2] != 'y') ||
        s[3] != '$' || s[4] < '0' || s[4] > '3' || s[5] < '0' || s[5] > '9' || s[6] != '$')
        return false;
    for (size_t i = 7; i < 60; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '/'))
            return false;
    }
    return true;
}

static bool has_value(const bson_t *doc, const char *field)
{
    bson_iter_t it;
    return bson_iter_init_find(&it, doc, field) && !BSON_ITER_HOLDS_NULL(&it) && !BSON_ITER_HOLDS_UNDEFINED(&it) &&
           !(BSON_ITER_HOLDS_UTF8(&it) && bson_iter_utf8(&it, NULL)[0] == '\0');
}

int ops_import_user_read(const bson_t *doc, core_pool_t *pool, ops_import_user_t *out, char *why, size_t why_len)
{
    const char *email = NULL, *password = NULL;
    char *normalized;
    int64_t created, updated;
    bson_iter_t it;

    memset(out, 0, sizeof(*out));
    if (!valid(doc, why, why_len))
        return -1;
    if (!bson_iter_init_find(&it, doc, "_id") || !oid_of(&it, out->oid, false))
        return fail(why, why_len, "_id is not an ObjectId");
    core_objectid_to_uuid(out->oid, out->user.id);
    if (text(doc, "name", 1, API_NAME_MAX, pool, &out->user.name, why, why_len) != 0 ||
        text(doc, "email", 1, API_EMAIL_MAX, pool, &email, why, why_len) != 0 ||
        text(doc, "password", 1, 1024, pool, &password, why, why_len) != 0)
        return -1;
    if (!api_input_email(pool, core_str_c(email), &normalized))
        return fail(why, why_len, "bad email");
    out->user.email = normalized;
    if (!is_bcrypt(password))
        return fail(why, why_len, "password is not a bcrypt hash ($2a$, $2b$ or $2y$)");
    out->user.password_hash = password;
    if (bson_iter_init_find(&it, doc, "isAccountVerified") && !BSON_ITER_HOLDS_NULL(&it)) {
        if (!BSON_ITER_HOLDS_BOOL(&it))
            return fail(why, why_len, "bad value for isAccountVerified: not a boolean");
        out->user.is_account_verified = bson_iter_bool(&it);
    }
    if (date(doc, "createdAt", &created, why, why_len) != 0 || date(doc, "updatedAt", &updated, why, why_len) != 0)
        return -1;
    out->user.created_at = created != STORE_TIME_NONE ? created : core_objectid_time_ms(out->oid);
    out->user.updated_at = updated != STORE_TIME_NONE && updated > out->user.created_at ? updated : out->user.created_at;
    out->dropped_codes = has_value(doc, "verifyOtp") || has_value(doc, "resetOtp");
    return 0;
}

static int choice(const bson_t *doc, const char *field, const char *const names[3], int absent, int *out, char *why,
                  size_t why_len)
{
    bson_iter_t it;
    uint32_t len;

    *out = absent;
    if (!bson_iter_init_find(&it, doc, field) || BSON_ITER_HOLDS_NULL(&it))
        return 0;
    if (BSON_ITER_HOLDS_UTF8(&it)) {
        const char *s = bson_iter_utf8(&it, &len);
        for (int i = 0; i < 3; i++) {
            if (strlen(names[i]) == len && memcmp(names[i], s, len) == 0) {
                *out = i;
                return 0;
            }
        }
        if (!core_str_is_utf8(core_str(s, len)) || memchr(s, '\0', len) != NULL)
            return fail(why, why_len, "bad enum value: %s is not valid UTF-8", field);
        return fail(why, why_len, "bad enum value: %s \"%.*s\" is not one of %s, %s, %s", field,
                    (int)core_str_utf8_prefix(core_str(s, len), 40), s, names[0], names[1], names[2]);
    }
    return fail(why, why_len, "bad enum value: %s is not a string", field);
}

static int tags(const bson_t *doc, core_pool_t *pool, store_task_t *t, char *why, size_t why_len)
{
    bson_iter_t it, child;
    size_t n = 0;

    t->tags = core_pool_alloc(pool, (STORE_TASK_TAGS_MAX + 1) * sizeof(*t->tags));
    t->tags_len = 0;
    if (!bson_iter_init_find(&it, doc, "tags") || BSON_ITER_HOLDS_NULL(&it))
        return 0;
    if (!BSON_ITER_HOLDS_ARRAY(&it) || !bson_iter_recurse(&it, &child))
        return fail(why, why_len, "tags is not an array");
    while (bson_iter_next(&child)) {
        uint32_t len;
        if (!BSON_ITER_HOLDS_UTF8(&child))
            return fail(why, why_len, "tags holds something other than strings");
        const char *raw = bson_iter_utf8(&child, &len);
        core_str_t s = core_str_trim(core_str(raw, len));
        if (!core_str_is_utf8(s) || memchr(s.base, '\0', s.len) != NULL)
            return fail(why, why_len, "a tag is not valid UTF-8");
        if (s.len == 0)
            continue;
        size_t chars = core_str_utf8_len(s);
        if (chars > STORE_TASK_TAG_MAX)
            return fail(why, why_len, "oversized field: a tag is %zu characters, at most %d", chars, STORE_TASK_TAG_MAX);
        for (size_t i = 0; i < s.len; i++)
            if ((unsigned char)s.base[i] < 0x20)
                return fail(why, why_len, "a tag holds a control character");
        bool repeated = false;
        for (size_t i = 0; i < t->tags_len && !repeated; i++)
            repeated = strlen(t->tags[i]) == s.len && memcmp(t->tags[i], s.base, s.len) == 0;
        if (repeated)
            continue;
        if (++n > STORE_TASK_TAGS_MAX)
            return fail(why, why_len, "oversized field: more than %d tags", STORE_TASK_TAGS_MAX);
        t->tags[t->tags_len++] = core_pool_cstr(pool, s);
    }
    return 0;
}

int ops_import_task_read(const bson_t *doc, core_pool_t *pool, ops_import_task_t *out, char *why, size_t why_len)
{
    static const char *const statuses[3] = {"pending", "in-progress", "completed"};
    static const char *const priorities[3] = {"low", "medium", "high"};
    store_task_t *t = &out->task;
    const char *description = NULL;
    int64_t updated;
    bson_iter_t it;

    memset(out, 0, sizeof(*out));
    if (!valid(doc, why, why_len))
        return -1;
    if (!bson_iter_init_find(&it, doc, "_id") || !oid_of(&it, out->oid, false))
        return fail(why, why_len, "_id is not an ObjectId");
    if (!bson_iter_init_find(&it, doc, "userId") || !oid_of(&it, out->owner, true))
        return fail(why, why_len, "orphan task: userId is missing or not an ObjectId");
    core_objectid_to_uuid(out->oid, t->id);
    core_objectid_to_uuid(out->owner, t->user_id);
    if (text(doc, "title", 1, STORE_TASK_TITLE_MAX, pool, &t->title, why, why_len) != 0 ||
        text(doc, "description", 0, STORE_TASK_DESCRIPTION_MAX, pool, &description, why, why_len) != 0 ||
        choice(doc, "status", statuses, STORE_TASK_PENDING, &t->status, why, why_len) != 0 ||
        choice(doc, "priority", priorities, STORE_TASK_MEDIUM, &t->priority, why, why_len) != 0 ||
        date(doc, "dueDate", &t->due_date, why, why_len) != 0 ||
        date(doc, "completedAt", &t->completed_at, why, why_len) != 0 ||
        date(doc, "createdAt", &out->created_in_doc, why, why_len) != 0 ||
        date(doc, "updatedAt", &updated, why, why_len) != 0 || tags(doc, pool, t, why, why_len) != 0)
        return -1;
    t->description = description != NULL ? description : "";
    t->updated_at = updated; /* STORE_TIME_NONE for now: the caller settles the times */
    if (t->status != STORE_TASK_COMPLETED)
        t->completed_at = STORE_TIME_NONE;
    return 0;
}
