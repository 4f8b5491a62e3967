/*
 * Unit tests for src/mail/message.c: the rendered message has every header
 * the outbox promises, CRLF line endings only, a Date from created_at, a
 * random Message-ID at MAIL_FROM's domain, RFC 2047 encoded words for
 * non-ASCII subjects and display names (decoding back to the original, never
 * splitting a character), the right transfer encoding for the body, and
 * refuses every value that could inject a header.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/error.h"
#include "mail/message.h"
#include "pool_fixture.h"

#define FROM "LSF Tasks <no-reply@lsf-tasks.local>"
#define CREATED 1767225600123LL /* 2026-01-01T00:00:00.123Z, a Thursday */

static mail_msg_t msg(const char *recipient, const char *subject, const char *body)
{
    return (mail_msg_t){
        .id = 7, .recipient = recipient, .subject = subject, .body = body, .created_at = CREATED};
}

/* Render and check the framing every message must have: CRLF only, a
 * blank line between header and body. Returns the NUL-terminated text. */
static const char *render_ok(const char *from, const mail_msg_t *m)
{
    core_str_t out;

    assert_int_equal(mail_message_render(&pool, from, m, &out), CORE_OK);
    assert_int_equal(strlen(out.base), out.len);
    for (size_t i = 0; i < out.len; i++) {
        if (out.base[i] == '\n')
            assert_true(i > 0 && out.base[i - 1] == '\r');
        if (out.base[i] == '\r')
            assert_true(i + 1 < out.len && out.base[i + 1] == '\n');
    }
    assert_non_null(strstr(out.base, "\r\n\r\n"));
    return out.base;
}

/* The raw value of header name (folded lines kept), from the pool; NULL when absent. */
static const char *header(const char *text, const char *name)
{
    const char *end = strstr(text, "\r\n\r\n");
    size_t n = strlen(name);

    for (const char *line = text; line < end; line = strstr(line, "\r\n") + 2) {
        if (strncmp(line, name, n) == 0 && line[n] == ':' && line[n + 1] == ' ') {
            const char *v = line + n + 2, *e = v;
            while ((e = strstr(e, "\r\n")) != NULL && (e[2] == ' ' || e[2] == '\t'))
                e += 2;
            return core_pool_strndup(&pool, v, (size_t)(e - v));
        }
    }
    return NULL;
}

static const char *body_of(const char *text)
{
    return strstr(text, "\r\n\r\n") + 4;
}

/* Decode a header value made only of folded UTF-8 B encoded words, checking
 * each word's length and that no word splits a character. */
static const char *decode_words(const char *v)
{
    char *out = core_pool_calloc(&pool, strlen(v) + 1);
    size_t len = 0;

    while (*v != '\0') {
        assert_memory_equal(v, "=?UTF-8?B?", 10);
        const char *end = strstr(v + 10, "?=");
        assert_non_null(end);
        assert_true(end + 2 - v <= 75);
        size_t got;
        assert_int_equal(sodium_base642bin((unsigned char *)out + len, strlen(v), v + 10,
                                           (size_t)(end - v - 10), NULL, &got, NULL,
                                           sodium_base64_VARIANT_ORIGINAL),
                         0);
        assert_true(core_str_is_utf8(core_str(out + len, got)));
        len += got;
        v = end + 2;
        if (*v != '\0') {
            assert_memory_equal(v, "\r\n ", 3);
            v += 3;
        }
    }
    out[len] = '\0';
    return out;
}

static void test_headers(void **state)
{
    (void)state;
    mail_msg_t m = msg("ada@example.org", "Account Verification OTP", "Hello Ada,\n\nYour OTP is 123456.\n");
    const char *t = render_ok(FROM, &m);

    assert_string_equal(header(t, "Date"), "Thu, 01 Jan 2026 00:00:00 +0000");
    assert_string_equal(header(t, "From"), "LSF Tasks <no-reply@lsf-tasks.local>");
    assert_string_equal(header(t, "To"), "ada@example.org");
    assert_string_equal(header(t, "Subject"), "Account Verification OTP");
    assert_string_equal(header(t, "MIME-Version"), "1.0");
    assert_string_equal(header(t, "Content-Type"), "text/plain; charset=UTF-8");
    assert_string_equal(header(t, "Content-Transfer-Encoding"), "7bit");
    assert_string_equal(header(t, "Auto-Submitted"), "auto-generated");
    assert_ptr_equal(strstr(t, "Date: "), t);
    assert_string_equal(body_of(t), "Hello Ada,\r\n\r\nYour OTP is 123456.\r\n");
}

