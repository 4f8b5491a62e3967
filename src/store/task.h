/*
 * Task types shared by the storage interface (store.h) and the tasks API.
 * Field names follow the JSON ones in snake_case (dueDate = due_date).
 * Times are milliseconds since the epoch; STORE_TIME_NONE stands for null.
 */
#ifndef STORE_TASK_H
#define STORE_TASK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/uuid.h"

#define STORE_TIME_NONE INT64_MIN

#define STORE_TASK_TITLE_MAX 200        /* characters, after trimming */
#define STORE_TASK_DESCRIPTION_MAX 5000 /* characters */
#define STORE_TASK_TAGS_MAX 20
#define STORE_TASK_TAG_MAX 40 /* characters */
#define STORE_TASK_PAGE_MAX 100

/* Stored as these integers, so sorting by priority is sorting by number. */
enum store_task_status { STORE_TASK_PENDING = 0, STORE_TASK_IN_PROGRESS = 1, STORE_TASK_COMPLETED = 2 };
enum store_task_priority { STORE_TASK_LOW = 0, STORE_TASK_MEDIUM = 1, STORE_TASK_HIGH = 2 };
#define STORE_TASK_STATUSES 3
#define STORE_TASK_PRIORITIES 3

typedef struct store_task {
    char id[CORE_UUID_LEN + 1];
    char user_id[CORE_UUID_LEN + 1];
    const char *title;
    const char *description;
    int status;   /* enum store_task_status */
    int priority; /* enum store_task_priority */
    int64_t due_date;
    const char **tags;
    size_t tags_len;
    int64_t completed_at;
    int64_t created_at;
    int64_t updated_at;
    int64_t deleted_at; /* when it went to the trash (store_task_trash_list); 0 for a live task */
} store_task_t;

/* Which members of a store_task_patch_t are set (a partial update). */
enum store_task_field {
    STORE_TASK_F_TITLE = 1 << 0,
    STORE_TASK_F_DESCRIPTION = 1 << 1,
    STORE_TASK_F_STATUS = 1 << 2,
    STORE_TASK_F_PRIORITY = 1 << 3,
    STORE_TASK_F_DUE_DATE = 1 << 4,
    STORE_TASK_F_TAGS = 1 << 5,
};

typedef struct store_task_patch {
    unsigned fields; /* enum store_task_field bits */
    store_task_t values;
} store_task_patch_t;

/* Give a new task (id empty) its id and created_at = updated_at = now, after
 * last_id (the user's latest task id, or NULL): ids, and so createdAt, follow
 * the order in which the store calls this. A completed new task gets
 * completed_at = created_at. A task with an id set (tests, imports) is left
 * as it is. */
void store_task_stamp(store_task_t *task, const char *last_id);

/* Apply patch to task at now_ms: copy the set fields, keep completed_at in
 * step with status (set when it becomes completed, cleared when it leaves),
 * bump updated_at. Pure; every backend uses it so they agree. */
void store_task_patch_apply(store_task_t *task, const store_task_patch_t *patch, int64_t now_ms);

enum store_task_sort {
    STORE_SORT_CREATED_AT = 0,
    STORE_SORT_UPDATED_AT,
    STORE_SORT_DUE_DATE, /* tasks without a due date sort as if due at the end of time */
    STORE_SORT_PRIORITY,
    STORE_SORT_TITLE, /* case-insensitive */
};

/* A keyset position: the sort key and id of the last task of a page. */
typedef struct store_task_cursor {
    int sort; /* enum store_task_sort the cursor was made for */
    bool desc;
    int64_t num;      /* key for the numeric sorts (due_date: STORE_TIME_NONE -> INT64_MAX) */
    const char *text; /* key for STORE_SORT_TITLE */
    char id[CORE_UUID_LEN + 1];
} store_task_cursor_t;

typedef struct store_task_query {
    const char *user_id;
    int status;          /* -1 for any */
    int priority;        /* -1 for any */
    const char *tag;     /* NULL for any */
    const char *search;  /* words to find (prefix, case-insensitive); never FTS syntax; NULL for none */
    int64_t due_before;  /* STORE_TIME_NONE for none; exclusive */
    int64_t due_after;   /* STORE_TIME_NONE for none; exclusive */
    int sort;            /* enum store_task_sort */
    bool desc;
    size_t limit;        /* 1..STORE_TASK_PAGE_MAX */
    int64_t offset;      /* page mode: (page - 1) * limit; ignored with after */
    const store_task_cursor_t *after; /* keyset mode when not NULL */
    /* The number of tasks these filters match, when the caller knows it (a
     * count cached under the user's current generation, api/cache.h): the
     * store then returns it as the page's total instead of counting. NULL:
     * the store counts. */
    const int64_t *known_total;
} store_task_query_t;

typedef struct store_task_page {
    store_task_t *tasks; /* from the caller's pool */
    size_t len;
    int64_t total; /* tasks matching the filters, all pages */
    bool more;     /* a task follows the last one returned */
} store_task_page_t;

typedef struct store_task_stats {
    int64_t total;
    int64_t by_status[STORE_TASK_STATUSES];
    int64_t by_priority[STORE_TASK_PRIORITIES];
    int64_t overdue;              /* not completed, due before now */
    int64_t due_today;            /* due within the current UTC day */
    int64_t completed_last_7_days; /* completed_at within the last 7 days */
} store_task_stats_t;

/* The cursor for the position of task in the query's order. */
void store_task_cursor_of(const store_task_t *task, int sort, bool desc, store_task_cursor_t *out);

#endif
