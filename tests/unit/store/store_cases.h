/*
 * Store behaviour both backends must share, written once and run by
 * test_sqlite_idempotency.c and test_postgres_idempotency.c against their
 * own fixture: Idempotency-Key reservations (new, running, done, mismatch,
 * expiry, lease takeover, tokens, users apart, purge) and the outbox at rest
 * (sent and given-up bodies blanked, purge by age and batch), and the trash
 * (delete moves, restore brings back once, users apart, list order and
 * pages, purge by age and batch). `sql` reads one
 * integer from the backend's database (-1 on error).
 */
#ifndef TEST_STORE_CASES_H
#define TEST_STORE_CASES_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/clock.h"
#include "core/error.h"
#include "store/store.h"

#define CASES_T0 INT64_C(1800000000000)
#define CASES_FP_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define CASES_FP_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
#define CASES_LEASE 1000
#define CASES_TTL 10000

typedef int64_t (*cases_sql_cb)(void *ctx, const char *sql);

static inline void cases_user(store_t *s, char digit, store_user_t *out)
{
    char email[32];

    snprintf(email, sizeof(email), "idem%c@example.com", digit);
    memset(out, 0, sizeof(*out));
    snprintf(out->id, sizeof(out->id), "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c9%c", digit);
    out->name = "Idem";
    out->email = email;
    out->password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
    out->created_at = out->updated_at = CASES_T0;
    assert_int_equal(store_user_create(s, out, NULL), CORE_OK);
    out->email = NULL; /* email was on our stack */
}

static inline enum store_idem_state cases_begin(store_t *s, core_pool_t *pool, const char *user,
                                                const char *key, const char *fp, int64_t token, int64_t now,
                                                store_idem_answer_t *out)
{
    store_idem_key_t k = {.user_id = user, .key = key, .fingerprint = fp, .token = token};
    assert_int_equal(store_idempotency_begin(s, pool, &k, now, CASES_LEASE, CASES_TTL, out), CORE_OK);
    return out->state;
}

