/*
 * Fibers: functions that run on a stack of their own and can suspend where
 * they are, so that code written as plain calls (a handler calling
 * store_task_list()) can wait for the network without blocking the thread
 * that runs it. An event loop starts a request on a fiber; when a store or
 * kv call must wait for PostgreSQL or Redis, it sends its command, suspends
 * the fiber, and the loop goes on serving other connections; the socket
 * callback that reads the answer wakes the fiber, which returns from the
 * call with the result. Fibers are cooperative and belong to the thread
 * that started them: none runs in parallel with another of its thread, and
 * every switch goes through the thread's own stack, so a fiber never
 * resumes another directly.
 *
 * Rules for code that may run on a fiber: never hold a mutex across a call
 * that may suspend (another fiber of the same thread would deadlock on it),
 * and keep thread-local state (the log context) per request, restored after
 * a suspension (the caller of core_fiber_suspend does).
 *
 * Stacks are CORE_FIBER_STACK bytes of address space with a guard page
 * below, mapped on demand (only touched pages use memory) and cached per
 * thread. Under AddressSanitizer and ThreadSanitizer every switch is
 * announced to the sanitizer.
 */
#ifndef CORE_FIBER_H
#define CORE_FIBER_H

#include <stdbool.h>
#include <stddef.h>

#define CORE_FIBER_STACK ((size_t)1 << 20)

typedef struct core_fiber core_fiber_t;
typedef void (*core_fiber_cb)(void *arg);

/* Run fn(arg) on a new fiber of this thread. On the thread's own stack it
 * runs now, until it ends or suspends (and so do the fibers it woke);
 * inside a fiber it is queued and runs as soon as that fiber suspends or
 * ends. Aborts when no stack can be mapped (out of memory). */
void core_fiber_start(core_fiber_cb fn, void *arg);

/* The fiber running now, or NULL on the thread's own stack. */
core_fiber_t *core_fiber_self(void);

/* Suspend the running fiber until someone calls core_fiber_wake() on it.
 * Inside a fiber only. */
void core_fiber_suspend(void);

/* Make f (suspended, of this thread) run again: at once when called on the
 * thread's own stack (a socket or timer callback), else as soon as the
 * running fiber suspends or ends. Waking a fiber twice before it runs is a
 * bug. */
void core_fiber_wake(core_fiber_t *f);

/* One pointer that follows the code that set it: each fiber has its own,
 * and so has the thread's own stack (core/log.c keeps the request's log
 * context there, so a suspended request's context never leaks into the
 * next one the loop runs). */
void *core_fiber_local_get(void);
void core_fiber_local_set(void *value);

/* Fibers of this thread that have not ended (started, running or
 * suspended). */
size_t core_fiber_count(void);

/* Unmap the stacks this thread keeps for reuse. Call when the thread's
 * fibers have all ended (the loop is done). */
void core_fiber_thread_cleanup(void);

#endif
