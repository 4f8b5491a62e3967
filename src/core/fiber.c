/*
 * This file implements the fibers of fiber.h on glibc's ucontext
 * (makecontext/swapcontext): each fiber has a context and an mmap'ed stack
 * with a guard page; a thread keeps its own context, the fiber running
 * now, a FIFO of fibers ready to run, and a few stacks for reuse, all
 * thread-local. Every switch goes between the thread's own stack and one
 * fiber: a fiber that wakes or starts another only queues it, and the
 * thread's stack runs the queue once the fiber suspends. The switches are
 * announced to AddressSanitizer (__sanitizer_*_switch_fiber) and
 * ThreadSanitizer (__tsan_*_fiber) when built with them.
 */
#include "core/fiber.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mem.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FIBER_ASAN 1
#endif
#if __has_feature(thread_sanitizer)
#define FIBER_TSAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) && !defined(FIBER_ASAN)
#define FIBER_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__) && !defined(FIBER_TSAN)
#define FIBER_TSAN 1
#endif

#ifdef FIBER_ASAN
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old, size_t *size_old);
#endif
#ifdef FIBER_TSAN
void *__tsan_get_current_fiber(void);
void *__tsan_create_fiber(unsigned flags);
void __tsan_destroy_fiber(void *fiber);
void __tsan_switch_to_fiber(void *fiber, unsigned flags);
#endif

#define STACK_CACHE 64

struct core_fiber {
    ucontext_t ctx;
    char *stack; /* CORE_FIBER_STACK bytes above a guard page */
    core_fiber_cb fn;
    void *arg;
    bool done;
    core_fiber_t *next_ready;
    void *local; /* core_fiber_local_get() while it runs */
#ifdef FIBER_ASAN
    void *fake_stack;
#endif
#ifdef FIBER_TSAN
    void *tsan;
#endif
};

static _Thread_local struct {
    ucontext_t ctx; /* the thread's own stack, while a fiber runs */
    core_fiber_t *current;
    core_fiber_t *ready_head, *ready_tail;
    char *stacks[STACK_CACHE];
    size_t nstacks, count;
    void *local;        /* the value now: the running fiber's, or the thread's */
    void *thread_local_; /* the thread's own, while a fiber runs */
#ifdef FIBER_ASAN
    void *fake_stack;
    const void *bottom;
    size_t size;
#endif
#ifdef FIBER_TSAN
    void *tsan;
#endif
} tl;

/* Cached on first use by whichever loop gets there first: relaxed atomics,
 * since two loops may race to fill it (same value; ThreadSanitizer saw it). */
static size_t page_size(void)
{
    static _Atomic size_t page;
    size_t p = atomic_load_explicit(&page, memory_order_relaxed);
    if (p == 0) {
        p = (size_t)sysconf(_SC_PAGESIZE);
        atomic_store_explicit(&page, p, memory_order_relaxed);
    }
    return p;
}

