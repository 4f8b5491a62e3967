/*
 * libFuzzer target: api_task_query (src/api/task_input.c), the whole query
 * string of GET /api/tasks: parameters (api_query_next), filters, sort,
 * paging and the cursor (api_cursor_decode). The input is the text after
 * '?'. Properties: an accepted query has a limit of 1 to
 * STORE_TASK_PAGE_MAX, a page of at least 1, a sort and filters in range,
 * tag and search texts that are valid UTF-8, dates in years 1970-9999 and a
 * cursor only for its own sort order; a refusal carries a message that is
 * valid UTF-8, so the error answer has its JSON body. Cursors are sealed
 * under FUZZ_JWT_SECRET; the corpus holds some made with it.
 */
#include <jansson.h>
#include <sodium.h>
#include <string.h>

#include "api/cursor.h"
#include "api/task_input.h"
#include "core/error.h"
#include "fuzz.h"

#define LAST_MS 253402300799999LL

static void check_utf8(const char *what, const char *s)
{
    json_t *j;

    if (s == NULL)
        return;
    FUZZ_CHECK((j = json_string(s)) != NULL, "%s is not valid UTF-8", what);
    json_decref(j);
}

static void check_date(const char *what, int64_t ms)
{
    FUZZ_CHECK(ms == STORE_TIME_NONE || (ms >= 0 && ms <= LAST_MS), "%s %lld", what, (long long)ms);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    core_pool_t pool;
    api_req_t req;
    store_task_query_t q;
    int64_t page;
    static bool init;

    if (!init) {
        if (sodium_init() < 0)
            abort();
        api_cursor_init(FUZZ_JWT_SECRET, strlen(FUZZ_JWT_SECRET));
        init = true;
    }
    core_pool_init(&pool);
    memset(&req, 0, sizeof(req));
    req.pool = &pool;
    req.query = core_str((const char *)data, size);
    req.now_ms = 1767225600000LL;
    int rc = api_task_query(&req, &q, &page);
    if (rc == CORE_OK) {
        FUZZ_CHECK(q.limit >= 1 && q.limit <= STORE_TASK_PAGE_MAX, "limit %zu", q.limit);
        FUZZ_CHECK(page >= 1, "page %lld", (long long)page);
        FUZZ_CHECK(q.sort >= STORE_SORT_CREATED_AT && q.sort <= STORE_SORT_TITLE, "sort %d", q.sort);
        FUZZ_CHECK(q.status >= -1 && q.status < STORE_TASK_STATUSES, "status %d", q.status);
        FUZZ_CHECK(q.priority >= -1 && q.priority < STORE_TASK_PRIORITIES, "priority %d", q.priority);
        check_utf8("tag", q.tag);
        check_utf8("search", q.search);
        check_date("dueBefore", q.due_before);
        check_date("dueAfter", q.due_after);
        if (q.after != NULL)
            FUZZ_CHECK(q.after->sort == q.sort && q.after->desc == q.desc, "a cursor for another sort order");
    } else {
        json_t *m = req.message != NULL ? json_string(req.message) : NULL;
        FUZZ_CHECK(rc == CORE_E_VALIDATION && m != NULL,
                   "refused with code %d and a message that is no valid UTF-8 (the answer would have no body)", rc);
        json_decref(m);
    }
    core_pool_cleanup(&pool);
    return 0;
}