static void test_message_id_random_at_from_domain(void **state)
{
    (void)state;
    mail_msg_t m = msg("ada@example.org", "s", "b");
    const char *a = header(render_ok(FROM, &m), "Message-ID");
    const char *b = header(render_ok("x@mail.example.net", &m), "Message-ID");
    const char *c = header(render_ok(FROM, &m), "Message-ID");

    assert_int_equal(strlen(a), 1 + 32 + strlen("@lsf-tasks.local>"));
    assert_int_equal(a[0], '<');
    assert_int_equal(strspn(a + 1, "0123456789abcdef"), 32);
    assert_string_equal(a + 33, "@lsf-tasks.local>");
    assert_string_equal(b + 33, "@mail.example.net>");
    assert_string_not_equal(a, c);
}

static void test_date_uses_created_at(void **state)
{
    (void)state;
    mail_msg_t m = msg("ada@example.org", "s", "b");

    m.created_at = 951782400000LL; /* 2000-02-29T00:00:00Z, a Tuesday */
    assert_string_equal(header(render_ok(FROM, &m), "Date"), "Tue, 29 Feb 2000 00:00:00 +0000");
    m.created_at = 1795000000999LL; /* 2026-11-18T11:06:40Z, a Wednesday */
    assert_string_equal(header(render_ok(FROM, &m), "Date"), "Wed, 18 Nov 2026 11:06:40 +0000");
}

static void test_from_forms(void **state)
{
    (void)state;
    mail_msg_t m = msg("ada@example.org", "s", "b");

    assert_string_equal(header(render_ok("no-reply@x.org", &m), "From"), "<no-reply@x.org>");
    assert_string_equal(header(render_ok("  <no-reply@x.org>  ", &m), "From"), "<no-reply@x.org>");
    assert_string_equal(header(render_ok("LSF Tasks, Inc. <a@x.org>", &m), "From"),
                        "\"LSF Tasks, Inc.\" <a@x.org>");
    assert_string_equal(header(render_ok("\"Say \\\"hi\\\"\" <a@x.org>", &m), "From"),
                        "\"Say \\\"hi\\\"\" <a@x.org>");
    /* a name that only starts and ends with a quote is not one quoted string:
     * sent as is, it made a From of two mailboxes (found by tests/fuzz/mail_header.c) */
    assert_string_equal(header(render_ok("\"a\" <x@y.z> \"b\" <w@v.u>", &m), "From"),
                        "\"\\\"a\\\" <x@y.z> \\\"b\\\"\" <w@v.u>");
    assert_string_equal(header(render_ok("\"x\\\" <a@x.org>", &m), "From"), "\"\\\"x\\\\\\\"\" <a@x.org>");
    /* text that looks like an encoded word is quoted, so it shows as written
     * (as Subject does; found by tests/fuzz/mail_header.c) */
    assert_string_equal(header(render_ok("=?UTF-8?B?QWRtaW4=?= <a@x.org>", &m), "From"),
                        "\"=?UTF-8?B?QWRtaW4=?=\" <a@x.org>");
    /* a name too long for one line is folded as encoded words: unfolded, it
     * made a From line over RFC 5322's 998 octets (found by tests/fuzz/mail_header.c) */
    char long_from[1100];
    memset(long_from, 'x', 1000);
    strcpy(long_from + 1000, " <a@x.org>");
    const char *t = render_ok(long_from, &m);
    for (const char *line = t; *line != '\0'; line = strstr(line, "\r\n") + 2)
        assert_true(strstr(line, "\r\n") - line <= 998);
    const char *lf = header(t, "From");
    const char *llt = strrchr(lf, '<');
    assert_string_equal(llt, "<a@x.org>");
    long_from[1000] = '\0';
    assert_string_equal(decode_words(core_pool_strndup(&pool, lf, (size_t)(llt - lf - 1))), long_from);
    /* a quoted name means its content, also when it must be encoded */
    const char *qf = header(render_ok("\"Zoë \\\"Z\\\"\" <a@x.org>", &m), "From");
    assert_string_equal(decode_words(core_pool_strndup(&pool, qf, (size_t)(strrchr(qf, '<') - qf - 1))), "Zoë \"Z\"");
    const char *f = header(render_ok("Zoë's Tasks <a@x.org>", &m), "From");
    const char *lt = strrchr(f, '<');
    assert_string_equal(lt, "<a@x.org>");
    assert_string_equal(decode_words(core_pool_strndup(&pool, f, (size_t)(lt - f - 1))), "Zoë's Tasks");
}

