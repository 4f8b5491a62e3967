/*
 * libFuzzer target: mail_message_render (src/mail/message.c), which turns
 * MAIL_FROM, a recipient, a subject and a body into the bytes sent over SMTP
 * and written as .eml. The input is the four, separated by NUL bytes.
 * Properties of a rendered message: every line ends in CRLF and is at most
 * 998 octets (RFC 5322 2.1.1); the header holds each of its nine fields
 * exactly once and nothing else, so no value can add a header; To is the
 * recipient; Subject, decoded from its RFC 2047 encoded words (each at most
 * 75 characters), is the subject; From is the address in angle brackets
 * after a display name (atoms that do not look like an encoded word, one
 * well-formed quoted string, or encoded words) that a mail client shows as
 * the name in MAIL_FROM; the body, decoded from quoted-printable when so encoded, is the
 * input body with its line ends made CRLF, and a 7bit body is ASCII.
 */
#include <sodium.h>
#include <string.h>

#include "core/error.h"
#include "mail/message.h"
#include "fuzz.h"

#define NOW_MS 1767225600000LL

static const char *const fields[] = {"Date",    "From",         "To",           "Subject",
                                     "Message-ID", "Auto-Submitted", "MIME-Version", "Content-Type",
                                     "Content-Transfer-Encoding"};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

typedef struct {
    char *p;
    size_t len, cap;
} sbuf_t;

