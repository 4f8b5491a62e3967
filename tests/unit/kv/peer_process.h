/*
 * For the kv unit tests: another lsf-server process registered beside a
 * database file (src/kv/peers.h), played by a forked child. Include after
 * <cmocka.h>.
 */
#ifndef TESTS_KV_PEER_PROCESS_H
#define TESTS_KV_PEER_PROCESS_H

#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>

#include "core/error.h"
#include "kv/peers.h"

typedef struct child {
    pid_t pid;
    int release; /* write end: closing it lets the child exit */
} child_t;

/* Fork a process that registers for db, reports it on a pipe, and stays
 * registered until peer_stop (or exits at once when linger is false). */
static child_t peer_start(const char *db, bool linger)
{
    int ready[2], hold[2];
    char c;
    child_t ch;

    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(hold), 0);
    ch.pid = fork();
    assert_true(ch.pid >= 0);
    if (ch.pid == 0) {
        kv__peers_t p;
        close(ready[0]);
        close(hold[1]);
        int ok = kv__peers_open(&p, db) == CORE_OK;
        if (write(ready[1], ok ? "y" : "n", 1) != 1)
            _exit(3);
        if (linger && read(hold[0], &c, 1) < 0)
            _exit(4);
        kv__peers_close(&p);
        _exit(0);
    }
    close(ready[1]);
    close(hold[0]);
    assert_int_equal(read(ready[0], &c, 1), 1);
    assert_int_equal(c, 'y');
    close(ready[0]);
    ch.release = hold[1];
    return ch;
}

static void peer_stop(child_t ch)
{
    int status;

    close(ch.release);
    assert_int_equal(waitpid(ch.pid, &status, 0), ch.pid);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

#endif
