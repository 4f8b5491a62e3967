/*
 * Unit tests for src/kv/peers.c. Record locks belong to processes, so the
 * other lsf-server is a forked child that registers for the same database
 * path and then waits on a pipe: alone, a peer there at registration, a peer
 * that registers later, one that came and went, and a restart after the
 * peer is gone.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/error.h"
#include "core/log.h"
#include "kv/peers.h"
#include "kv/peer_process.h"

static char dir[64], db[96];

static int make_dir(void **state)
{
    (void)state;
    snprintf(dir, sizeof(dir), "/tmp/lsf-peers-XXXXXX");
    if (mkdtemp(dir) == NULL)
        return -1;
    snprintf(db, sizeof(db), "%s/lsf.db", dir);
    return 0;
}

static int drop_dir(void **state)
{
    char path[128];
    (void)state;
    snprintf(path, sizeof(path), "%s.instances", db);
    unlink(path);
    return rmdir(dir);
}

static void test_alone_stays_alone(void **state)
{
    kv__peers_t p;
    bool first;

    (void)state;
    assert_int_equal(kv__peers_open(&p, db), CORE_OK);
    for (int i = 0; i < 3; i++) {
        assert_false(kv__peers_seen(&p, &first));
        assert_false(first);
    }
    kv__peers_close(&p);
    /* a restart after this process has gone is alone too */
    assert_int_equal(kv__peers_open(&p, db), CORE_OK);
    assert_false(kv__peers_seen(&p, &first));
    kv__peers_close(&p);
}

static void test_peer_there_at_registration(void **state)
{
    kv__peers_t p;
    bool first;

    (void)state;
    child_t ch = peer_start(db, true);
    assert_int_equal(kv__peers_open(&p, db), CORE_OK);
    assert_true(kv__peers_seen(&p, &first));
    assert_true(first);
    peer_stop(ch);
    assert_true(kv__peers_seen(&p, &first)); /* sticky: what it changed may still be cached elsewhere */
    assert_false(first);
    kv__peers_close(&p);
}

static void test_peer_registering_later(void **state)
{
    kv__peers_t p;
    bool first;

    (void)state;
    assert_int_equal(kv__peers_open(&p, db), CORE_OK);
    assert_false(kv__peers_seen(&p, &first));
    child_t ch = peer_start(db, true);
    assert_true(kv__peers_seen(&p, &first));
    assert_true(first);
    assert_true(kv__peers_seen(&p, &first));
    assert_false(first); /* "first" once: one warning */
    peer_stop(ch);
    kv__peers_close(&p);
}

static void test_peer_that_came_and_went(void **state)
{
    kv__peers_t p;
    bool first;

    (void)state;
    assert_int_equal(kv__peers_open(&p, db), CORE_OK);
    peer_stop(peer_start(db, false)); /* registered, maybe wrote, exited: before any look of ours */
    assert_true(kv__peers_seen(&p, &first));
    kv__peers_close(&p);
}

static void test_unusable_path(void **state)
{
    kv__peers_t p;
    bool first;

    (void)state;
    assert_int_equal(kv__peers_open(&p, "/nonexistent-dir/lsf.db"), CORE_E_INTERNAL);
    assert_false(kv__peers_seen(&p, &first)); /* closed: never a peer, never a crash */
    kv__peers_close(&p);
}

int main(void)
{
    core_log_level = CORE_LOG_ERROR + 1; /* the unusable path's error line is expected */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alone_stays_alone, make_dir, drop_dir),
        cmocka_unit_test_setup_teardown(test_peer_there_at_registration, make_dir, drop_dir),
        cmocka_unit_test_setup_teardown(test_peer_registering_later, make_dir, drop_dir),
        cmocka_unit_test_setup_teardown(test_peer_that_came_and_went, make_dir, drop_dir),
        cmocka_unit_test(test_unusable_path),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
