/*
 * This file implements the message rendering of message.h: it checks every
 * value that reaches a header (the recipient, MAIL_FROM, the subject) so no
 * CR or LF can add a header, encodes non-ASCII header text as RFC 2047
 * encoded words, normalizes the body to CRLF lines and picks the transfer
 * encoding. Output grows in a malloc'd buffer and is copied into the
 * caller's pool once complete.
 */
#include "mail/message.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/error.h"
#include "core/mem.h"

#define LINE_MAX_OCTETS 998        /* RFC 5322 2.1.1, without the CRLF */
#define QP_LINE_MAX 76             /* RFC 2045 6.7, including the soft-break '=' */
#define SUBJECT_PLAIN_MAX (78 - 9) /* "Subject: " + text fits the recommended 78 */
#define NAME_PLAIN_MAX (78 - 6)    /* "From: " + a display name; longer ones are folded as encoded words */
#define WORD_BYTES 45              /* 60 base64 chars: "=?UTF-8?B?...?=" stays <= 75 (RFC 2047 2) */
#define MESSAGE_ID_BYTES 16

typedef struct {
    char *data;
    size_t len;
    size_t cap;
} buf_t;

static void buf_put(buf_t *b, const void *s, size_t n)
{
    if (n == 0)
        return;
    if (b->len + n > b->cap) {
        size_t cap = b->cap != 0 ? b->cap * 2 : 1024;
        while (cap < b->len + n)
            cap *= 2;
        b->data = core_realloc(b->data, cap);
        b->cap = cap;
    }
    memcpy(b->data + b->len, s, n);
    b->len += n;
}

static void buf_puts(buf_t *b, const char *s)
{
    buf_put(b, s, strlen(s));
}

static bool is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

static bool is_ascii(core_str_t s)
{
    for (size_t i = 0; i < s.len; i++)
        if ((unsigned char)s.base[i] >= 0x80)
            return false;
    return true;
}

