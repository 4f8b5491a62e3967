/*
 * Unit tests for src/mail/outbox.c against a fake store_t defined here (an
 * ops table over an in-memory queue, guarded for the sender thread): at
 * start the sender delivers what is already due; mail_outbox_wake makes it
 * deliver new mail well before the next poll; stop delivers what is due,
 * joins and closes the store; a failing SMTP delivery (a closed loopback
 * port) records a retry 30 s doubling per attempt, capped at 1 h, and gives
 * up at MAIL_OUTBOX_MAX_ATTEMPTS; a message the renderer refuses is given up
 * at once; the first pass purges mail older than OUTBOX_RETENTION_MS (rows
 * and .eml files), and the next passes of the hour do not.
 */
#include <curl/curl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/clock.h"
#include "core/error.h"
#include "mail/outbox.h"

#define SLOTS 8

enum slot_state { EMPTY = 0, QUEUED, CLAIMED, SENT, RETRY };

typedef struct {
    mail_msg_t msg;
    enum slot_state state;
    int64_t next_attempt_at;
    int64_t retried_at; /* wall clock when outbox_retry was called */
    char error[256];
    bool give_up;
} slot_t;

typedef struct {
    store_t base;
    pthread_mutex_t lock;
    pthread_cond_t changed;
    slot_t slots[SLOTS];
    int claims;
    int sent_calls;
    int retry_calls;
    int purge_calls;
    int64_t purge_before;
    bool closed;
} fake_store_t;

static fake_store_t *fake_of(store_t *s)
{
    return (fake_store_t *)s;
}

static void fake_close(store_t *s)
{
    fake_store_t *f = fake_of(s);
    pthread_mutex_lock(&f->lock);
    f->closed = true;
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
}

static int fake_claim(store_t *s, core_pool_t *pool, int64_t now, int64_t lease_ms, size_t max,
                      mail_msg_t *out, size_t *count)
{
    fake_store_t *f = fake_of(s);
    (void)now;
    assert_int_equal(lease_ms, MAIL_OUTBOX_LEASE_MS);
    pthread_mutex_lock(&f->lock);
    *count = 0;
    for (int i = 0; i < SLOTS && *count < max; i++) {
        slot_t *sl = &f->slots[i];
        if (sl->state != QUEUED)
            continue;
        sl->state = CLAIMED;
        out[*count] = sl->msg;
        out[*count].recipient = core_pool_strdup(pool, sl->msg.recipient);
        out[*count].subject = core_pool_strdup(pool, sl->msg.subject);
        out[*count].body = core_pool_strdup(pool, sl->msg.body);
        (*count)++;
    }
    f->claims++;
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
    return CORE_OK;
}

static slot_t *slot_by_id(fake_store_t *f, int64_t id)
{
    for (int i = 0; i < SLOTS; i++)
        if (f->slots[i].state != EMPTY && f->slots[i].msg.id == id)
            return &f->slots[i];
    fail_msg("no message %lld", (long long)id);
    return NULL;
}

static int fake_sent(store_t *s, int64_t id, int64_t now)
{
    fake_store_t *f = fake_of(s);
    (void)now;
    pthread_mutex_lock(&f->lock);
    slot_t *sl = slot_by_id(f, id);
    assert_int_equal(sl->state, CLAIMED);
    sl->state = SENT;
    f->sent_calls++;
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
    return CORE_OK;
}

static int fake_retry(store_t *s, int64_t id, int64_t next_attempt_at, const char *error, bool give_up)
{
    fake_store_t *f = fake_of(s);
    pthread_mutex_lock(&f->lock);
    slot_t *sl = slot_by_id(f, id);
    assert_int_equal(sl->state, CLAIMED);
    sl->state = RETRY;
    sl->next_attempt_at = next_attempt_at;
    sl->retried_at = core_clock_now_ms();
    snprintf(sl->error, sizeof(sl->error), "%s", error);
    sl->give_up = give_up;
    f->retry_calls++;
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
    return CORE_OK;
}

static int fake_pending(store_t *s, int64_t *count)
{
    fake_store_t *f = fake_of(s);
    pthread_mutex_lock(&f->lock);
    *count = 0;
    for (int i = 0; i < SLOTS; i++)
        *count += f->slots[i].state == QUEUED || f->slots[i].state == CLAIMED ||
                  (f->slots[i].state == RETRY && !f->slots[i].give_up);
    pthread_mutex_unlock(&f->lock);
    return CORE_OK;
}

static int fake_purge(store_t *s, int64_t before, int max, int *deleted)
{
    fake_store_t *f = fake_of(s);
    assert_true(max > 0);
    pthread_mutex_lock(&f->lock);
    f->purge_calls++;
    f->purge_before = before;
    *deleted = 0;
    pthread_cond_broadcast(&f->changed);
    pthread_mutex_unlock(&f->lock);
    return CORE_OK;
}

