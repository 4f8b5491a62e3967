/*
 * This file implements the compiled searches of the SQLite backend
 * (sqlite.h): what a user's search text becomes, twice over. For the
 * full-text index, an FTS5 expression restricted to the owner's rows (each
 * word quoted, so nothing typed is FTS syntax, and prefix-matched). For a
 * row in hand, a test that gives the same answer as that expression: task.c
 * walks a common word's candidates in the list's own order and stops after a
 * page, instead of materialising and sorting every match (issue 14). Both
 * use the index's own tokenizer (migration 0002: unicode61, remove_diacritics
 * 2), so case, accents, separators and prefixes mean the same thing to each.
 */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/mem.h"
#include "store/sqlite/sqlite.h"

/* A list of tokens in one buffer: token i is text + off[i], len[i] bytes. */
typedef struct tokens {
    char *text;
    size_t used, cap;
    size_t *off, *len;
    size_t n, ncap;
} tokens_t;

typedef struct phrase {
    size_t first, n; /* its tokens in search->query; the last one is a prefix */
    char *probe;     /* its first token, NUL-terminated, when ASCII; else NULL */
} phrase_t;

struct store_sqlite_search {
    char *expr; /* the FTS5 expression (sqlite3_malloc'd) */
    fts5_tokenizer api;
    Fts5Tokenizer *tok; /* NULL: rows cannot be tested (task.c then asks the index) */
    tokens_t query;     /* every phrase's tokens, one after another */
    phrase_t *phrases;
    size_t nphrases;
    tokens_t row; /* scratch: the tokens of the column being tested */
};

static const char SQL_FTS5_API[] = "SELECT fts5(?1)";

static void tokenizer_open(store_sqlite_t *s, store_sqlite_search_t *x)
{
    static const char *args[] = {"remove_diacritics", "2"};
    fts5_api *fts = NULL;
    sqlite3_stmt *st;
    void *ud = NULL;

    x->tok = NULL;
    if (store_sqlite_prepare(s, SQL_FTS5_API, &st) != CORE_OK)
        return;
    sqlite3_bind_pointer(st, 1, (void *)&fts, "fts5_api_ptr", NULL);
    (void)sqlite3_step(st);
    sqlite3_clear_bindings(st);
    store_sqlite_reset(st);
    if (fts == NULL || fts->xFindTokenizer(fts, "unicode61", &ud, &x->api) != SQLITE_OK ||
        x->api.xCreate(ud, args, 2, &x->tok) != SQLITE_OK)
        x->tok = NULL;
}

static void tokens_push(tokens_t *t, const char *token, size_t len)
{
    if (t->used + len > t->cap) {
        t->cap = (t->used + len) * 2 + 64;
        t->text = core_realloc(t->text, t->cap);
    }
    if (t->n == t->ncap) {
        t->ncap = t->ncap * 2 + 16;
        t->off = core_realloc(t->off, t->ncap * sizeof(*t->off));
        t->len = core_realloc(t->len, t->ncap * sizeof(*t->len));
    }
    memcpy(t->text + t->used, token, len);
    t->off[t->n] = t->used;
    t->len[t->n++] = len;
    t->used += len;
}

static void tokens_free(tokens_t *t)
{
    free(t->text);
    free(t->off);
    free(t->len);
}

static int token_cb(void *ctx, int flags, const char *token, int len, int start, int end)
{
    (void)start, (void)end;
    if (!(flags & FTS5_TOKEN_COLOCATED) && len >= 0) /* unicode61 makes none; as FTS5 would, skip them */
        tokens_push(ctx, token, (size_t)len);
    return SQLITE_OK;
}

/* t: the tokens of text[0..n) as the index sees them (flags: FTS5_TOKENIZE_*). */
static void tokenize(store_sqlite_search_t *x, tokens_t *t, int flags, const char *text, size_t n)
{
    t->used = t->n = 0;
    if (n > 0)
        (void)x->api.xTokenize(x->tok, t, flags, text, (int)n, token_cb);
}