/* RFC 5322 atext, plus the space between words of a phrase. */
static bool is_phrase_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' ||
           (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

bool mail_message_address_ok(const char *s)
{
    size_t n, at = 0, ats = 0;

    for (n = 0; s[n] != '\0'; n++) {
        unsigned char c = (unsigned char)s[n];
        if (c <= ' ' || c == 0x7f || strchr("<>(),;:\\\"[]", c) != NULL)
            return false;
        if (c == '@') {
            at = n;
            ats++;
        }
    }
    return ats == 1 && at > 0 && at + 1 < n && n <= 320;
}

const char *mail_message_address(core_pool_t *pool, const char *from)
{
    const char *lt = strrchr(from, '<'), *start = from, *end;
    char *addr = NULL;

    for (const char *p = from; *p != '\0'; p++)
        if (is_ctl((unsigned char)*p))
            goto out;
    if (lt != NULL) {
        start = lt + 1;
        end = strchr(start, '>');
        if (end == NULL || core_str_trim(core_str_c(end + 1)).len != 0)
            goto out;
    } else {
        core_str_t t = core_str_trim(core_str_c(from));
        start = t.base;
        end = t.base + t.len;
    }
    addr = core_pool_strndup(pool, start, (size_t)(end - start));
    if (!mail_message_address_ok(addr))
        addr = NULL;
out:
    return addr;
}

/* s (valid UTF-8) as encoded words folded onto continuation lines; a word
 * never splits a character, as RFC 2047 5 requires. */
static void put_encoded_words(buf_t *b, core_str_t s)
{
    char b64[sodium_base64_ENCODED_LEN(WORD_BYTES, sodium_base64_VARIANT_ORIGINAL)];
    size_t i = 0;

    while (i < s.len) {
        size_t n = s.len - i < WORD_BYTES ? s.len - i : WORD_BYTES;
        while (i + n < s.len && ((unsigned char)s.base[i + n] & 0xc0) == 0x80)
            n--;
        sodium_bin2base64(b64, sizeof(b64), (const unsigned char *)s.base + i, n,
                          sodium_base64_VARIANT_ORIGINAL);
        if (i > 0)
            buf_puts(b, "\r\n ");
        buf_puts(b, "=?UTF-8?B?");
        buf_puts(b, b64);
        buf_puts(b, "?=");
        i += n;
    }
}

/* Header text: as is when short plain ASCII, else encoded words. */
static void put_text(buf_t *b, core_str_t s, size_t plain_max)
{
    if (is_ascii(s) && s.len <= plain_max && memmem(s.base, s.len, "=?", 2) == NULL)
        buf_put(b, s.base, s.len);
    else
        put_encoded_words(b, s);
}

/* True when s is one RFC 5322 quoted-string: a quote, then text in which
 * every quote and backslash is escaped, then the closing quote. */
static bool is_quoted_string(core_str_t s)
{
    size_t i = 1;

    if (s.len < 2 || s.base[0] != '"')
        return false;
    while (i < s.len && s.base[i] != '"')
        i += s.base[i] == '\\' ? 2 : 1;
    return i == s.len - 1;
}

/* A display name (the content of a quoted one): atoms as is, other ASCII
 * quoted, the rest, and names too long for one line, encoded (encoded words
 * fold). Atoms that look like an encoded word ("=?") are quoted, where
 * RFC 2047 5 says no decoding happens, so the name shows as written. */
static void put_phrase(buf_t *b, core_str_t s)
{
    char *content = NULL;

    if (is_quoted_string(s)) { /* MAIL_FROM quoted the name: it means what is inside */
        size_t n = 0;
        content = core_malloc(s.len);
        for (size_t i = 1; i + 1 < s.len; i++) {
            if (s.base[i] == '\\')
                i++;
            content[n++] = s.base[i];
        }
        s = core_str(content, n);
    }
    bool atoms = memmem(s.base, s.len, "=?", 2) == NULL;
    for (size_t i = 0; i < s.len; i++)
        atoms = atoms && is_phrase_char(s.base[i]);
    if (!is_ascii(s) || s.len > NAME_PLAIN_MAX) {
        put_encoded_words(b, s);
    } else if (atoms) {
        buf_put(b, s.base, s.len);
    } else {
        buf_puts(b, "\"");
        for (size_t i = 0; i < s.len; i++) {
            if (s.base[i] == '"' || s.base[i] == '\\')
                buf_puts(b, "\\");
            buf_put(b, s.base + i, 1);
        }
        buf_puts(b, "\"");
    }
    free(content);
}

static int put_from(buf_t *b, const char *from, const char *addr)
{
    const char *lt = strrchr(from, '<');
    core_str_t name = lt != NULL ? core_str_trim(core_str(from, (size_t)(lt - from))) : CORE_STR_NULL;

    if (name.len > 0 && !core_str_is_utf8(name)) /* control characters were refused with the address */
        return CORE_E_VALIDATION;
    buf_puts(b, "From: ");
    if (name.len > 0) {
        put_phrase(b, name);
        buf_puts(b, " ");
    }
    buf_puts(b, "<");
    buf_puts(b, addr);
    buf_puts(b, ">\r\n");
    return CORE_OK;
}

static bool subject_ok(const char *subject)
{
    for (const char *p = subject; *p != '\0'; p++)
        if (is_ctl((unsigned char)*p))
            return false;
    return core_str_is_utf8(core_str_c(subject));
}

/* "Date: Wed, 25 Nov 2026 21:48:29 +0000" without the locale strftime uses. */
static void put_date(buf_t *b, int64_t ms)
{
    static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    char line[64];

    gmtime_r(&t, &tm);
    int n = snprintf(line, sizeof(line), "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday],
                     tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    buf_put(b, line, (size_t)n);
}

static void put_message_id(buf_t *b, const char *domain)
{
    unsigned char rnd[MESSAGE_ID_BYTES];
    char hex[MESSAGE_ID_BYTES * 2 + 1];

    randombytes_buf(rnd, sizeof(rnd));
    sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
    buf_puts(b, "Message-ID: <");
    buf_puts(b, hex);
    buf_puts(b, "@");
    buf_puts(b, domain);
    buf_puts(b, ">\r\n");
}

/* Body with every line ending (LF, CR, CRLF) as CRLF and a final CRLF;
 * *longest gets the longest line in octets. */
static void normalize_body(buf_t *out, const char *body, size_t *longest)
{
    size_t line = 0;

    *longest = 0;
    for (const char *p = body; *p != '\0'; p++) {
        if (*p == '\r' || *p == '\n') {
            if (*p == '\r' && p[1] == '\n')
                p++;
            buf_puts(out, "\r\n");
            line = 0;
            continue;
        }
        buf_put(out, p, 1);
        if (++line > *longest)
            *longest = line;
    }
    if (out->len > 0 && line > 0)
        buf_puts(out, "\r\n");
}

/* Quoted-printable (RFC 2045 6.7) of CRLF-normalized text. */
static void put_quoted_printable(buf_t *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t col = 0;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char tok[3];
        size_t n = 1;

        if (c == '\r') { /* always followed by '\n' after normalize_body */
            buf_puts(b, "\r\n");
            i++;
            col = 0;
            continue;
        }
        bool at_eol = i + 1 == len || s[i + 1] == '\r';
        if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_eol)) {
            tok[0] = (char)c;
        } else {
            tok[0] = '=';
            tok[1] = hex[c >> 4];
            tok[2] = hex[c & 15];
            n = 3;
        }
        if (col + n > QP_LINE_MAX - 1) {
            buf_puts(b, "=\r\n");
            col = 0;
        }
        buf_put(b, tok, n);
        col += n;
    }
}