static char *stack_get(void)
{
    if (tl.nstacks > 0)
        return tl.stacks[--tl.nstacks];
    size_t guard = page_size();
    char *base = mmap(NULL, CORE_FIBER_STACK + guard, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
    if (base == MAP_FAILED || mprotect(base, guard, PROT_NONE) != 0) {
        log_error("fiber: cannot map a stack");
        abort();
    }
    return base + guard;
}

static void stack_put(char *stack)
{
    if (tl.nstacks < STACK_CACHE) {
        tl.stacks[tl.nstacks++] = stack;
        return;
    }
    size_t guard = page_size();
    munmap(stack - guard, CORE_FIBER_STACK + guard);
}

/* From the running fiber back to the thread's own stack. */
static void to_thread(core_fiber_t *f)
{
#ifdef FIBER_ASAN
    __sanitizer_start_switch_fiber(f->done ? NULL : &f->fake_stack, tl.bottom, tl.size);
#endif
#ifdef FIBER_TSAN
    __tsan_switch_to_fiber(tl.tsan, 0);
#endif
    swapcontext(&f->ctx, &tl.ctx);
#ifdef FIBER_ASAN
    __sanitizer_finish_switch_fiber(f->fake_stack, &tl.bottom, &tl.size);
#endif
}

static void trampoline(void)
{
    core_fiber_t *f = tl.current;

#ifdef FIBER_ASAN
    __sanitizer_finish_switch_fiber(NULL, &tl.bottom, &tl.size);
#endif
    f->fn(f->arg);
    f->done = true;
    to_thread(f); /* never returns */
    abort();
}

/* From the thread's own stack into f, until it suspends or ends; an ended
 * fiber is freed. */
static void to_fiber(core_fiber_t *f)
{
    tl.current = f;
    tl.thread_local_ = tl.local;
    tl.local = f->local;
#ifdef FIBER_TSAN
    if (tl.tsan == NULL)
        tl.tsan = __tsan_get_current_fiber();
    __tsan_switch_to_fiber(f->tsan, 0);
#endif
#ifdef FIBER_ASAN
    __sanitizer_start_switch_fiber(&tl.fake_stack, f->stack, CORE_FIBER_STACK);
#endif
    swapcontext(&tl.ctx, &f->ctx);
#ifdef FIBER_ASAN
    __sanitizer_finish_switch_fiber(tl.fake_stack, NULL, NULL);
#endif
    tl.current = NULL;
    f->local = tl.local;
    tl.local = tl.thread_local_;
    if (f->done) {
#ifdef FIBER_TSAN
        __tsan_destroy_fiber(f->tsan);
#endif
        stack_put(f->stack);
        free(f);
        tl.count--;
    }
}

/* On the thread's own stack: f, then every fiber made ready meanwhile. */
static void run(core_fiber_t *f)
{
    to_fiber(f);
    while (tl.ready_head != NULL) {
        core_fiber_t *next = tl.ready_head;
        tl.ready_head = next->next_ready;
        if (tl.ready_head == NULL)
            tl.ready_tail = NULL;
        next->next_ready = NULL;
        to_fiber(next);
    }
}

static void push_ready(core_fiber_t *f)
{
    f->next_ready = NULL;
    if (tl.ready_tail != NULL)
        tl.ready_tail->next_ready = f;
    else
        tl.ready_head = f;
    tl.ready_tail = f;
}

void core_fiber_start(core_fiber_cb fn, void *arg)
{
    core_fiber_t *f = core_calloc(1, sizeof(*f));

    f->fn = fn;
    f->arg = arg;
    f->stack = stack_get();
    getcontext(&f->ctx);
    f->ctx.uc_stack.ss_sp = f->stack;
    f->ctx.uc_stack.ss_size = CORE_FIBER_STACK;
    f->ctx.uc_link = NULL;
    makecontext(&f->ctx, trampoline, 0);
#ifdef FIBER_TSAN
    f->tsan = __tsan_create_fiber(0);
#endif
    tl.count++;
    if (tl.current == NULL)
        run(f);
    else
        push_ready(f);
}

core_fiber_t *core_fiber_self(void)
{
    return tl.current;
}

void core_fiber_suspend(void)
{
    to_thread(tl.current);
}

void core_fiber_wake(core_fiber_t *f)
{
    if (tl.current == NULL)
        run(f);
    else
        push_ready(f);
}

void *core_fiber_local_get(void)
{
    return tl.local;
}

void core_fiber_local_set(void *value)
{
    tl.local = value;
}

size_t core_fiber_count(void)
{
    return tl.count;
}

void core_fiber_thread_cleanup(void)
{
    size_t guard = page_size();

    while (tl.nstacks > 0) {
        char *stack = tl.stacks[--tl.nstacks];
        munmap(stack - guard, CORE_FIBER_STACK + guard);
    }
}