/* Whether word w[0..n) goes into the search: it has an ASCII letter or digit,
 * or (non-ASCII text) a token of the index's tokenizer. Punctuation and
 * symbols (an em dash, an emoji) are separators to the index: such a word
 * would be an empty phrase that matches nothing. Its phrase is appended to
 * x->phrases when rows can be tested. */
static bool add_word(store_sqlite_search_t *x, const char *w, size_t n)
{
    bool word = false, wide = false;
    size_t before = x->query.n;

    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)w[i];
        word |= (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z');
        wide |= c >= 0x80;
    }
    if (!word && !wide)
        return false;
    if (x->tok == NULL)
        return word || wide; /* no tokenizer: searched for as typed rather than dropped */
    /* appended after the phrases so far: tokenize() would start the list over */
    tokens_t one = {0};
    tokenize(x, &one, FTS5_TOKENIZE_QUERY | FTS5_TOKENIZE_PREFIX, w, n);
    for (size_t i = 0; i < one.n; i++)
        tokens_push(&x->query, one.text + one.off[i], one.len[i]);
    tokens_free(&one);
    if (x->query.n == before)
        return false;
    const char *first = x->query.text + x->query.off[before];
    size_t first_len = x->query.len[before];
    bool ascii = true;
    for (size_t i = 0; i < first_len; i++)
        ascii &= (unsigned char)first[i] < 0x80;
    x->phrases = core_realloc(x->phrases, (x->nphrases + 1) * sizeof(*x->phrases));
    x->phrases[x->nphrases++] = (phrase_t){
        .first = before, .n = x->query.n - before, .probe = ascii ? core_strndup(first, first_len) : NULL};
    return true;
}

int store_sqlite_search_compile(store_sqlite_t *s, const char *user_id, const char *text,
                                store_sqlite_search_t **out)
{
    store_sqlite_search_t *x = core_calloc(1, sizeof(*x));
    sqlite3_str *e = sqlite3_str_new(NULL);
    bool any = false;
    int err;

    *out = NULL;
    tokenizer_open(s, x);
    sqlite3_str_appendall(e, "owner : \"");
    for (const char *p = user_id; *p; p++)
        if (*p != '-')
            sqlite3_str_appendchar(e, 1, *p);
    sqlite3_str_appendall(e, "\" AND {title description tags} : (");
    for (const char *p = text; *p;) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
            p++;
        const char *w = p;
        while (*p && *p != ' ' && *p != '\t' && *p != '\n' && *p != '\r')
            p++;
        if (p == w || !add_word(x, w, (size_t)(p - w)))
            continue;
        sqlite3_str_appendall(e, any ? " AND \"" : "\"");
        for (; w < p; w++)
            sqlite3_str_appendchar(e, *w == '"' ? 2 : 1, *w); /* a quote doubled */
        sqlite3_str_appendall(e, "\"*");
        any = true;
    }
    sqlite3_str_appendchar(e, 1, ')');
    err = sqlite3_str_errcode(e);
    x->expr = sqlite3_str_finish(e);
    if (err != SQLITE_OK || x->expr == NULL || !any) {
        store_sqlite_search_free(x);
        return err == SQLITE_OK ? CORE_OK : CORE_E_INTERNAL;
    }
    *out = x;
    return CORE_OK;
}

const char *store_sqlite_search_expr(const store_sqlite_search_t *x)
{
    return x->expr;
}

bool store_sqlite_search_testable(const store_sqlite_search_t *x)
{
    return x->tok != NULL;
}