static const store_ops_t fake_ops = {
    .name = "fake",
    .close = fake_close,
    .outbox_claim = fake_claim,
    .outbox_sent = fake_sent,
    .outbox_retry = fake_retry,
    .outbox_pending = fake_pending,
    .outbox_purge = fake_purge,
};

typedef struct {
    fake_store_t store;
    core_config_t cfg;
    char dir[64];
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    f->store.base.ops = &fake_ops;
    pthread_mutex_init(&f->store.lock, NULL);
    pthread_cond_init(&f->store.changed, NULL);
    strcpy(f->dir, "/tmp/lsf-test-outbox-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->cfg.data_dir = f->dir;
    f->cfg.mail_from = "LSF Tasks <no-reply@lsf-tasks.local>";
    /* the messages here say they were queued on 2026-01-01: keep their files */
    f->cfg.outbox_retention_ms = 100LL * 365 * 24 * 3600 * 1000;
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    char cmd[128];

    mail_outbox_stop(); /* a no-op unless a test failed while the sender ran */
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    pthread_cond_destroy(&f->store.changed);
    pthread_mutex_destroy(&f->store.lock);
    free(f);
    return 0;
}

static void enqueue(fixture_t *f, int64_t id, const char *recipient, int attempts)
{
    pthread_mutex_lock(&f->store.lock);
    for (int i = 0; i < SLOTS; i++) {
        if (f->store.slots[i].state == EMPTY) {
            f->store.slots[i] = (slot_t){.state = QUEUED,
                                         .msg = {.id = id,
                                                 .recipient = recipient,
                                                 .subject = "Account Verification OTP",
                                                 .body = "Your OTP is 123456.\n",
                                                 .attempts = attempts,
                                                 .created_at = 1767225600000LL + id}};
            break;
        }
    }
    pthread_mutex_unlock(&f->store.lock);
}

/* Wait up to ms for *counter to reach want; true when it did. */
static bool wait_count(fixture_t *f, const int *counter, int want, int ms)
{
    struct timespec deadline = core_clock_deadline(CLOCK_REALTIME, ms);
    bool ok;

    pthread_mutex_lock(&f->store.lock);
    while (*counter < want && pthread_cond_timedwait(&f->store.changed, &f->store.lock, &deadline) == 0)
        ;
    ok = *counter >= want;
    pthread_mutex_unlock(&f->store.lock);
    return ok;
}

static bool eml_exists(fixture_t *f, int64_t id)
{
    char path[128];
    struct stat st;
    snprintf(path, sizeof(path), "%s/mail/%lld-%lld.eml", f->dir, 1767225600000LL + id, (long long)id);
    return stat(path, &st) == 0;
}

static void test_wake_delivers_to_eml(void **state)
{
    fixture_t *f = *state;

    mail_outbox_wake(); /* not started: nothing to do, nothing to crash */
    enqueue(f, 1, "ada@example.org", 0);
    assert_int_equal(mail_outbox_start(&f->cfg, &f->store.base), CORE_OK);
    assert_true(wait_count(f, &f->store.sent_calls, 1, 3000)); /* due at start */
    assert_true(eml_exists(f, 1));

    /* the sender now sleeps for MAIL_OUTBOX_POLL_MS; a wake must beat that */
    enqueue(f, 2, "bob@example.org", 0);
    int64_t t0 = core_clock_mono_ms();
    mail_outbox_wake();
    assert_true(wait_count(f, &f->store.sent_calls, 2, MAIL_OUTBOX_POLL_MS / 2));
    assert_true(core_clock_mono_ms() - t0 < MAIL_OUTBOX_POLL_MS / 2);
    assert_true(eml_exists(f, 2));
    assert_int_equal(f->store.retry_calls, 0);

    mail_outbox_stop();
    assert_true(f->store.closed);
    mail_outbox_stop(); /* twice is harmless */
    mail_outbox_wake();
}

/* Mail queued without a wake is still delivered by stop, before it returns. */
static void test_stop_delivers_due_mail(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(mail_outbox_start(&f->cfg, &f->store.base), CORE_OK);
    assert_true(wait_count(f, &f->store.claims, 1, 3000)); /* first pass done, now asleep */
    enqueue(f, 3, "ada@example.org", 0);
    mail_outbox_stop();
    assert_int_equal(f->store.sent_calls, 1);
    assert_true(eml_exists(f, 3));
    assert_true(f->store.closed);
}

static void test_restart(void **state)
{
    fixture_t *f = *state;

    assert_int_equal(mail_outbox_start(&f->cfg, &f->store.base), CORE_OK);
    assert_int_equal(mail_outbox_start(&f->cfg, &f->store.base), CORE_E_INTERNAL); /* already running */
    mail_outbox_stop();
    f->store.closed = false;
    enqueue(f, 4, "ada@example.org", 0);
    assert_int_equal(mail_outbox_start(&f->cfg, &f->store.base), CORE_OK);
    assert_true(wait_count(f, &f->store.sent_calls, 1, 3000));
    mail_outbox_stop();
    assert_true(f->store.closed);
}

static void check_retry(fixture_t *f, int64_t id, int64_t delay, bool give_up)
{
    pthread_mutex_lock(&f->store.lock);
    slot_t *sl = slot_by_id(&f->store, id);
    assert_int_equal(sl->state, RETRY);
    assert_int_equal(sl->give_up, give_up);
    /* next = the outbox's now (just before retried_at) + delay */
    assert_in_range(sl->next_attempt_at - sl->retried_at, delay - 1000, delay);
    assert_non_null(strstr(sl->error, "onnect")); /* libcurl's "Couldn't connect ..." */
    pthread_mutex_unlock(&f->store.lock);
}

static void test_failed_smtp_backs_off(void **state)
{
    fixture_t *f = *state;

    f->cfg.smtp_url = "smtp://127.0.0.1:1"; /* nothing listens on port 1: refused at once */
    enqueue(f, 10, "ada@example.org", 0);
    enqueue(f, 11, "ada@example.org", 1);
    enqueue(f, 12, "ada@example.org", 3);
    enqueue(f, 13, "ada@example.org", 7);
    enqueue(f, 14, "ada@example.org", MAIL_OUTBOX_MAX_ATTEMPTS - 1);
    assert_int_equal(mail_outbox_start(&f->cfg, &f->store.base), CORE_OK);
    assert_true(wait_count(f, &f->store.retry_calls, 5, 20000));
    mail_outbox_stop();
    assert_int_equal(f->store.sent_calls, 0);
    check_retry(f, 10, 30000, false);
    check_retry(f, 11, 60000, false);
    check_retry(f, 12, 240000, false);
    check_retry(f, 13, 3600000, false); /* 30 s * 2^7 would exceed the 1 h cap */
    check_retry(f, 14, 3600000, true);
    assert_false(eml_exists(f, 10)); /* SMTP configured: no .eml fallback */
}

static void test_refused_message_given_up(void **state)
{
    fixture_t *f = *state;

    enqueue(f, 20, "ada@example.org\r\nBcc: eve@evil.org", 0);
    assert_int_equal(mail_outbox_start(&f->cfg, &f->store.base), CORE_OK);
    assert_true(wait_count(f, &f->store.retry_calls, 1, 3000));
    mail_outbox_stop();
    pthread_mutex_lock(&f->store.lock);
    assert_true(f->store.slots[0].give_up);
    pthread_mutex_unlock(&f->store.lock);
    assert_false(eml_exists(f, 20));
}

static void put_eml(fixture_t *f, int64_t created_at)
{
    char path[160];
    snprintf(path, sizeof(path), "%s/mail", f->dir);
    mkdir(path, 0700);
    snprintf(path, sizeof(path), "%s/mail/%lld-1.eml", f->dir, (long long)created_at);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fclose(fp);
}

static bool eml_at(fixture_t *f, int64_t created_at)
{
    char path[160];
    struct stat st;
    snprintf(path, sizeof(path), "%s/mail/%lld-1.eml", f->dir, (long long)created_at);
    return stat(path, &st) == 0;
}

static void test_purges_old_mail(void **state)
{
    fixture_t *f = *state;
    int64_t retention = f->cfg.outbox_retention_ms = 7LL * 24 * 3600 * 1000, t0 = core_clock_now_ms();

    put_eml(f, t0 - retention - 60000); /* a week and a minute old */
    put_eml(f, t0 - retention + 60000);
    assert_int_equal(mail_outbox_start(&f->cfg, &f->store.base), CORE_OK);
    assert_true(wait_count(f, &f->store.purge_calls, 1, 3000));
    assert_true(wait_count(f, &f->store.claims, 1, 3000));
    pthread_mutex_lock(&f->store.lock);
    assert_in_range(f->store.purge_before, t0 - retention, core_clock_now_ms() - retention);
    pthread_mutex_unlock(&f->store.lock);
    mail_outbox_wake(); /* another pass within the hour: no second purge */
    assert_true(wait_count(f, &f->store.claims, 2, 3000));
    mail_outbox_stop();
    assert_int_equal(f->store.purge_calls, 1);
    assert_false(eml_at(f, t0 - retention - 60000));
    assert_true(eml_at(f, t0 - retention + 60000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_wake_delivers_to_eml, setup, teardown),
        cmocka_unit_test_setup_teardown(test_stop_delivers_due_mail, setup, teardown),
        cmocka_unit_test_setup_teardown(test_restart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_smtp_backs_off, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_message_given_up, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purges_old_mail, setup, teardown),
    };
    int rc;

    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