static void test_subject_encoded_words(void **state)
{
    (void)state;
    char long_subject[401] = "";
    mail_msg_t m = msg("ada@example.org", "Bonjour Zoë Ångström", "b");

    assert_string_equal(decode_words(header(render_ok(FROM, &m), "Subject")), "Bonjour Zoë Ångström");
    /* 2- and 3-byte characters at every offset: words must break between characters */
    for (int i = 0; i < 80; i++)
        strcat(long_subject, i % 3 == 0 ? "é" : i % 3 == 1 ? "€" : "a");
    m.subject = long_subject;
    const char *v = header(render_ok(FROM, &m), "Subject");
    assert_non_null(strstr(v, "?=\r\n =?UTF-8?B?"));
    assert_string_equal(decode_words(v), long_subject);
    /* ASCII that looks like an encoded word is encoded, so it reads back literally */
    m.subject = "=?UTF-8?B?SGk=?=";
    assert_string_equal(decode_words(header(render_ok(FROM, &m), "Subject")), "=?UTF-8?B?SGk=?=");
}

static void test_body_line_endings(void **state)
{
    (void)state;
    mail_msg_t m = msg("ada@example.org", "s", "a\nb\r\nc\rd");

    assert_string_equal(body_of(render_ok(FROM, &m)), "a\r\nb\r\nc\r\nd\r\n");
    m.body = "";
    assert_string_equal(body_of(render_ok(FROM, &m)), "");
    /* no dot-stuffing here: that belongs to the SMTP transfer, not the .eml */
    m.body = ".\n..x\n";
    assert_string_equal(body_of(render_ok(FROM, &m)), ".\r\n..x\r\n");
}

static void test_body_utf8_is_8bit(void **state)
{
    (void)state;
    mail_msg_t m = msg("ada@example.org", "s", "Hello Zoë,\n\nYour OTP is 123456.\n");
    const char *t = render_ok(FROM, &m);

    assert_string_equal(header(t, "Content-Transfer-Encoding"), "8bit");
    assert_string_equal(body_of(t), "Hello Zoë,\r\n\r\nYour OTP is 123456.\r\n");
}

/* Decode quoted-printable, checking that no encoded line exceeds 76 octets. */
static const char *decode_qp(const char *s)
{
    char *out = core_pool_alloc(&pool, strlen(s) + 1), *o = out;
    size_t col = 0;

    for (; *s != '\0'; s++) {
        if (*s == '\r') {
            assert_true(col <= 76);
            assert_int_equal(s[1], '\n');
            col = 0;
            *o++ = *s++;
            *o++ = *s;
            continue;
        }
        col++;
        if (*s == '=' && s[1] == '\r' && s[2] == '\n') {
            assert_true(col <= 76);
            col = 0;
            s += 2;
        } else if (*s == '=') {
            unsigned v;
            assert_int_equal(sscanf(s + 1, "%2X", &v), 1);
            *o++ = (char)v;
            s += 2;
            col += 2;
        } else {
            *o++ = *s;
        }
    }
    *o = '\0';
    return out;
}

static void test_long_line_is_quoted_printable(void **state)
{
    (void)state;
    char body[1400] = "Hello Zoë,\n";
    size_t n = strlen(body);

    for (int i = 0; i < 1200; i++)
        body[n++] = "ab= \t"[i % 5];
    strcpy(body + n, " \nbye=\n");
    mail_msg_t m = msg("ada@example.org", "s", body);
    const char *t = render_ok(FROM, &m);

    assert_string_equal(header(t, "Content-Transfer-Encoding"), "quoted-printable");
    assert_non_null(strstr(body_of(t), "Hello Zo=C3=AB,\r\n"));
    assert_null(strstr(body_of(t), " \r\n")); /* trailing space is encoded */
    char *want = core_pool_alloc(&pool, 2 * sizeof(body));
    char *w = want;
    for (const char *p = body; *p != '\0'; p++) {
        if (*p == '\n')
            *w++ = '\r';
        *w++ = *p;
    }
    *w = '\0';
    assert_string_equal(decode_qp(body_of(t)), want);
}

