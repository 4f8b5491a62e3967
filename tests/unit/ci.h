/*
 * For unit tests that need a server binary (PostgreSQL, redis-server): they
 * skip, saying so, when it is missing, except in CI (CI=true or CI=1), where
 * a missing binary must fail the run rather than hide every test behind a
 * skip (tests/support/require.mjs does the same for the node suites).
 */
#ifndef TESTS_CI_H
#define TESTS_CI_H

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static inline bool unit_in_ci(void)
{
    const char *ci = getenv("CI");
    return ci != NULL && (strcasecmp(ci, "true") == 0 || strcmp(ci, "1") == 0);
}

#endif