static inline void cases_idempotency_states(store_t *s, core_pool_t *pool)
{
    store_user_t u, v;
    store_idem_answer_t a;
    const int64_t t = CASES_T0;

    cases_user(s, '1', &u);
    cases_user(s, '2', &v);
    store_idem_key_t k1 = {.user_id = u.id, .key = "key-1", .fingerprint = CASES_FP_A, .token = 1};

    assert_int_equal(cases_begin(s, pool, u.id, "key-1", CASES_FP_A, 1, t, &a), STORE_IDEM_RESERVED);
    /* while it runs: the same request waits, another one is refused */
    assert_int_equal(cases_begin(s, pool, u.id, "key-1", CASES_FP_A, 2, t + 1, &a), STORE_IDEM_RUNNING);
    assert_int_equal(cases_begin(s, pool, u.id, "key-1", CASES_FP_B, 3, t + 1, &a), STORE_IDEM_MISMATCH);
    /* another user's key of the same name is theirs */
    assert_int_equal(cases_begin(s, pool, v.id, "key-1", CASES_FP_B, 9, t + 1, &a), STORE_IDEM_RESERVED);

    assert_int_equal(store_idempotency_finish(s, &k1, 201, "{\"a\":\"\xc3\xa9\"}", 10), CORE_OK);
    assert_int_equal(store_idempotency_finish(s, &k1, 500, "{}", 2), CORE_E_NOT_FOUND); /* answered already */
    assert_int_equal(store_idempotency_release(s, &k1), CORE_E_NOT_FOUND);
    assert_int_equal(cases_begin(s, pool, u.id, "key-1", CASES_FP_A, 4, t + 2, &a), STORE_IDEM_DONE);
    assert_int_equal(a.status, 201);
    assert_int_equal(a.body_len, 10);
    assert_memory_equal(a.body, "{\"a\":\"\xc3\xa9\"}", 10);
    assert_int_equal(cases_begin(s, pool, u.id, "key-1", CASES_FP_B, 5, t + 2, &a), STORE_IDEM_MISMATCH);
    assert_int_equal(cases_begin(s, pool, u.id, "key-1", CASES_FP_A, 6, t + CASES_TTL - 1, &a),
                     STORE_IDEM_DONE);

    /* expired: new again, whatever it was used for */
    assert_int_equal(cases_begin(s, pool, u.id, "key-1", CASES_FP_B, 7, t + CASES_TTL, &a),
                     STORE_IDEM_RESERVED);
    store_idem_key_t k7 = {.user_id = u.id, .key = "key-1", .fingerprint = CASES_FP_B, .token = 7};
    /* released (a 5xx): the next try runs */
    assert_int_equal(store_idempotency_release(s, &k7), CORE_OK);
    assert_int_equal(store_idempotency_release(s, &k7), CORE_E_NOT_FOUND);
    const int64_t t2 = t + CASES_TTL + 10;
    assert_int_equal(cases_begin(s, pool, u.id, "key-1", CASES_FP_B, 8, t2, &a), STORE_IDEM_RESERVED);

    /* the holder died: running until its lease ends, then taken over */
    assert_int_equal(cases_begin(s, pool, u.id, "key-1", CASES_FP_B, 10, t2 + CASES_LEASE - 1, &a),
                     STORE_IDEM_RUNNING);
    assert_int_equal(cases_begin(s, pool, u.id, "key-1", CASES_FP_A, 11, t2 + CASES_LEASE, &a),
                     STORE_IDEM_MISMATCH);
    assert_int_equal(cases_begin(s, pool, u.id, "key-1", CASES_FP_B, 12, t2 + CASES_LEASE, &a),
                     STORE_IDEM_RESERVED);
    store_idem_key_t k8 = {.user_id = u.id, .key = "key-1", .fingerprint = CASES_FP_B, .token = 8};
    store_idem_key_t k12 = {.user_id = u.id, .key = "key-1", .fingerprint = CASES_FP_B, .token = 12};
    /* the old holder, back late, touches nothing */
    assert_int_equal(store_idempotency_finish(s, &k8, 200, "{\"late\":1}", 10), CORE_E_NOT_FOUND);
    assert_int_equal(store_idempotency_release(s, &k8), CORE_E_NOT_FOUND);
    assert_int_equal(store_idempotency_finish(s, &k12, 200, "{\"b\":2}", 7), CORE_OK);
    assert_int_equal(cases_begin(s, pool, u.id, "key-1", CASES_FP_B, 13, t2 + CASES_LEASE + 1, &a),
                     STORE_IDEM_DONE);
    assert_int_equal(a.status, 200);
    assert_memory_equal(a.body, "{\"b\":2}", 7);

    /* a user that does not exist (deleted while its token lives) */
    store_idem_key_t ghost = {.user_id = "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c90",
                              .key = "key-1",
                              .fingerprint = CASES_FP_A,
                              .token = 14};
    assert_int_equal(store_idempotency_begin(s, pool, &ghost, t, CASES_LEASE, CASES_TTL, &a),
                     CORE_E_NOT_AUTHORIZED);
}

static inline void cases_idempotency_purge(store_t *s, core_pool_t *pool, cases_sql_cb sql, void *ctx)
{
    store_user_t u;
    store_idem_answer_t a;
    char key[16];
    int deleted = -1;

    cases_user(s, '3', &u);
    for (int i = 0; i < 5; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        /* expires at T0 + TTL + 100 i */
        assert_int_equal(cases_begin(s, pool, u.id, key, CASES_FP_A, i + 1, CASES_T0 + 100 * i, &a),
                         STORE_IDEM_RESERVED);
    }
    assert_int_equal(store_idempotency_purge(s, CASES_T0 + CASES_TTL - 1, 10, &deleted), CORE_OK);
    assert_int_equal(deleted, 0);
    assert_int_equal(store_idempotency_purge(s, CASES_T0 + CASES_TTL + 100, 10, &deleted), CORE_OK);
    assert_int_equal(deleted, 2);
    assert_int_equal(store_idempotency_purge(s, CASES_T0 + CASES_TTL + 1000, 2, &deleted), CORE_OK);
    assert_int_equal(deleted, 2); /* a full batch: the caller comes back */
    assert_int_equal(store_idempotency_purge(s, CASES_T0 + CASES_TTL + 1000, 2, &deleted), CORE_OK);
    assert_int_equal(deleted, 1);
    assert_int_equal(sql(ctx, "SELECT count(*) FROM idempotency_keys"), 0);
}

