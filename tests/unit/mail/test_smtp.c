/*
 * Unit tests for src/mail/smtp.c against a scripted SMTP server on a
 * loopback port (a thread in this file): the envelope carries the bare
 * MAIL_FROM address and the recipient, SMTP_USER/SMTP_PASS log in with AUTH
 * PLAIN (and nothing logs in when they are unset), the data is the rendered
 * message with libcurl's dot-stuffing, and failures (a rejected recipient, a
 * refused login, a bad scheme, a message the renderer refuses) come back as
 * errors whose reason names the SMTP reply but never the password.
 */
#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/error.h"
#include "mail/smtp.h"

typedef struct {
    int listen_fd;
    int port;
    const char *auth_reply; /* after the AUTH PLAIN credentials */
    const char *rcpt_reply;
    char commands[8192]; /* every command line received, CRLF kept */
    char data[8192];     /* DATA lines as received, up to the final "." line */
    pthread_t thread;
    int fd;
} server_t;

static void append(char *buf, size_t cap, const char *s)
{
    size_t n = strlen(buf);
    snprintf(buf + n, cap - n, "%s", s);
}

/* One line (CRLF kept) into line[cap]; false at end of stream. */
static bool read_line(int fd, char *line, size_t cap)
{
    size_t n = 0;
    while (n + 1 < cap) {
        if (read(fd, line + n, 1) != 1)
            return false;
        if (line[n++] == '\n')
            break;
    }
    line[n] = '\0';
    return true;
}

static void reply(int fd, const char *s)
{
    ssize_t r = write(fd, s, strlen(s));
    (void)r;
}

static void *serve(void *arg)
{
    server_t *sv = arg;
    char line[1024];
    int fd = accept(sv->listen_fd, NULL, NULL);

    if (fd < 0)
        return NULL;
    reply(fd, "220 fake.test ESMTP\r\n");
    while (read_line(fd, line, sizeof(line))) {
        append(sv->commands, sizeof(sv->commands), line);
        if (strncmp(line, "EHLO", 4) == 0) {
            reply(fd, "250-fake.test\r\n250-AUTH PLAIN\r\n250 8BITMIME\r\n");
        } else if (strncmp(line, "AUTH PLAIN", 10) == 0) {
            if (strcmp(line, "AUTH PLAIN\r\n") == 0) { /* no initial response: ask for it */
                reply(fd, "334 \r\n");
                if (!read_line(fd, line, sizeof(line)))
                    break;
                append(sv->commands, sizeof(sv->commands), line);
            }
            reply(fd, sv->auth_reply);
        } else if (strncmp(line, "MAIL FROM:", 10) == 0) {
            reply(fd, "250 ok\r\n");
        } else if (strncmp(line, "RCPT TO:", 8) == 0) {
            reply(fd, sv->rcpt_reply);
        } else if (strcmp(line, "DATA\r\n") == 0) {
            reply(fd, "354 go on\r\n");
            while (read_line(fd, line, sizeof(line)) && strcmp(line, ".\r\n") != 0)
                append(sv->data, sizeof(sv->data), line);
            reply(fd, "250 queued\r\n");
        } else if (strcmp(line, "QUIT\r\n") == 0) {
            reply(fd, "221 bye\r\n");
            break;
        } else {
            reply(fd, "502 unknown\r\n");
        }
    }
    close(fd);
    return NULL;
}

static void server_start(server_t *sv, const char *auth_reply, const char *rcpt_reply)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(addr);

    memset(sv, 0, sizeof(*sv));
    sv->auth_reply = auth_reply;
    sv->rcpt_reply = rcpt_reply;
    sv->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(sv->listen_fd >= 0);
    assert_int_equal(bind(sv->listen_fd, (struct sockaddr *)&addr, sizeof(addr)), 0);
    assert_int_equal(listen(sv->listen_fd, 1), 0);
    assert_int_equal(getsockname(sv->listen_fd, (struct sockaddr *)&addr, &len), 0);
    sv->port = ntohs(addr.sin_port);
    assert_int_equal(pthread_create(&sv->thread, NULL, serve, sv), 0);
}

static void server_join(server_t *sv)
{
    pthread_join(sv->thread, NULL);
    close(sv->listen_fd);
}

typedef struct {
    core_config_t cfg;
    core_pool_t pool;
    char url[64];
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    f->cfg.mail_from = "LSF Tasks <no-reply@lsf-tasks.local>";
    f->cfg.smtp_url = f->url;
    core_pool_init(&f->pool);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    core_pool_cleanup(&f->pool);
    free(f);
    return 0;
}

static const mail_msg_t message = {
    .id = 5,
    .recipient = "ada@example.org",
    .subject = "Password Reset OTP",
    .body = "Hello Ada,\n.\nYour OTP is 246810.\n",
    .created_at = 1767225600123LL,
};

