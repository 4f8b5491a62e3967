/* Unit tests for the backend-independent task rules (src/store/task.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "store/task.h"

static store_task_t base(void)
{
    store_task_t t = {.title = "a", .description = "", .status = STORE_TASK_PENDING, .priority = STORE_TASK_MEDIUM,
                      .due_date = STORE_TIME_NONE, .completed_at = STORE_TIME_NONE, .created_at = 1, .updated_at = 1};
    return t;
}

static void patch_changes_only_marked_fields(void **state)
{
    (void)state;
    store_task_t t = base();
    store_task_patch_t p = {.fields = STORE_TASK_F_PRIORITY, .values = {.title = "ignored", .priority = STORE_TASK_HIGH}};
    store_task_patch_apply(&t, &p, 50);
    assert_string_equal(t.title, "a");
    assert_int_equal(t.priority, STORE_TASK_HIGH);
    assert_true(t.updated_at == 50);
    assert_true(t.created_at == 1);
}

static void completed_at_follows_status(void **state)
{
    (void)state;
    store_task_t t = base();
    store_task_patch_t done = {.fields = STORE_TASK_F_STATUS, .values = {.status = STORE_TASK_COMPLETED}};
    store_task_patch_t again = done;
    store_task_patch_t reopen = {.fields = STORE_TASK_F_STATUS, .values = {.status = STORE_TASK_IN_PROGRESS}};

    store_task_patch_apply(&t, &done, 100);
    assert_true(t.completed_at == 100);
    store_task_patch_apply(&t, &again, 200); /* completing a completed task keeps the first time */
    assert_true(t.completed_at == 100);
    store_task_patch_apply(&t, &reopen, 300);
    assert_true(t.completed_at == STORE_TIME_NONE);
    assert_int_equal(t.status, STORE_TASK_IN_PROGRESS);
}

static void cursor_keys_follow_the_sort(void **state)
{
    (void)state;
    store_task_t t = base();
    store_task_cursor_t c;
    t.updated_at = 7;
    t.priority = STORE_TASK_LOW;
    store_task_cursor_of(&t, STORE_SORT_DUE_DATE, false, &c);
    assert_true(c.num == INT64_MAX); /* no due date sorts last */
    store_task_cursor_of(&t, STORE_SORT_UPDATED_AT, true, &c);
    assert_true(c.num == 7 && c.desc);
    store_task_cursor_of(&t, STORE_SORT_PRIORITY, false, &c);
    assert_true(c.num == STORE_TASK_LOW);
    store_task_cursor_of(&t, STORE_SORT_TITLE, false, &c);
    assert_string_equal(c.text, "a");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(patch_changes_only_marked_fields),
        cmocka_unit_test(completed_at_follows_status),
        cmocka_unit_test(cursor_keys_follow_the_sort),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
