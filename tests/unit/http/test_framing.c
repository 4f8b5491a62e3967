/*
 * Unit tests for src/http/framing.c's verdict on a raw request head, read
 * with h2o's own parser: one way to frame a body (or none) passes; two ways
 * (Content-Length with Transfer-Encoding in either order, Content-Length
 * values that differ or are a list, Transfer-Encoding twice, a folded line
 * next to a body) are ambiguous with a sentence for the client; a buffer
 * that does not start with the head of this method and path is unknown.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "http/framing.h"

static const char *const names[] = {"OK", "AMBIGUOUS", "UNKNOWN"};

/* Judge head (a C string) as a POST to /p; check the verdict and the sentence. */
static void expect_as(const char *head, const char *method, http_framing_t want, const char *want_why)
{
    const char *why = NULL;
    http_framing_t got = http_framing_judge(head, strlen(head), h2o_iovec_init(method, strlen(method)),
                                            h2o_iovec_init(H2O_STRLIT("/p")), &why);

    if (got != want)
        fail_msg("[%s]: %s, expected %s", head, names[got], names[want]);
    if (want_why != NULL && (why == NULL || strcmp(why, want_why) != 0))
        fail_msg("[%s]: \"%s\", expected \"%s\"", head, why ? why : "(null)", want_why);
}

static void expect(const char *head, http_framing_t want, const char *want_why)
{
    expect_as(head, "POST", want, want_why);
}

#define HEAD "POST /p HTTP/1.1\r\nHost: x\r\n"

static void test_one_framing(void **state)
{
    (void)state;
    expect(HEAD "\r\n", HTTP_FRAMING_OK, NULL);
    expect(HEAD "Content-Length: 2\r\n\r\n{}", HTTP_FRAMING_OK, NULL);
    expect(HEAD "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n", HTTP_FRAMING_OK, NULL);
    /* the same value twice is one length (RFC 9112, 6.3) */
    expect(HEAD "Content-Length: 2\r\nX-A: b\r\nContent-Length: 2\r\n\r\n{}", HTTP_FRAMING_OK, NULL);
    expect(HEAD "content-length: 2\r\nCONTENT-LENGTH: 2\r\n\r\n", HTTP_FRAMING_OK, NULL);
    /* a fold without a body frames nothing */
    expect(HEAD "X-A: a\r\n b\r\n\r\n", HTTP_FRAMING_OK, NULL);
    /* what follows the head (the body, a pipelined request) is not read */
    expect(HEAD
           "Content-Length: 2\r\n\r\n{}POST /q HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 9\r\n\r\n",
           HTTP_FRAMING_OK, NULL);
}

static void test_length_and_chunked(void **state)
{
    (void)state;
    const char *why = "Content-Length and Transfer-Encoding together";
    expect(HEAD "Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_FRAMING_AMBIGUOUS, why);
    expect(HEAD "Transfer-Encoding: chunked\r\nContent-Length: 4\r\n\r\n", HTTP_FRAMING_AMBIGUOUS, why);
    expect(HEAD "transfer-encoding: gzip, chunked\r\ncontent-length: 0\r\n\r\n", HTTP_FRAMING_AMBIGUOUS, why);
}

static void test_lengths_that_differ(void **state)
{
    (void)state;
    const char *why = "Conflicting Content-Length headers";
    expect(HEAD "Content-Length: 2\r\nContent-Length: 40\r\n\r\n", HTTP_FRAMING_AMBIGUOUS, why);
    expect(HEAD "Content-Length: 40\r\nContent-Length: 2\r\n\r\n", HTTP_FRAMING_AMBIGUOUS, why);
    expect(HEAD "Content-Length: 2\r\nContent-Length: 2x\r\n\r\n", HTTP_FRAMING_AMBIGUOUS, why);
    expect(HEAD "Content-Length: 2\r\nContent-Length: \r\n\r\n", HTTP_FRAMING_AMBIGUOUS, why);
    expect(HEAD "Content-Length: 2, 7\r\n\r\n", HTTP_FRAMING_AMBIGUOUS, why);
    expect(HEAD "Content-Length: 2, 2\r\n\r\n", HTTP_FRAMING_AMBIGUOUS, why);
    expect(HEAD "Content-Length: -1\r\n\r\n", HTTP_FRAMING_AMBIGUOUS, why);
    expect(HEAD "Content-Length: 99999999999999999999\r\n\r\n", HTTP_FRAMING_AMBIGUOUS, why);
}

static void test_two_codings_and_folds(void **state)
{
    (void)state;
    expect(HEAD "Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_FRAMING_AMBIGUOUS,
           "More than one Transfer-Encoding header");
    expect(HEAD "Transfer-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n", HTTP_FRAMING_AMBIGUOUS,
           "More than one Transfer-Encoding header");
    expect(HEAD "Content-Length: 2\r\nX-A: a\r\n 7\r\n\r\n{}", HTTP_FRAMING_AMBIGUOUS,
           "Folded header line in a request with a body");
    expect(HEAD "Transfer-Encoding: chunked\r\n\tx\r\n\r\n", HTTP_FRAMING_AMBIGUOUS,
           "Folded header line in a request with a body");
}

static void test_not_this_head(void **state)
{
    (void)state;
    expect(HEAD "Content-Length: 2\r\n", HTTP_FRAMING_UNKNOWN, NULL); /* incomplete */
    expect("", HTTP_FRAMING_UNKNOWN, NULL);
    expect("\x01\x02\x03\r\n\r\n", HTTP_FRAMING_UNKNOWN, NULL);
    expect("POST /other HTTP/1.1\r\nContent-Length: 2\r\n\r\n", HTTP_FRAMING_UNKNOWN, NULL);
    expect_as(HEAD "Content-Length: 2\r\n\r\n", "PUT", HTTP_FRAMING_UNKNOWN, NULL);
    expect_as(HEAD "Content-Length: 2\r\n\r\n", "POS", HTTP_FRAMING_UNKNOWN, NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_framing),         cmocka_unit_test(test_length_and_chunked),
        cmocka_unit_test(test_lengths_that_differ), cmocka_unit_test(test_two_codings_and_folds),
        cmocka_unit_test(test_not_this_head),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
