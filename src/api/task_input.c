/*
 * This file implements task_input.h: validation of task bodies and list
 * queries, and the JSON shape of a task (written as text, api/json_out.h:
 * the one serialiser of a task). The limits come from store/task.h, so the
 * API and the storage agree on them.
 */
#include "api/task_input.h"

#include <string.h>

#include "api/cursor.h"
#include "api/query.h"
#include "core/clock.h"
#include "core/error.h"
#include "core/objectid.h"
#include "core/uuid.h"

const char *const api_task_statuses[STORE_TASK_STATUSES] = {"pending", "in-progress", "completed"};
const char *const api_task_priorities[STORE_TASK_PRIORITIES] = {"low", "medium", "high"};
static const char *const sort_fields[] = {"createdAt", "updatedAt", "dueDate", "priority", "title"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define NAME_QUOTE_MAX 64 /* bytes of an unknown field or parameter name quoted in its error */

static int lookup(const char *const *names, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], s) == 0)
            return (int)i;
    return -1;
}

/* A trimmed string of 1..max characters (0..max when may_be_empty). */
/* How much of a name the client sent (valid UTF-8) an error message quotes:
 * at most NAME_QUOTE_MAX bytes, never part of a character. */
static int quoted_len(const char *name)
{
    return (int)core_str_utf8_prefix(core_str_c(name), NAME_QUOTE_MAX);
}

static int text(api_req_t *req, const char *field, json_t *v, size_t max, bool may_be_empty, const char **out)
{
    if (!json_is_string(v))
        return api_fail(req, CORE_E_VALIDATION, "%s must be a string", field);
    core_str_t s = core_str_trim(core_str(json_string_value(v), json_string_length(v)));
    if (s.len == 0 && !may_be_empty)
        return api_fail(req, CORE_E_VALIDATION, "%s must not be empty", field);
    if (core_str_utf8_len(s) > max)
        return api_fail(req, CORE_E_VALIDATION, "%s must be at most %zu characters", field, max);
    for (size_t i = 0; i < s.len; i++)
        if ((unsigned char)s.base[i] < 0x20 && s.base[i] != '\n' && s.base[i] != '\t' && s.base[i] != '\r')
            return api_fail(req, CORE_E_VALIDATION, "%s must not contain control characters", field);
    *out = core_pool_cstr(req->pool, s);
    return CORE_OK;
}

static int choice(api_req_t *req, const char *field, json_t *v, const char *const *names, size_t n, int *out)
{
    int i = json_is_string(v) ? lookup(names, n, json_string_value(v)) : -1;
    if (i < 0)
        return api_fail(req, CORE_E_VALIDATION, "%s must be one of %s, %s, %s", field, names[0], names[1], names[2]);
    *out = i;
    return CORE_OK;
}

static int due_date(api_req_t *req, json_t *v, int64_t *out)
{
    if (json_is_null(v)) {
        *out = STORE_TIME_NONE;
        return CORE_OK;
    }
    if (!json_is_string(v) || !core_clock_parse_iso8601(json_string_value(v), json_string_length(v), out))
        return api_fail(req, CORE_E_VALIDATION, "dueDate must be an ISO-8601 date-time or null");
    return CORE_OK;
}

static int tags(api_req_t *req, json_t *v, store_task_t *t)
{
    size_t n = json_is_array(v) ? json_array_size(v) : 0;
    int rc;

    if (!json_is_array(v))
        return api_fail(req, CORE_E_VALIDATION, "tags must be an array of strings");
    if (n > STORE_TASK_TAGS_MAX)
        return api_fail(req, CORE_E_VALIDATION, "tags must have at most %d entries", STORE_TASK_TAGS_MAX);
    t->tags = core_pool_alloc(req->pool, (n + 1) * sizeof(*t->tags));
    t->tags_len = n;
    for (size_t i = 0; i < n; i++) {
        if ((rc = text(req, "tags[]", json_array_get(v, i), STORE_TASK_TAG_MAX, false, &t->tags[i])) != CORE_OK)
            return rc;
        for (size_t j = 0; j < i; j++)
            if (strcmp(t->tags[j], t->tags[i]) == 0)
                return api_fail(req, CORE_E_VALIDATION, "tags must not repeat \"%s\"", t->tags[i]);
    }
    return CORE_OK;
}

static bool is_read_only(const char *key)
{
    static const char *const ro[] = {"_id", "userId", "completedAt", "createdAt", "updatedAt"};
    return lookup(ro, NELEM(ro), key) >= 0;
}