static inline void cases_outbox_at_rest(store_t *s, core_pool_t *pool, cases_sql_cb sql, void *ctx)
{
    mail_msg_t out[4];
    size_t n = 0;
    int deleted = -1;
    int64_t sent_id = 0, gave_up_id = 0, retry_id = 0;

    for (char d = '4'; d <= '6'; d++) {
        char email[32];
        store_user_t u;
        snprintf(email, sizeof(email), "mail%c@example.com", d);
        u = (store_user_t){.name = "M",
                           .email = email,
                           .password_hash = "x",
                           .created_at = CASES_T0,
                           .updated_at = CASES_T0};
        snprintf(u.id, sizeof(u.id), "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c9%c", d);
        mail_msg_t m = {.recipient = email,
                        .subject = "Account Verification OTP",
                        .body = "Your OTP is 604213.",
                        .created_at = CASES_T0 + (d - '4')};
        assert_int_equal(store_user_create(s, &u, &m), CORE_OK);
    }
    assert_int_equal(store_outbox_claim(s, pool, CASES_T0 + 10, 60000, 4, out, &n), CORE_OK);
    assert_int_equal(n, 3);
    sent_id = out[0].id, gave_up_id = out[1].id, retry_id = out[2].id;
    assert_int_equal(sql(ctx, "SELECT count(*) FROM outbox WHERE body LIKE '%604213%'"), 3);

    assert_int_equal(store_outbox_sent(s, sent_id, CASES_T0 + 100), CORE_OK);
    assert_int_equal(store_outbox_retry(s, gave_up_id, CASES_T0 + 200, "550 no such user", true), CORE_OK);
    assert_int_equal(store_outbox_retry(s, retry_id, CASES_T0 + 30000, "421 later", false), CORE_OK);
    /* done with: no body; still to send: its body */
    assert_int_equal(sql(ctx, "SELECT count(*) FROM outbox WHERE body LIKE '%604213%'"), 1);
    assert_int_equal(sql(ctx, "SELECT count(*) FROM outbox WHERE body = ''"), 2);

    /* the given-up mail counts from when it was queued (T0 + 1), the sent one from sent_at */
    assert_int_equal(store_outbox_purge(s, CASES_T0, 10, &deleted), CORE_OK);
    assert_int_equal(deleted, 0);
    assert_int_equal(store_outbox_purge(s, CASES_T0 + 99, 10, &deleted), CORE_OK);
    assert_int_equal(deleted, 1);
    assert_int_equal(store_outbox_purge(s, CASES_T0 + 100, 1, &deleted), CORE_OK);
    assert_int_equal(deleted, 1);
    assert_int_equal(store_outbox_purge(s, CASES_T0 + 1000000, 10, &deleted), CORE_OK);
    assert_int_equal(deleted, 0); /* pending mail is never purged */
    assert_int_equal(sql(ctx, "SELECT count(*) FROM outbox"), 1);
    int64_t pending = -1;
    assert_int_equal(store_outbox_pending(s, &pending), CORE_OK);
    assert_int_equal(pending, 1);
}