static void test_delivers_with_login(void **state)
{
    fixture_t *f = *state;
    server_t sv;
    const char *error = NULL;
    char plain[64];
    size_t plain_len;

    server_start(&sv, "235 welcome\r\n", "250 ok\r\n");
    snprintf(f->url, sizeof(f->url), "smtp://127.0.0.1:%d", sv.port);
    f->cfg.smtp_user = "mailer";
    f->cfg.smtp_pass = "s3cret-pass";
    assert_int_equal(mail_smtp_deliver(&f->cfg, &f->pool, &message, &error), CORE_OK);
    server_join(&sv);

    assert_non_null(strstr(sv.commands, "MAIL FROM:<no-reply@lsf-tasks.local>"));
    assert_non_null(strstr(sv.commands, "\r\nRCPT TO:<ada@example.org>\r\n"));
    /* AUTH PLAIN carries "\0user\0password" in base64 */
    const char *auth = strstr(sv.commands, "AUTH PLAIN");
    assert_non_null(auth);
    const char *b64 = auth[10] == ' ' ? auth + 11 : strstr(auth, "\r\n") + 2;
    assert_int_equal(sodium_base642bin((unsigned char *)plain, sizeof(plain), b64, strcspn(b64, "\r"), NULL,
                                       &plain_len, NULL, sodium_base64_VARIANT_ORIGINAL),
                     0);
    assert_int_equal(plain_len, 19);
    assert_memory_equal(plain, "\0mailer\0s3cret-pass", 19);

    assert_non_null(strstr(sv.data, "\r\nTo: ada@example.org\r\n"));
    assert_non_null(strstr(sv.data, "\r\nSubject: Password Reset OTP\r\n"));
    /* the lone "." line was dot-stuffed, so it did not end the data early */
    assert_non_null(strstr(sv.data, "\r\n\r\nHello Ada,\r\n..\r\nYour OTP is 246810.\r\n"));
}

static void test_no_login_without_user(void **state)
{
    fixture_t *f = *state;
    server_t sv;
    const char *error = NULL;

    server_start(&sv, "235 welcome\r\n", "250 ok\r\n");
    snprintf(f->url, sizeof(f->url), "smtp://127.0.0.1:%d", sv.port);
    assert_int_equal(mail_smtp_deliver(&f->cfg, &f->pool, &message, &error), CORE_OK);
    server_join(&sv);
    assert_null(strstr(sv.commands, "AUTH"));
    assert_non_null(strstr(sv.data, "Your OTP is 246810."));
}

static void test_rejected_recipient(void **state)
{
    fixture_t *f = *state;
    server_t sv;
    const char *error = NULL;

    server_start(&sv, "235 welcome\r\n", "550 no such user\r\n");
    snprintf(f->url, sizeof(f->url), "smtp://127.0.0.1:%d", sv.port);
    assert_int_equal(mail_smtp_deliver(&f->cfg, &f->pool, &message, &error), CORE_E_UNAVAILABLE);
    server_join(&sv);
    assert_non_null(error);
    assert_non_null(strstr(error, "550"));
    assert_string_equal(sv.data, "");
}

static void test_refused_login_hides_password(void **state)
{
    fixture_t *f = *state;
    server_t sv;
    const char *error = NULL;

    server_start(&sv, "535 authentication failed\r\n", "250 ok\r\n");
    snprintf(f->url, sizeof(f->url), "smtp://127.0.0.1:%d", sv.port);
    f->cfg.smtp_user = "mailer";
    f->cfg.smtp_pass = "s3cret-pass";
    assert_int_equal(mail_smtp_deliver(&f->cfg, &f->pool, &message, &error), CORE_E_UNAVAILABLE);
    server_join(&sv);
    assert_non_null(strstr(error, "535"));
    assert_null(strstr(error, "s3cret"));
    assert_null(strstr(sv.commands, "RCPT"));
}

static void test_bad_scheme_and_refused_message(void **state)
{
    fixture_t *f = *state;
    const char *error = NULL;
    mail_msg_t bad = message;

    strcpy(f->url, "http://127.0.0.1:1/");
    assert_int_equal(mail_smtp_deliver(&f->cfg, &f->pool, &message, &error), CORE_E_INTERNAL);
    assert_non_null(strstr(error, "smtp://"));
    strcpy(f->url, "smtp://127.0.0.1:1");
    bad.recipient = "ada@example.org>\r\nRCPT TO:<eve@evil.org";
    assert_int_equal(mail_smtp_deliver(&f->cfg, &f->pool, &bad, &error), CORE_E_VALIDATION);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_delivers_with_login, setup, teardown),
        cmocka_unit_test_setup_teardown(test_no_login_without_user, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rejected_recipient, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_login_hides_password, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_scheme_and_refused_message, setup, teardown),
    };
    int rc;

    if (sodium_init() < 0 || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return 1;
    rc = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return rc;
}
