/*
 * Unit tests for src/mail/templates.c: each email has the original app's
 * subject and sentence after a greeting, is addressed to the email given,
 * starts unstored (id 0, no attempts, created now), and owns copies of its
 * strings in the pool rather than pointers into the caller's buffers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "core/clock.h"
#include "mail/templates.h"

static void check_fresh(const mail_msg_t *m, int64_t before)
{
    assert_int_equal(m->id, 0);
    assert_int_equal(m->attempts, 0);
    assert_true(m->created_at >= before);
    assert_true(m->created_at <= core_clock_now_ms());
}

static void test_welcome(void **state)
{
    (void)state;
    core_pool_t pool;
    mail_msg_t m;
    int64_t before = core_clock_now_ms();

    core_pool_init(&pool);
    mail_template_welcome(&pool, "Ada", "ada@example.org", &m);
    assert_string_equal(m.recipient, "ada@example.org");
    assert_string_equal(m.subject, "Welcome to LSF Tasks");
    assert_string_equal(m.body,
                        "Hello Ada,\n\nWelcome to LSF Tasks website. Your account has been created with "
                        "email id: ada@example.org\n");
    check_fresh(&m, before);
    core_pool_cleanup(&pool);
}

static void test_verify_otp(void **state)
{
    (void)state;
    core_pool_t pool;
    mail_msg_t m;
    int64_t before = core_clock_now_ms();

    core_pool_init(&pool);
    mail_template_verify_otp(&pool, "Ada", "ada@example.org", "042917", &m);
    assert_string_equal(m.recipient, "ada@example.org");
    assert_string_equal(m.subject, "Account Verification OTP");
    assert_string_equal(m.body, "Hello Ada,\n\nYour OTP is 042917. Verify your account using this OTP.\n");
    check_fresh(&m, before);
    core_pool_cleanup(&pool);
}

static void test_reset_otp(void **state)
{
    (void)state;
    core_pool_t pool;
    mail_msg_t m;
    int64_t before = core_clock_now_ms();

    core_pool_init(&pool);
    mail_template_reset_otp(&pool, "Ada", "ada@example.org", "913370", &m);
    assert_string_equal(m.recipient, "ada@example.org");
    assert_string_equal(m.subject, "Password Reset OTP");
    assert_string_equal(m.body,
                        "Hello Ada,\n\nYour OTP for resetting your password is 913370. Use this OTP to "
                        "proceed with resetting your password.\n");
    check_fresh(&m, before);
    core_pool_cleanup(&pool);
}

/* The name is UTF-8 as the API accepted it; an empty one still greets. */
static void test_names(void **state)
{
    (void)state;
    core_pool_t pool;
    mail_msg_t m;

    core_pool_init(&pool);
    mail_template_verify_otp(&pool, "Zoë Ångström", "z@example.org", "123456", &m);
    assert_non_null(strstr(m.body, "Hello Zoë Ångström,\n\n"));
    assert_ptr_equal(strstr(m.body, "Hello"), m.body);
    mail_template_welcome(&pool, "", "z@example.org", &m);
    assert_ptr_equal(strstr(m.body, "Hello,\n\nWelcome"), m.body);
    core_pool_cleanup(&pool);
}

/* Request buffers die before the outbox stores the mail: the message must
 * not point into them. */
static void test_strings_are_pool_copies(void **state)
{
    (void)state;
    core_pool_t pool;
    mail_msg_t m;
    char name[] = "Ada", email[] = "ada@example.org", code[] = "555111";

    core_pool_init(&pool);
    mail_template_reset_otp(&pool, name, email, code, &m);
    memset(name, 'x', sizeof(name) - 1);
    memset(email, 'x', sizeof(email) - 1);
    memset(code, '9', sizeof(code) - 1);
    assert_string_equal(m.recipient, "ada@example.org");
    assert_non_null(strstr(m.body, "Hello Ada,"));
    assert_non_null(strstr(m.body, " 555111. "));
    core_pool_cleanup(&pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_welcome),
        cmocka_unit_test(test_verify_otp),
        cmocka_unit_test(test_reset_otp),
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_strings_are_pool_copies),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