static inline void cases_trash(store_t *s, core_pool_t *pool, cases_sql_cb sql, void *ctx)
{
    const int64_t day = 86400000, now = core_clock_now_ms();
    store_user_t u, v;
    store_task_t t[3], got;
    store_task_page_t page;
    int deleted = -1;

    cases_user(s, '5', &u);
    cases_user(s, '6', &v);
    for (int i = 0; i < 3; i++) {
        memset(&t[i], 0, sizeof(t[i]));
        memcpy(t[i].user_id, u.id, sizeof(t[i].user_id));
        t[i].title = "trash me";
        t[i].description = "";
        t[i].priority = STORE_TASK_HIGH;
        t[i].due_date = t[i].completed_at = STORE_TIME_NONE;
        assert_int_equal(store_task_create(s, &t[i]), CORE_OK);
    }
    for (int i = 0; i < 3; i++)
        assert_int_equal(store_task_delete(s, u.id, t[i].id), CORE_OK);
    assert_int_equal(sql(ctx, "SELECT count(*) FROM tasks"), 0);
    assert_int_equal(sql(ctx, "SELECT count(*) FROM task_trash"), 3);
    assert_int_equal(sql(ctx, "SELECT coalesce(sum(n), 0) FROM task_counts"), 0);

    /* another user's restore and list see nothing */
    assert_int_equal(store_task_restore(s, pool, v.id, t[0].id, 0, &got), CORE_E_NOT_FOUND);
    assert_int_equal(store_task_trash_list(s, pool, v.id, 0, 10, 0, &page), CORE_OK);
    assert_int_equal(page.total, 0);
    assert_int_equal(page.len, 0);

    /* last deleted first, paged, each with its deletion time */
    assert_int_equal(store_task_trash_list(s, pool, u.id, 0, 2, 0, &page), CORE_OK);
    assert_int_equal(page.total, 3);
    assert_int_equal(page.len, 2);
    assert_true(page.more);
    assert_string_equal(page.tasks[0].id, t[2].id);
    assert_string_equal(page.tasks[1].id, t[1].id);
    assert_true(page.tasks[0].deleted_at >= now && page.tasks[0].deleted_at < now + day);
    assert_int_equal(store_task_trash_list(s, pool, u.id, 0, 2, 2, &page), CORE_OK);
    assert_int_equal(page.len, 1);
    assert_false(page.more);
    /* deleted at or before `since`: past the retention */
    assert_int_equal(store_task_trash_list(s, pool, u.id, now + day, 10, 0, &page), CORE_OK);
    assert_int_equal(page.total, 0);
    assert_int_equal(store_task_restore(s, pool, u.id, t[0].id, now + day, &got), CORE_E_NOT_FOUND);

    /* restore: once from the trash, then the live task again */
    assert_int_equal(store_task_restore(s, pool, u.id, t[0].id, 0, &got), CORE_OK);
    assert_string_equal(got.id, t[0].id);
    assert_int_equal(got.priority, STORE_TASK_HIGH);
    assert_int_equal(got.deleted_at, 0);
    assert_int_equal(sql(ctx, "SELECT coalesce(sum(n), 0) FROM task_counts"), 1);
    assert_int_equal(store_task_restore(s, pool, u.id, t[0].id, 0, &got), CORE_OK);
    assert_int_equal(sql(ctx, "SELECT count(*) FROM tasks"), 1);
    assert_int_equal(sql(ctx, "SELECT count(*) FROM task_trash"), 2);

    /* purge: by age, in batches */
    assert_int_equal(store_task_trash_purge(s, now - day, 10, &deleted), CORE_OK);
    assert_int_equal(deleted, 0);
    assert_int_equal(store_task_trash_purge(s, now + day, 1, &deleted), CORE_OK);
    assert_int_equal(deleted, 1);
    assert_int_equal(store_task_trash_purge(s, now + day, 10, &deleted), CORE_OK);
    assert_int_equal(deleted, 1);
    assert_int_equal(sql(ctx, "SELECT count(*) FROM task_trash"), 0);
    assert_int_equal(store_task_restore(s, pool, u.id, t[1].id, 0, &got), CORE_E_NOT_FOUND);
    assert_int_equal(sql(ctx, "SELECT count(*) FROM tasks"), 1);
}

#endif
