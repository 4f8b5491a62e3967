/*
 * Unit tests for src/core/fiber.c: a fiber runs at once and ends; one that
 * suspends resumes where it was when woken from the thread's stack; a fiber
 * that wakes or starts another only queues it, and the queue runs in order
 * once the fiber suspends; a fiber may use most of its stack; fibers of two
 * threads do not see each other; stacks are reused.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/fiber.h"

#define LOG_MAX 32

typedef struct trace {
    char log[LOG_MAX][16];
    int n;
    core_fiber_t *suspended[4];
} trace_t;

static void note(trace_t *t, const char *what)
{
    if (t->n < LOG_MAX)
        strcpy(t->log[t->n++], what);
}

static void plain(void *arg)
{
    note(arg, "ran");
}

static void test_runs_at_once(void **state)
{
    trace_t t = {0};

    (void)state;
    assert_null(core_fiber_self());
    core_fiber_start(plain, &t);
    assert_int_equal(t.n, 1);
    assert_string_equal(t.log[0], "ran");
    assert_int_equal(core_fiber_count(), 0);
    assert_null(core_fiber_self());
}

static void two_steps(void *arg)
{
    trace_t *t = arg;
    int on_stack = 42; /* survives the suspension */

    note(t, "a1");
    t->suspended[0] = core_fiber_self();
    core_fiber_suspend();
    note(t, on_stack == 42 ? "a2" : "bad");
}

static void test_suspend_and_wake(void **state)
{
    trace_t t = {0};

    (void)state;
    core_fiber_start(two_steps, &t);
    assert_int_equal(t.n, 1);
    assert_int_equal(core_fiber_count(), 1);
    assert_non_null(t.suspended[0]);
    core_fiber_wake(t.suspended[0]);
    assert_int_equal(t.n, 2);
    assert_string_equal(t.log[1], "a2");
    assert_int_equal(core_fiber_count(), 0);
}

static trace_t shared;

static void waker(void *arg)
{
    (void)arg;
    note(&shared, "w1");
    core_fiber_wake(shared.suspended[0]); /* queued: runs after this one suspends */
    core_fiber_start(plain, &shared);      /* queued after it */
    note(&shared, "w2");
}

static void test_wake_from_fiber_is_queued(void **state)
{
    (void)state;
    memset(&shared, 0, sizeof(shared));
    core_fiber_start(two_steps, &shared);
    core_fiber_start(waker, NULL);
    /* a1, then w1 w2 (the waker never yields), then a2, then the new fiber */
    assert_int_equal(shared.n, 5);
    assert_string_equal(shared.log[0], "a1");
    assert_string_equal(shared.log[1], "w1");
    assert_string_equal(shared.log[2], "w2");
    assert_string_equal(shared.log[3], "a2");
    assert_string_equal(shared.log[4], "ran");
    assert_int_equal(core_fiber_count(), 0);
}

/* Recursion that uses about depth KiB of stack. */
static int deep(int depth)
{
    volatile char frame[1024];
    frame[0] = (char)depth;
    frame[1023] = (char)depth;
    return depth == 0 ? frame[0] : deep(depth - 1) + frame[1023] - (char)depth;
}

static void big_stack(void *arg)
{
    *(int *)arg = deep(CORE_FIBER_STACK / 1024 / 2);
}

static void test_deep_stack(void **state)
{
    int result = -1;

    (void)state;
    core_fiber_start(big_stack, &result);
    assert_int_equal(result, 0);
}

static void *other_thread(void *arg)
{
    trace_t *t = arg;
    core_fiber_start(two_steps, t);
    /* this thread's count, not the main thread's */
    uintptr_t count = core_fiber_count();
    core_fiber_wake(t->suspended[0]);
    core_fiber_thread_cleanup();
    return (void *)count;
}

static void test_threads_apart(void **state)
{
    trace_t mine = {0}, theirs = {0};
    pthread_t th;
    void *count;

    (void)state;
    core_fiber_start(two_steps, &mine);
    assert_int_equal(pthread_create(&th, NULL, other_thread, &theirs), 0);
    assert_int_equal(pthread_join(th, &count), 0);
    assert_int_equal((uintptr_t)count, 1); /* its own suspended fiber, never woken */
    assert_int_equal(core_fiber_count(), 1);
    core_fiber_wake(mine.suspended[0]);
    assert_int_equal(core_fiber_count(), 0);
    assert_string_equal(mine.log[1], "a2");
}

static void test_many(void **state)
{
    trace_t t[4] = {0};

    (void)state;
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < 4; i++) {
            t[i].n = 0;
            core_fiber_start(two_steps, &t[i]);
        }
        assert_int_equal(core_fiber_count(), 4);
        for (int i = 3; i >= 0; i--)
            core_fiber_wake(t[i].suspended[0]);
        assert_int_equal(core_fiber_count(), 0);
    }
    core_fiber_thread_cleanup();
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_at_once),
        cmocka_unit_test(test_suspend_and_wake),
        cmocka_unit_test(test_wake_from_fiber_is_queued),
        cmocka_unit_test(test_deep_stack),
        cmocka_unit_test(test_threads_apart),
        cmocka_unit_test(test_many),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