static void test_header_injection_refused(void **state)
{
    (void)state;
    static const char *const bad_recipients[] = {
        "ada@example.org\r\nBcc: eve@evil.org",
        "ada@example.org\n",
        "ada@example.org\r",
        "\r\nada@example.org",
        "Ada <ada@example.org>",
        "ada@example.org, eve@evil.org",
        "ada@example.org eve@evil.org",
        "ada@example.org>\r\nRCPT TO:<eve@evil.org",
        "adaexample.org",
        "a@b@c.org",
        "@example.org",
        "ada@",
        "",
        "ada\t@example.org",
    };
    core_str_t out = CORE_STR_NULL;

    for (size_t i = 0; i < sizeof(bad_recipients) / sizeof(bad_recipients[0]); i++) {
        mail_msg_t m = msg(bad_recipients[i], "s", "b");
        assert_int_equal(mail_message_render(&pool, FROM, &m, &out), CORE_E_VALIDATION);
        assert_false(mail_message_address_ok(bad_recipients[i]));
    }
    mail_msg_t m = msg("ada@example.org", "Hi\r\nBcc: eve@evil.org", "b");
    assert_int_equal(mail_message_render(&pool, FROM, &m, &out), CORE_E_VALIDATION);
    m.subject = "Hi\nthere";
    assert_int_equal(mail_message_render(&pool, FROM, &m, &out), CORE_E_VALIDATION);
    m.subject = "bad \xff utf-8";
    assert_int_equal(mail_message_render(&pool, FROM, &m, &out), CORE_E_VALIDATION);
    m.subject = "ok";
    assert_int_equal(mail_message_render(&pool, "LSF\r\nBcc: eve@evil.org <a@x.org>", &m, &out),
                     CORE_E_VALIDATION);
    assert_int_equal(mail_message_render(&pool, "LSF Tasks", &m, &out), CORE_E_VALIDATION);
    assert_int_equal(mail_message_render(&pool, "LSF <a@x.org> trailing", &m, &out), CORE_E_VALIDATION);
    assert_int_equal(mail_message_render(&pool, NULL, &m, &out), CORE_E_VALIDATION);
    m.recipient = NULL;
    assert_int_equal(mail_message_render(&pool, FROM, &m, &out), CORE_E_VALIDATION);
    assert_null(out.base);           /* nothing was rendered */
    m.recipient = "zoë@exämple.org"; /* UTF-8 addresses (RFC 6531) are not an injection */
    assert_string_equal(header(render_ok(FROM, &m), "To"), "zoë@exämple.org");
}

static void test_address(void **state)
{
    (void)state;
    assert_string_equal(mail_message_address(&pool, FROM), "no-reply@lsf-tasks.local");
    assert_string_equal(mail_message_address(&pool, " a@x.org "), "a@x.org");
    assert_string_equal(mail_message_address(&pool, "\"a <b>\" <c@x.org>"), "c@x.org");
    assert_null(mail_message_address(&pool, "LSF Tasks"));
    assert_null(mail_message_address(&pool, "LSF <a@x.org"));
    assert_null(mail_message_address(&pool, "<a@x.org>\r\n"));
    assert_null(mail_message_address(&pool, "<a b@x.org>"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_headers, pool_setup, pool_teardown),
        cmocka_unit_test_setup_teardown(test_message_id_random_at_from_domain, pool_setup, pool_teardown),
        cmocka_unit_test_setup_teardown(test_date_uses_created_at, pool_setup, pool_teardown),
        cmocka_unit_test_setup_teardown(test_from_forms, pool_setup, pool_teardown),
        cmocka_unit_test_setup_teardown(test_subject_encoded_words, pool_setup, pool_teardown),
        cmocka_unit_test_setup_teardown(test_body_line_endings, pool_setup, pool_teardown),
        cmocka_unit_test_setup_teardown(test_body_utf8_is_8bit, pool_setup, pool_teardown),
        cmocka_unit_test_setup_teardown(test_long_line_is_quoted_printable, pool_setup, pool_teardown),
        cmocka_unit_test_setup_teardown(test_header_injection_refused, pool_setup, pool_teardown),
        cmocka_unit_test_setup_teardown(test_address, pool_setup, pool_teardown),
    };
    if (sodium_init() < 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
