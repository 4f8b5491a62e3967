/*
 * For unit tests that allocate from an arena: a fresh core_pool_t `pool`
 * for each test, made by pool_setup and freed by pool_teardown (cmocka's
 * per-test setup and teardown). Include after <cmocka.h>.
 */
#ifndef TESTS_POOL_FIXTURE_H
#define TESTS_POOL_FIXTURE_H

#include "core/pool.h"

static core_pool_t pool;

static int pool_setup(void **state)
{
    (void)state;
    core_pool_init(&pool);
    return 0;
}

static int pool_teardown(void **state)
{
    (void)state;
    core_pool_cleanup(&pool);
    return 0;
}

#endif