int api_task_input(api_req_t *req, bool creating, store_task_patch_t *patch)
{
    store_task_t *t = &patch->values;
    const char *key;
    json_t *v;
    int rc = CORE_OK;

    memset(patch, 0, sizeof(*patch));
    if (creating) {
        t->description = "";
        t->status = STORE_TASK_PENDING;
        t->priority = STORE_TASK_MEDIUM;
        t->due_date = STORE_TIME_NONE;
        t->completed_at = STORE_TIME_NONE;
        patch->fields = STORE_TASK_F_TITLE | STORE_TASK_F_DESCRIPTION | STORE_TASK_F_STATUS | STORE_TASK_F_PRIORITY |
                        STORE_TASK_F_DUE_DATE | STORE_TASK_F_TAGS;
    }
    json_object_foreach(req->body, key, v) {
        if (strcmp(key, "title") == 0) {
            rc = text(req, "title", v, STORE_TASK_TITLE_MAX, false, &t->title);
            patch->fields |= STORE_TASK_F_TITLE;
        } else if (strcmp(key, "description") == 0) {
            rc = text(req, "description", v, STORE_TASK_DESCRIPTION_MAX, true, &t->description);
            patch->fields |= STORE_TASK_F_DESCRIPTION;
        } else if (strcmp(key, "status") == 0) {
            rc = choice(req, "status", v, api_task_statuses, STORE_TASK_STATUSES, &t->status);
            patch->fields |= STORE_TASK_F_STATUS;
        } else if (strcmp(key, "priority") == 0) {
            rc = choice(req, "priority", v, api_task_priorities, STORE_TASK_PRIORITIES, &t->priority);
            patch->fields |= STORE_TASK_F_PRIORITY;
        } else if (strcmp(key, "dueDate") == 0) {
            rc = due_date(req, v, &t->due_date);
            patch->fields |= STORE_TASK_F_DUE_DATE;
        } else if (strcmp(key, "tags") == 0) {
            rc = tags(req, v, t);
            patch->fields |= STORE_TASK_F_TAGS;
        } else if (is_read_only(key)) {
            rc = api_fail(req, CORE_E_VALIDATION, "%s is set by the server and cannot be written", key);
        } else {
            rc = api_fail(req, CORE_E_VALIDATION, "Unknown field: %.*s", quoted_len(key), key);
        }
        if (rc != CORE_OK)
            return rc;
    }
    if (creating && t->title == NULL)
        return api_fail(req, CORE_E_VALIDATION, "title is required");
    if (!creating && patch->fields == 0)
        return api_fail(req, CORE_E_VALIDATION, "Nothing to update: send at least one of title, description, "
                                                "status, priority, dueDate, tags");
    if (creating && t->status == STORE_TASK_COMPLETED)
        t->completed_at = req->now_ms;
    return CORE_OK;
}

/* Query parameters. */

static int int_param(api_req_t *req, const char *name, const char *v, long long min, long long max, int64_t *out)
{
    long long n;
    if (core_str_to_i64(core_str_c(v), min, max, &n) != 0)
        return api_fail(req, CORE_E_VALIDATION, "%s must be an integer from %lld to %lld", name, min, max);
    *out = n;
    return CORE_OK;
}

static int date_param(api_req_t *req, const char *name, const char *v, int64_t *out)
{
    if (!core_clock_parse_iso8601(v, strlen(v), out))
        return api_fail(req, CORE_E_VALIDATION, "%s must be an ISO-8601 date or date-time", name);
    return CORE_OK;
}

static int parse_param(api_req_t *req, const char *name, const char *v, store_task_query_t *q, int64_t *page,
                       int64_t *limit, const char **cursor)
{
    if (strcmp(name, "status") == 0) {
        if ((q->status = lookup(api_task_statuses, STORE_TASK_STATUSES, v)) < 0)
            return api_fail(req, CORE_E_VALIDATION, "status must be one of pending, in-progress, completed");
    } else if (strcmp(name, "priority") == 0) {
        if ((q->priority = lookup(api_task_priorities, STORE_TASK_PRIORITIES, v)) < 0)
            return api_fail(req, CORE_E_VALIDATION, "priority must be one of low, medium, high");
    } else if (strcmp(name, "tag") == 0) {
        if (core_str_utf8_len(core_str_c(v)) > STORE_TASK_TAG_MAX)
            return api_fail(req, CORE_E_VALIDATION, "tag must be at most %d characters", STORE_TASK_TAG_MAX);
        q->tag = v;
    } else if (strcmp(name, "search") == 0) {
        if (core_str_utf8_len(core_str_c(v)) > STORE_TASK_TITLE_MAX)
            return api_fail(req, CORE_E_VALIDATION, "search must be at most %d characters", STORE_TASK_TITLE_MAX);
        q->search = v;
    } else if (strcmp(name, "dueBefore") == 0) {
        return date_param(req, name, v, &q->due_before);
    } else if (strcmp(name, "dueAfter") == 0) {
        return date_param(req, name, v, &q->due_after);
    } else if (strcmp(name, "sort") == 0) {
        q->desc = v[0] == '-';
        if ((q->sort = lookup(sort_fields, NELEM(sort_fields), v + (q->desc ? 1 : 0))) < 0)
            return api_fail(req, CORE_E_VALIDATION,
                            "sort must be one of createdAt, updatedAt, dueDate, priority, title, with an optional - "
                            "prefix for descending order");
    } else if (strcmp(name, "page") == 0) {
        return int_param(req, name, v, 1, 1000000000, page);
    } else if (strcmp(name, "limit") == 0) {
        return int_param(req, name, v, 1, STORE_TASK_PAGE_MAX, limit);
    } else if (strcmp(name, "cursor") == 0) {
        *cursor = v;
    } else {
        return api_fail(req, CORE_E_VALIDATION, "Unknown query parameter: %.*s", quoted_len(name), name);
    }
    return CORE_OK;
}

