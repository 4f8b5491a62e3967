/*
 * This file implements ops_import_split (import.h): finding the documents of
 * a mongoexport file without parsing them, so that one malformed document is
 * one reject and the next one is still read. mongoexport writes one
 * document per line, or with --jsonArray one array of them; both are
 * top-level objects separated by whitespace (and, in an array, by commas).
 * A document ends at the brace that closes its first one, found by counting
 * braces and brackets outside strings. libbson then parses each one.
 */
#include "ops/import/import.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* The end (after its closing brace) of the object starting at data[i], or 0
 * when it never closes or holds more than OPS_IMPORT_DOC_MAX bytes. */
static size_t object_end(const char *data, size_t len, size_t i)
{
    size_t depth = 0, limit = len - i > OPS_IMPORT_DOC_MAX ? i + OPS_IMPORT_DOC_MAX : len;
    bool in_string = false;

    for (; i < limit; i++) {
        char c = data[i];
        if (in_string) {
            if (c == '\\')
                i++; /* the escaped character, whatever it is */
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if (c == '}' || c == ']') {
            if (depth == 0 || --depth == 0)
                return depth == 0 && c == '}' ? i + 1 : 0;
        }
    }
    return 0;
}

int ops_import_split(const char *data, size_t len, bool array, size_t *pos, size_t *start, size_t *end)
{
    size_t i = *pos;

    for (; i < len; i++) {
        char c = data[i];
        if (is_space(c) || (array && (c == '[' || c == ']' || c == ',')))
            continue;
        if (c == '{') {
            size_t e = object_end(data, len, i);
            if (e == 0) { /* never closes: the rest of the input is one bad span */
                *start = i;
                *end = *pos = len;
                return -1;
            }
            *start = i;
            *end = *pos = e;
            return 1;
        }
        /* something else between documents: skip to the end of its line */
        size_t j = i;
        while (j < len && data[j] != '\n')
            j++;
        *start = i;
        *end = *pos = j;
        return -1;
    }
    *pos = len;
    return 0;
}
