/*
 * Shared set-up of the SQLite store tests: a fresh database file in a
 * mkdtemp(3) directory, opened and migrated, removed again on teardown.
 * Tests include sqlite.h to reach the connection (pragmas, busy timeout).
 */
#ifndef TEST_SQLITE_FIXTURE_H
#define TEST_SQLITE_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "core/error.h"
#include "core/log.h"
#include "core/pool.h"
#include "store/sqlite/sqlite.h"
#include "store/store.h"

typedef struct fixture {
    char dir[64];
    char path[96];
    char url[128];
    store_t *store;
    core_pool_t pool;
} fixture_t;

static inline void fixture_unlink(const fixture_t *f)
{
    static const char *const suffixes[] = {"", "-wal", "-shm", "-journal"};
    char p[128];

    for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
        snprintf(p, sizeof(p), "%s%s", f->path, suffixes[i]);
        unlink(p);
    }
}

/* cmocka setup: a migrated store on a new file. */
static inline int fixture_setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    int applied = -1;

    core_log_level = CORE_LOG_ERROR; /* quiet the busy warnings tests provoke */
    snprintf(f->dir, sizeof(f->dir), "/tmp/lsf-store-XXXXXX");
    if (mkdtemp(f->dir) == NULL)
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/db/lsf.db", f->dir);
    snprintf(f->url, sizeof(f->url), "sqlite:%s", f->path);
    if (store_open(f->url, &f->store) != CORE_OK || store_migrate(f->store, &applied) != CORE_OK)
        return -1;
    core_pool_init(&f->pool);
    *state = f;
    return 0;
}

static inline int fixture_teardown(void **state)
{
    fixture_t *f = *state;
    char db_dir[80];

    store_close(f->store);
    core_pool_cleanup(&f->pool);
    fixture_unlink(f);
    snprintf(db_dir, sizeof(db_dir), "%s/db", f->dir);
    rmdir(db_dir);
    rmdir(f->dir);
    free(f);
    return 0;
}

/* A user row with the given id suffix (0..9) and email, created at `at`. */
static inline store_user_t fixture_user(char id_digit, const char *email, int64_t at)
{
    store_user_t u = {0};

    snprintf(u.id, sizeof(u.id), "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c9%c", id_digit);
    u.name = "Alice";
    u.email = email;
    u.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
    u.created_at = u.updated_at = at;
    return u;
}

static inline mail_msg_t fixture_mail(const char *recipient, const char *subject, int64_t at)
{
    return (mail_msg_t){
        .recipient = recipient, .subject = subject, .body = "Hello,\r\nbody\r\n", .created_at = at};
}

#endif