/* The transfer-encoding header, the blank line and the body: 7bit or 8bit
 * when every line fits SMTP's limit, quoted-printable otherwise. */
static void put_body(buf_t *b, const char *body)
{
    buf_t norm = {0};
    size_t longest;

    normalize_body(&norm, body, &longest);
    if (longest > LINE_MAX_OCTETS) {
        buf_puts(b, "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
        put_quoted_printable(b, norm.data, norm.len);
    } else {
        buf_puts(b, is_ascii(core_str(norm.data, norm.len)) ? "Content-Transfer-Encoding: 7bit\r\n\r\n"
                                                            : "Content-Transfer-Encoding: 8bit\r\n\r\n");
        buf_put(b, norm.data, norm.len);
    }
    free(norm.data);
}

int mail_message_render(core_pool_t *pool, const char *from, const mail_msg_t *msg, core_str_t *out)
{
    buf_t b = {0};
    const char *addr;
    int rc = CORE_E_VALIDATION;

    if (msg->recipient == NULL || !mail_message_address_ok(msg->recipient) || msg->subject == NULL ||
        !subject_ok(msg->subject) || from == NULL || (addr = mail_message_address(pool, from)) == NULL)
        goto out;
    put_date(&b, msg->created_at != 0 ? msg->created_at : core_clock_now_ms());
    if ((rc = put_from(&b, from, addr)) != CORE_OK)
        goto out;
    buf_puts(&b, "To: ");
    buf_puts(&b, msg->recipient);
    buf_puts(&b, "\r\nSubject: ");
    put_text(&b, core_str_c(msg->subject), SUBJECT_PLAIN_MAX);
    buf_puts(&b, "\r\n");
    put_message_id(&b, strchr(addr, '@') + 1);
    buf_puts(&b, "Auto-Submitted: auto-generated\r\n"
                 "MIME-Version: 1.0\r\n"
                 "Content-Type: text/plain; charset=UTF-8\r\n");
    put_body(&b, msg->body != NULL ? msg->body : "");
    *out = core_str(core_pool_strndup(pool, b.data, b.len), b.len);
out:
    free(b.data);
    return rc;
}