static void put(sbuf_t *b, const void *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        b->cap = (b->len + n + 1) * 2;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

/* The unfolded value of header field name (continuation lines joined). */
static core_str_t field_value(core_str_t head, const char *name, sbuf_t *out)
{
    size_t nlen = strlen(name);
    const char *p = head.base, *end = head.base + head.len;

    out->len = 0;
    put(out, "", 0);
    while (p < end) {
        const char *eol = memmem(p, (size_t)(end - p), "\r\n", 2);
        if (eol == NULL)
            eol = end;
        if ((size_t)(eol - p) > nlen + 1 && memcmp(p, name, nlen) == 0 && p[nlen] == ':' && p[nlen + 1] == ' ') {
            put(out, p + nlen + 2, (size_t)(eol - p - nlen - 2));
            for (p = eol + 2; p < end && *p == ' ';) {
                eol = memmem(p, (size_t)(end - p), "\r\n", 2);
                if (eol == NULL)
                    eol = end;
                put(out, "\r\n", 2);
                put(out, p, (size_t)(eol - p));
                p = eol + 2;
            }
            return core_str(out->p, out->len);
        }
        p = eol + 2;
    }
    return CORE_STR_NULL;
}

/* Decode "=?UTF-8?B?...?=" words separated by CRLF SP into out. */
static bool decode_words(core_str_t v, sbuf_t *out)
{
    const char *p = v.base, *end = v.base + v.len;
    unsigned char bin[128];
    size_t n;

    out->len = 0;
    put(out, "", 0);
    while (p < end) {
        const char *close = memmem(p, (size_t)(end - p), "?=", 2);
        if ((size_t)(end - p) < 12 || memcmp(p, "=?UTF-8?B?", 10) != 0 || close == NULL || close - p + 2 > 75)
            return false;
        if (sodium_base642bin(bin, sizeof(bin), p + 10, (size_t)(close - p - 10), NULL, &n, NULL,
                              sodium_base64_VARIANT_ORIGINAL) != 0)
            return false;
        put(out, bin, n);
        p = close + 2;
        if (p < end) {
            if ((size_t)(end - p) < 3 || memcmp(p, "\r\n ", 3) != 0)
                return false;
            p += 3;
        }
    }
    return true;
}

static bool is_atext(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' ||
           (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* From: [phrase " "] "<" addr ">", where the phrase, read as a mail client
 * reads it (one quoted string unescaped, encoded words decoded, atoms as
 * they are but never looking like an encoded word), is name. */
static bool from_ok(core_str_t v, const char *addr, core_str_t name)
{
    size_t alen = strlen(addr);
    sbuf_t shown = {0};
    bool ok = false;

    if (v.len < alen + 2 || v.base[v.len - 1] != '>' || memcmp(v.base + v.len - 1 - alen, addr, alen) != 0 ||
        v.base[v.len - 2 - alen] != '<')
        return false;
    core_str_t phrase = core_str(v.base, v.len - alen - 2);
    if (phrase.len == 0)
        return name.len == 0;
    if (phrase.base[phrase.len - 1] != ' ')
        return false;
    phrase.len--;
    put(&shown, "", 0);
    if (phrase.len >= 2 && phrase.base[0] == '"') {
        size_t i = 1;
        for (; i < phrase.len && phrase.base[i] != '"'; i++) {
            if (phrase.base[i] == '\\')
                i++;
            if (i < phrase.len)
                put(&shown, phrase.base + i, 1);
        }
        ok = i == phrase.len - 1; /* the closing quote ends the phrase */
    } else if (phrase.len >= 2 && memcmp(phrase.base, "=?", 2) == 0) {
        ok = decode_words(phrase, &shown);
    } else {
        ok = memmem(phrase.base, phrase.len, "=?", 2) == NULL;
        for (size_t i = 0; i < phrase.len; i++)
            ok = ok && is_atext(phrase.base[i]);
        put(&shown, phrase.base, phrase.len);
    }
    ok = ok && core_str_eq(core_str(shown.p, shown.len), name);
    free(shown.p);
    return ok;
}

/* The body with every line end (CR, LF, CRLF) as CRLF and a final CRLF. */
static void normalize(const char *s, sbuf_t *out)
{
    size_t line = 0;

    out->len = 0;
    put(out, "", 0);
    for (; *s != '\0'; s++) {
        if (*s == '\r' || *s == '\n') {
            if (*s == '\r' && s[1] == '\n')
                s++;
            put(out, "\r\n", 2);
            line = 0;
        } else {
            put(out, s, 1);
            line++;
        }
    }
    if (line > 0)
        put(out, "\r\n", 2);
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

static bool decode_qp(core_str_t s, sbuf_t *out)
{
    out->len = 0;
    put(out, "", 0);
    for (size_t i = 0; i < s.len; i++) {
        if (s.base[i] != '=') {
            put(out, s.base + i, 1);
        } else if (i + 2 < s.len && s.base[i + 1] == '\r' && s.base[i + 2] == '\n') {
            i += 2;
        } else if (i + 2 < s.len && hexval(s.base[i + 1]) >= 0 && hexval(s.base[i + 2]) >= 0) {
            char c = (char)(hexval(s.base[i + 1]) * 16 + hexval(s.base[i + 2]));
            put(out, &c, 1);
            i += 2;
        } else {
            return false;
        }
    }
    return true;
}

static void check(core_str_t m, const char *from, const mail_msg_t *msg, core_pool_t *pool)
{
    sbuf_t a = {0}, b = {0};
    const char *sep = memmem(m.base, m.len, "\r\n\r\n", 4);

    FUZZ_CHECK(sep != NULL, "no blank line after the header");
    core_str_t head = core_str(m.base, (size_t)(sep - m.base) + 2), body = core_str(sep + 4, m.len - (size_t)(sep + 4 - m.base));
    for (size_t i = 0, line = 0; i < m.len; i++) {
        FUZZ_CHECK(m.base[i] != '\0', "NUL at byte %zu", i);
        if (m.base[i] == '\r') {
            FUZZ_CHECK(i + 1 < m.len && m.base[i + 1] == '\n', "bare CR at byte %zu", i);
        } else if (m.base[i] == '\n') {
            FUZZ_CHECK(i > 0 && m.base[i - 1] == '\r', "bare LF at byte %zu", i);
            line = 0;
        } else {
            FUZZ_CHECK(++line <= 998, "a line over 998 octets at byte %zu", i);
        }
    }
    FUZZ_CHECK(body.len == 0 || memcmp(m.base + m.len - 2, "\r\n", 2) == 0, "no final CRLF");
    /* every header line starts a known field once, or continues one */
    unsigned seen[NFIELDS] = {0};
    for (const char *p = head.base; p < head.base + head.len;) {
        const char *eol = memmem(p, (size_t)(head.base + head.len - p), "\r\n", 2);
        if (*p != ' ') {
            size_t k = 0;
            while (k < NFIELDS && !(strncmp(p, fields[k], strlen(fields[k])) == 0 && p[strlen(fields[k])] == ':'))
                k++;
            FUZZ_CHECK(k < NFIELDS, "unknown header line \"%.*s\"", (int)(eol - p), p);
            seen[k]++;
        } else {
            FUZZ_CHECK(p != head.base, "the header starts with a continuation");
        }
        p = eol + 2;
    }
    for (size_t k = 0; k < NFIELDS; k++)
        FUZZ_CHECK(seen[k] == 1, "%s appears %u times", fields[k], seen[k]);

    core_str_t to = field_value(head, "To", &a);
    FUZZ_CHECK(core_str_eq(to, core_str_c(msg->recipient)), "To: \"%.*s\" for \"%s\"", (int)to.len, to.base,
               msg->recipient);

    core_str_t subject = field_value(head, "Subject", &a);
    if (subject.len >= 2 && memcmp(subject.base, "=?", 2) == 0) {
        FUZZ_CHECK(decode_words(subject, &b) && strcmp(b.p, msg->subject) == 0,
                   "Subject \"%.*s\" does not decode to \"%s\"", (int)subject.len, subject.base, msg->subject);
    } else {
        FUZZ_CHECK(core_str_eq(subject, core_str_c(msg->subject)), "Subject \"%.*s\" for \"%s\"", (int)subject.len,
                   subject.base, msg->subject);
    }

    /* the name shown is the one configured, unquoted if it was one quoted string */
    const char *addr = mail_message_address(pool, from), *lt = strrchr(from, '<');
    core_str_t name = lt != NULL ? core_str_trim(core_str(from, (size_t)(lt - from))) : core_str("", 0);
    sbuf_t unq = {0};
    put(&unq, "", 0);
    if (name.len >= 2 && name.base[0] == '"') {
        size_t i = 1;
        for (; i < name.len && name.base[i] != '"'; i++) {
            if (name.base[i] == '\\')
                i++;
            if (i < name.len)
                put(&unq, name.base + i, 1);
        }
        if (i == name.len - 1)
            name = core_str(unq.p, unq.len);
    }
    core_str_t fv = field_value(head, "From", &a);
    FUZZ_CHECK(addr != NULL && from_ok(fv, addr, name), "From: \"%.*s\" for MAIL_FROM \"%s\"", (int)fv.len, fv.base,
               from);
    free(unq.p);

    core_str_t cte = field_value(head, "Content-Transfer-Encoding", &a);
    normalize(msg->body, &b);
    if (core_str_eq(cte, CORE_STR_LIT("quoted-printable"))) {
        sbuf_t dec = {0};
        for (const char *p = body.base; p < body.base + body.len;) {
            const char *eol = memmem(p, (size_t)(body.base + body.len - p), "\r\n", 2);
            FUZZ_CHECK(eol - p <= 76, "a quoted-printable line of %zu octets", (size_t)(eol - p));
            p = eol + 2;
        }
        FUZZ_CHECK(decode_qp(body, &dec) && dec.len == b.len && memcmp(dec.p, b.p, b.len) == 0,
                   "the quoted-printable body does not decode to the input body");
        free(dec.p);
    } else {
        FUZZ_CHECK(core_str_eq(cte, CORE_STR_LIT("7bit")) || core_str_eq(cte, CORE_STR_LIT("8bit")),
                   "Content-Transfer-Encoding \"%.*s\"", (int)cte.len, cte.base);
        FUZZ_CHECK(body.len == b.len && memcmp(body.base, b.p, b.len) == 0, "the body changed");
        if (core_str_eq(cte, CORE_STR_LIT("7bit")))
            for (size_t i = 0; i < body.len; i++)
                FUZZ_CHECK((unsigned char)body.base[i] < 0x80, "a 7bit body with byte %#x",
                           (unsigned char)body.base[i]);
    }
    free(a.p);
    free(b.p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    core_str_t parts[4];
    core_pool_t pool;
    core_str_t out;

    if (sodium_init() < 0)
        abort();
    fuzz_split(data, size, '\0', parts, 4);
    char *from = fuzz_cstr(parts[0]), *to = fuzz_cstr(parts[1]), *subject = fuzz_cstr(parts[2]);
    char *body = fuzz_cstr(parts[3]);
    mail_msg_t msg = {.recipient = to, .subject = subject, .body = body, .created_at = NOW_MS};

    core_pool_init(&pool);
    int rc = mail_message_render(&pool, from, &msg, &out);
    FUZZ_CHECK(rc == CORE_OK || rc == CORE_E_VALIDATION, "render returned %d", rc);
    if (rc == CORE_OK)
        check(out, from, &msg, &pool);
    core_pool_cleanup(&pool);
    free(from);
    free(to);
    free(subject);
    free(body);
    return 0;
}