/* Whether phrase p occurs in x->row: its tokens in a row, the last a prefix. */
static bool phrase_in_row(const store_sqlite_search_t *x, const phrase_t *p)
{
    const tokens_t *q = &x->query, *r = &x->row;

    for (size_t i = 0; i + p->n <= r->n; i++) {
        size_t j = 0;
        for (; j < p->n; j++) {
            size_t qi = p->first + j, ql = q->len[qi], rl = r->len[i + j];
            bool last = j + 1 == p->n;
            if (last ? rl < ql : rl != ql)
                break;
            if (memcmp(q->text + q->off[qi], r->text + r->off[i + j], ql) != 0)
                break;
        }
        if (j == p->n)
            return true;
    }
    return false;
}

/* x->row: the tokens of the tags column as migration 0002 indexes it, the
 * tags joined with spaces. The stored JSON text tokenizes the same (quotes,
 * brackets and commas are separators, like the spaces), unless an escape
 * (\" \\ \n \uXXXX) is in it: then it is decoded first. */
static void tokenize_tags(store_sqlite_search_t *x, const char *json)
{
    if (strchr(json, '\\') == NULL) {
        tokenize(x, &x->row, FTS5_TOKENIZE_DOCUMENT, json, strlen(json));
        return;
    }
    json_t *a = json_loads(json, 0, NULL);
    tokens_t joined = {0};
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *v = json_array_get(a, i);
        if (!json_is_string(v))
            continue;
        if (joined.used > 0)
            tokens_push(&joined, " ", 1);
        tokens_push(&joined, json_string_value(v), json_string_length(v));
    }
    json_decref(a);
    tokenize(x, &x->row, FTS5_TOKENIZE_DOCUMENT, joined.text, joined.used);
    tokens_free(&joined);
}

/* Whether s is ASCII without a backslash (so no JSON escape either). */
static bool plain_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80 || *s == '\\')
            return false;
    return true;
}

/* A cheap no, before any tokenizing: in ASCII text every token is a run of
 * the text's letters and digits, lowercased, so a phrase's first token can
 * be in a column only as a case-insensitive substring of it. */
static bool surely_not(const store_sqlite_search_t *x, const char *const cols[3])
{
    for (int c = 0; c < 3; c++)
        if (cols[c] != NULL && !plain_ascii(cols[c]))
            return false;
    for (size_t i = 0; i < x->nphrases; i++) {
        const char *probe = x->phrases[i].probe;
        if (probe == NULL)
            continue;
        bool somewhere = false;
        for (int c = 0; c < 3 && !somewhere; c++)
            somewhere = cols[c] != NULL && strcasestr(cols[c], probe) != NULL;
        if (!somewhere)
            return true;
    }
    return false;
}

bool store_sqlite_search_matches(store_sqlite_search_t *x, const char *title, const char *description,
                                 const char *tags_json)
{
    bool found[64] = {false}, *seen;
    size_t left = x->nphrases;
    const char *cols[3] = {title, description, tags_json};

    if (surely_not(x, cols))
        return false;
    seen = x->nphrases <= 64 ? found : core_calloc(x->nphrases, sizeof(bool));
    for (int c = 0; c < 3 && left > 0; c++) {
        if (cols[c] == NULL)
            continue;
        if (c < 2)
            tokenize(x, &x->row, FTS5_TOKENIZE_DOCUMENT, cols[c], strlen(cols[c]));
        else
            tokenize_tags(x, cols[c]);
        for (size_t i = 0; i < x->nphrases; i++)
            if (!seen[i] && phrase_in_row(x, &x->phrases[i])) {
                seen[i] = true;
                left--;
            }
    }
    if (seen != found)
        free(seen);
    return left == 0;
}

void store_sqlite_search_free(store_sqlite_search_t *x)
{
    if (x == NULL)
        return;
    if (x->tok != NULL)
        x->api.xDelete(x->tok);
    sqlite3_free(x->expr);
    tokens_free(&x->query);
    tokens_free(&x->row);
    for (size_t i = 0; i < x->nphrases; i++)
        free(x->phrases[i].probe);
    free(x->phrases);
    free(x);
}