int api_task_query(api_req_t *req, store_task_query_t *q, int64_t *page)
{
    static const char *const filters[] = {"status", "priority", "tag", "search", "dueBefore", "dueAfter"};
    core_str_t rest = req->query;
    unsigned seen = 0;
    int64_t limit = 10;
    const char *cursor = NULL;
    char *name, *value;
    int rc;

    memset(q, 0, sizeof(*q));
    q->status = q->priority = -1;
    q->due_before = q->due_after = STORE_TIME_NONE;
    q->sort = STORE_SORT_CREATED_AT;
    q->desc = true;
    *page = 1;
    if (rest.len > API_QUERY_MAX)
        return api_fail(req, CORE_E_VALIDATION, "Query string must be at most %d bytes", API_QUERY_MAX);
    while ((rc = api_query_next(req->pool, &rest, &name, &value)) == 1) {
        static const char *const known[] = {"status", "priority", "tag",  "search", "dueBefore", "dueAfter",
                                            "sort",   "page",     "limit", "cursor"};
        int k = lookup(known, NELEM(known), name);
        if (k >= 0 && (seen & (1u << k)))
            return api_fail(req, CORE_E_VALIDATION, "%s must be given at most once", name);
        if (k >= 0)
            seen |= 1u << k;
        /* an empty filter means no filter, as `if (status)` did in the original app */
        if (k >= 0 && lookup(filters, NELEM(filters), name) >= 0 && core_str_trim(core_str_c(value)).len == 0)
            continue;
        if ((rc = parse_param(req, name, value, q, page, &limit, &cursor)) != CORE_OK)
            return rc;
    }
    if (rc < 0)
        return api_fail(req, CORE_E_VALIDATION, "Query string is not valid percent-encoded UTF-8");
    q->limit = (size_t)limit;
    if (cursor != NULL) {
        store_task_cursor_t *c = core_pool_alloc(req->pool, sizeof(*c));
        if (api_cursor_decode(req->pool, core_str_c(cursor), c) != CORE_OK)
            return api_fail(req, CORE_E_VALIDATION, "cursor is not a cursor this server returned");
        if (c->sort != q->sort || c->desc != q->desc)
            return api_fail(req, CORE_E_VALIDATION, "cursor was made for another sort order");
        q->after = c;
        *page = 1;
    } else {
        q->offset = (*page - 1) * limit;
    }
    if (q->search != NULL) {
        core_str_t s = core_str_trim(core_str_c(q->search));
        q->search = core_pool_cstr(req->pool, s);
    }
    return CORE_OK;
}

/* Task JSON. */

static void time_or_null(api_json_out_t *out, const char *key, int64_t ms)
{
    api_json_out_key(out, key);
    api_json_out_time(out, ms);
}

void api_task_write(api_json_out_t *out, const store_task_t *t)
{
    api_json_out_object_open(out);
    api_json_out_key(out, "_id");
    api_json_out_cstr(out, t->id);
    api_json_out_key(out, "userId");
    api_json_out_cstr(out, t->user_id);
    api_json_out_key(out, "title");
    api_json_out_cstr(out, t->title);
    api_json_out_key(out, "description");
    api_json_out_cstr(out, t->description);
    api_json_out_key(out, "status");
    api_json_out_cstr(out, api_task_statuses[t->status]);
    api_json_out_key(out, "priority");
    api_json_out_cstr(out, api_task_priorities[t->priority]);
    time_or_null(out, "dueDate", t->due_date);
    api_json_out_key(out, "tags");
    api_json_out_array_open(out);
    for (size_t i = 0; i < t->tags_len; i++)
        api_json_out_cstr(out, t->tags[i]);
    api_json_out_array_close(out);
    time_or_null(out, "completedAt", t->completed_at);
    time_or_null(out, "createdAt", t->created_at);
    time_or_null(out, "updatedAt", t->updated_at);
    if (t->deleted_at != 0)
        time_or_null(out, "deletedAt", t->deleted_at);
    api_json_out_object_close(out);
}

const char *api_task_id(api_req_t *req)
{
    core_str_t id = req->params[0];
    uint8_t oid[CORE_OBJECTID_LEN];

    if (core_objectid_parse(id, oid)) {
        char *uuid = core_pool_alloc(req->pool, CORE_UUID_LEN + 1);
        core_objectid_to_uuid(oid, uuid);
        return uuid;
    }
    return core_uuid_valid(id) ? core_pool_cstr(req->pool, id) : NULL;
}
