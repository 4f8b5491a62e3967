/*
 * Tests of the durable revocations of the SQLite backend
 * (sqlite/revocation.c): revoking is idempotent and never shortens a
 * revocation, loading returns exactly what can still refuse a token, and
 * purging deletes exactly what cannot.
 */
#include "store/test_sqlite_fixture.h"

#include "auth/jwt.h"

#define MAX_SEEN 8

typedef struct seen {
    int n;
    char key[MAX_SEEN][64];
    int64_t value[MAX_SEEN];
} seen_t;

static void record(seen_t *s, const char *key, int64_t value)
{
    assert_true(s->n < MAX_SEEN);
    snprintf(s->key[s->n], sizeof(s->key[s->n]), "%s", key);
    s->value[s->n++] = value;
}

struct both {
    seen_t tokens;
    seen_t users;
};

static void on_token(void *ctx, const char *jti, int64_t expires_at)
{
    record(&((struct both *)ctx)->tokens, jti, expires_at);
}

static void on_user(void *ctx, const char *user_id, int64_t before_ms)
{
    record(&((struct both *)ctx)->users, user_id, before_ms);
}

/* The value seen for key, or -1. */
static int64_t find(const seen_t *s, const char *key)
{
    for (int i = 0; i < s->n; i++)
        if (strcmp(s->key[i], key) == 0)
            return s->value[i];
    return -1;
}

static struct both load(fixture_t *f, int64_t now)
{
    struct both b;
    memset(&b, 0, sizeof(b));
    assert_int_equal(store_revocations_load(f->store, now, on_token, on_user, &b), CORE_OK);
    return b;
}

static void test_token_revoke_and_load(void **state)
{
    fixture_t *f = *state;
    struct both b;

    assert_int_equal(store_token_revoke(f->store, "jti-old", 1000), CORE_OK);
    assert_int_equal(store_token_revoke(f->store, "jti-new", 5000), CORE_OK);
    /* idempotent, and a later expiry wins over an earlier one */
    assert_int_equal(store_token_revoke(f->store, "jti-new", 5000), CORE_OK);
    assert_int_equal(store_token_revoke(f->store, "jti-new", 7000), CORE_OK);
    assert_int_equal(store_token_revoke(f->store, "jti-new", 6000), CORE_OK);

    b = load(f, 500);
    assert_int_equal(b.tokens.n, 2);
    assert_int_equal(find(&b.tokens, "jti-old"), 1000);
    assert_int_equal(find(&b.tokens, "jti-new"), 7000);
    assert_int_equal(b.users.n, 0);

    b = load(f, 1000); /* expired at 1000: no longer revocation-worthy */
    assert_int_equal(b.tokens.n, 1);
    assert_int_equal(find(&b.tokens, "jti-new"), 7000);
}

static void test_user_revocations_window(void **state)
{
    fixture_t *f = *state;
    const int64_t now = 100 * AUTH_JWT_TTL_MS;
    struct both b;

    assert_int_equal(store_user_sessions_revoke(f->store, "user-recent", now - 1000), CORE_OK);
    assert_int_equal(store_user_sessions_revoke(f->store, "user-ancient", now - AUTH_JWT_TTL_MS), CORE_OK);
    /* never moves backwards */
    assert_int_equal(store_user_sessions_revoke(f->store, "user-recent", now - 5000), CORE_OK);

    b = load(f, now);
    assert_int_equal(b.tokens.n, 0);
    assert_int_equal(b.users.n, 1);
    assert_int_equal(find(&b.users, "user-recent"), now - 1000);

    assert_int_equal(store_user_sessions_revoke(f->store, "user-recent", now), CORE_OK);
    b = load(f, now);
    assert_int_equal(find(&b.users, "user-recent"), now);
}

static void test_null_callbacks(void **state)
{
    fixture_t *f = *state;
    struct both b;

    memset(&b, 0, sizeof(b));
    assert_int_equal(store_token_revoke(f->store, "jti", 5000), CORE_OK);
    assert_int_equal(store_user_sessions_revoke(f->store, "user", 4000), CORE_OK);
    assert_int_equal(store_revocations_load(f->store, 0, NULL, on_user, &b), CORE_OK);
    assert_int_equal(b.tokens.n, 0);
    assert_int_equal(b.users.n, 1);
    assert_int_equal(store_revocations_load(f->store, 0, on_token, NULL, &b), CORE_OK);
    assert_int_equal(b.tokens.n, 1);
}

static void test_purge(void **state)
{
    fixture_t *f = *state;
    const int64_t now = 100 * AUTH_JWT_TTL_MS;
    struct both b;

    assert_int_equal(store_token_revoke(f->store, "expired", now - 1), CORE_OK);
    assert_int_equal(store_token_revoke(f->store, "expiring", now), CORE_OK);
    assert_int_equal(store_token_revoke(f->store, "live", now + 1), CORE_OK);
    assert_int_equal(store_user_sessions_revoke(f->store, "old", now - AUTH_JWT_TTL_MS), CORE_OK);
    assert_int_equal(store_user_sessions_revoke(f->store, "young", now - AUTH_JWT_TTL_MS + 1), CORE_OK);

    assert_int_equal(store_revocations_purge(f->store, now), CORE_OK);
    /* loading at 0 would return every remaining row: only the live ones are left */
    b = load(f, 0);
    assert_int_equal(b.tokens.n, 1);
    assert_int_equal(find(&b.tokens, "live"), now + 1);
    b = load(f, now - 2 * AUTH_JWT_TTL_MS);
    assert_int_equal(b.users.n, 1);
    assert_int_equal(find(&b.users, "young"), now - AUTH_JWT_TTL_MS + 1);
    /* purging again is harmless */
    assert_int_equal(store_revocations_purge(f->store, now), CORE_OK);
    assert_int_equal(load(f, 0).tokens.n, 1);
}

static void test_check(void **state)
{
    fixture_t *f = *state;
    bool revoked = false;
    const char *jti = "0192f3c5-7a00-7cc3-9d2b-1b2c3d4e5f60", *user = "0192f3c5-7a00-7cc3-9d2b-1b2c3d4e5f61";

    assert_int_equal(store_revocation_check(f->store, jti, user, 1000, &revoked), CORE_OK);
    assert_false(revoked);
    assert_int_equal(store_token_revoke(f->store, jti, 5000), CORE_OK);
    assert_int_equal(store_revocation_check(f->store, jti, user, 1000, &revoked), CORE_OK);
    assert_true(revoked);
    assert_int_equal(store_revocation_check(f->store, "0192f3c5-7a00-7cc3-9d2b-1b2c3d4e5f62", user, 1000, &revoked),
                     CORE_OK);
    assert_false(revoked);
    /* every token of the user issued at or before the mark */
    assert_int_equal(store_user_sessions_revoke(f->store, user, 2000), CORE_OK);
    assert_int_equal(store_revocation_check(f->store, "0192f3c5-7a00-7cc3-9d2b-1b2c3d4e5f62", user, 2000, &revoked),
                     CORE_OK);
    assert_true(revoked);
    assert_int_equal(store_revocation_check(f->store, "0192f3c5-7a00-7cc3-9d2b-1b2c3d4e5f62", user, 2001, &revoked),
                     CORE_OK);
    assert_false(revoked);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_token_revoke_and_load, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_user_revocations_window, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_null_callbacks, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_purge, fixture_setup, fixture_teardown),
        cmocka_unit_test_setup_teardown(test_check, fixture_setup, fixture_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
