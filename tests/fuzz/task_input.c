/*
 * libFuzzer target: api_task_input (src/api/task_input.c), a JSON body of
 * POST /api/tasks (creating) and PUT/PATCH /api/tasks/:id (updating); the
 * input is the body, parsed as the server parses it (jansson, duplicate keys
 * refused) and checked both ways. Properties: an accepted task has text
 * fields that are trimmed valid UTF-8 within their limits, without control
 * characters other than tab, CR and LF, at most STORE_TASK_TAGS_MAX distinct
 * tags, a status and a priority in range, a due date in years 1970-9999 or
 * none; written as the server answers it (api_task_write), it is JSON that
 * reads back as the same values. A refusal carries a message that is valid
 * UTF-8, so the error answer has its JSON body.
 */
#include <jansson.h>
#include <string.h>

#include "api/json_out.h"
#include "api/task_input.h"
#include "core/clock.h"
#include "core/error.h"
#include "fuzz.h"

#define NOW_MS 1767225600000LL /* 2026-01-01T00:00:00Z */
#define LAST_MS 253402300799999LL

static void check_text(const char *field, const char *s, size_t min, size_t max)
{
    json_t *j = json_string(s); /* NULL unless valid UTF-8 */
    size_t len = strlen(s), chars = 0;

    FUZZ_CHECK(j != NULL, "%s is not valid UTF-8", field);
    json_decref(j);
    FUZZ_CHECK(core_str_eq(core_str_trim(core_str(s, len)), core_str(s, len)), "%s \"%s\" is not trimmed", field, s);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        FUZZ_CHECK(c >= 0x20 || c == '\t' || c == '\n' || c == '\r', "%s has control character %#x", field, c);
        chars += (c & 0xc0) != 0x80;
    }
    FUZZ_CHECK(chars >= min && chars <= max, "%s has %zu characters", field, chars);
}

static void check_task(const store_task_patch_t *patch, bool creating)
{
    const store_task_t *t = &patch->values;

    if (creating)
        FUZZ_CHECK(t->title != NULL, "created without a title");
    if (patch->fields & STORE_TASK_F_TITLE)
        check_text("title", t->title, 1, STORE_TASK_TITLE_MAX);
    if (patch->fields & STORE_TASK_F_DESCRIPTION)
        check_text("description", t->description, 0, STORE_TASK_DESCRIPTION_MAX);
    if (patch->fields & STORE_TASK_F_STATUS)
        FUZZ_CHECK(t->status >= 0 && t->status < STORE_TASK_STATUSES, "status %d", t->status);
    if (patch->fields & STORE_TASK_F_PRIORITY)
        FUZZ_CHECK(t->priority >= 0 && t->priority < STORE_TASK_PRIORITIES, "priority %d", t->priority);
    if (patch->fields & STORE_TASK_F_DUE_DATE)
        FUZZ_CHECK(t->due_date == STORE_TIME_NONE || (t->due_date >= 0 && t->due_date <= LAST_MS), "dueDate %lld",
                   (long long)t->due_date);
    if (patch->fields & STORE_TASK_F_TAGS) {
        FUZZ_CHECK(t->tags_len <= STORE_TASK_TAGS_MAX, "%zu tags", t->tags_len);
        for (size_t i = 0; i < t->tags_len; i++) {
            check_text("tag", t->tags[i], 1, STORE_TASK_TAG_MAX);
            for (size_t j = 0; j < i; j++)
                FUZZ_CHECK(strcmp(t->tags[i], t->tags[j]) != 0, "tag \"%s\" twice", t->tags[i]);
        }
    }
}

/* A created task as the server answers it, read back with jansson. */
static void check_written(core_pool_t *pool, const store_task_patch_t *patch)
{
    store_task_t t = patch->values;
    api_json_out_t out;
    size_t len;

    strcpy(t.id, "01a24340-03c0-79e4-a016-de52e10f699b");
    strcpy(t.user_id, "01a24340-03c0-7a2e-b56b-c807e27caba0");
    t.created_at = t.updated_at = NOW_MS;
    api_json_out_init(&out, pool, 256);
    api_task_write(&out, &t);
    const char *text = api_json_out_text(&out, &len);
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL), *tags;
    FUZZ_CHECK(json_is_object(j), "the task answer is not JSON: %s", text);
    FUZZ_CHECK(strcmp(json_string_value(json_object_get(j, "title")), t.title) == 0 &&
                   strcmp(json_string_value(json_object_get(j, "description")), t.description) == 0,
               "title or description changed in %s", text);
    tags = json_object_get(j, "tags");
    FUZZ_CHECK(json_array_size(tags) == t.tags_len, "tags changed in %s", text);
    for (size_t i = 0; i < t.tags_len; i++)
        FUZZ_CHECK(strcmp(json_string_value(json_array_get(tags, i)), t.tags[i]) == 0, "tag %zu changed in %s", i,
                   text);
    if (t.due_date == STORE_TIME_NONE) {
        FUZZ_CHECK(json_is_null(json_object_get(j, "dueDate")), "dueDate appeared in %s", text);
    } else {
        int64_t ms;
        const char *d = json_string_value(json_object_get(j, "dueDate"));
        FUZZ_CHECK(d != NULL && core_clock_parse_iso8601(d, strlen(d), &ms) && ms == t.due_date,
                   "dueDate %lld came back as %s", (long long)t.due_date, d != NULL ? d : "(none)");
    }
    json_decref(j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    store_task_patch_t patch;
    core_pool_t pool;

    if (!json_is_object(body)) {
        json_decref(body);
        return 0;
    }
    for (int creating = 0; creating < 2; creating++) {
        api_req_t req;
        memset(&req, 0, sizeof(req));
        core_pool_init(&pool);
        req.pool = &pool;
        req.body = body;
        req.now_ms = NOW_MS;
        int rc = api_task_input(&req, creating, &patch);
        if (rc == CORE_OK) {
            check_task(&patch, creating);
            if (creating)
                check_written(&pool, &patch);
        } else {
            json_t *m = req.message != NULL ? json_string(req.message) : NULL;
            FUZZ_CHECK(rc == CORE_E_VALIDATION && m != NULL,
                       "refused with code %d and a message that is no valid UTF-8 (the answer would have no body)", rc);
            json_decref(m);
        }
        core_pool_cleanup(&pool);
    }
    json_decref(body);
    return 0;
}
