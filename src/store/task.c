/*
 * This file implements the backend-independent parts of tasks (task.h): how
 * a new task gets its id and times, how a partial update changes a task, and
 * where a task sits in a sort order.
 * Both SQLite and PostgreSQL call these, so the rules live in one place.
 */
#include "store/task.h"

#include <string.h>

#include "core/clock.h"

void store_task_stamp(store_task_t *task, const char *last_id)
{
    if (task->id[0] != '\0')
        return;
    task->created_at = task->updated_at = core_uuid_v7_after(core_clock_now_ms(), last_id, task->id);
    if (task->completed_at != STORE_TIME_NONE)
        task->completed_at = task->created_at;
}

void store_task_patch_apply(store_task_t *task, const store_task_patch_t *patch, int64_t now_ms)
{
    const store_task_t *v = &patch->values;
    unsigned f = patch->fields;

    if (f & STORE_TASK_F_TITLE)
        task->title = v->title;
    if (f & STORE_TASK_F_DESCRIPTION)
        task->description = v->description;
    if (f & STORE_TASK_F_PRIORITY)
        task->priority = v->priority;
    if (f & STORE_TASK_F_DUE_DATE)
        task->due_date = v->due_date;
    if (f & STORE_TASK_F_TAGS) {
        task->tags = v->tags;
        task->tags_len = v->tags_len;
    }
    if (f & STORE_TASK_F_STATUS) {
        if (v->status == STORE_TASK_COMPLETED && task->status != STORE_TASK_COMPLETED)
            task->completed_at = now_ms;
        else if (v->status != STORE_TASK_COMPLETED)
            task->completed_at = STORE_TIME_NONE;
        task->status = v->status;
    }
    task->updated_at = now_ms;
}

void store_task_cursor_of(const store_task_t *task, int sort, bool desc, store_task_cursor_t *out)
{
    memset(out, 0, sizeof(*out));
    out->sort = sort;
    out->desc = desc;
    switch (sort) {
    case STORE_SORT_UPDATED_AT: out->num = task->updated_at; break;
    case STORE_SORT_DUE_DATE: out->num = task->due_date == STORE_TIME_NONE ? INT64_MAX : task->due_date; break;
    case STORE_SORT_PRIORITY: out->num = task->priority; break;
    case STORE_SORT_TITLE: out->text = task->title; break;
    default: out->num = task->created_at; break;
    }
    memcpy(out->id, task->id, sizeof(out->id));
}
