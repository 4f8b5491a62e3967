/*
 * This file implements the one SQL builder of task lists and totals
 * (task_sql.h) for SQLite and PostgreSQL, and the tags' encoding. The
 * statement is built from the filters present, so each shape gets the index
 * that serves it (every one leads with user_id); the backends prepare it
 * once per shape and bind the same numbered parameters. What differs between
 * the dialects is data, in the table below, side by side: the parameter
 * mark, how tags and search are matched, the sort keys' collations. The
 * shape of a statement (which conditions, which ORDER BY, keyset or offset)
 * is decided once, here. Statements grow in an sqlite3_str (libsqlite3 is
 * always linked), which records a failure instead of cutting the text short.
 */
#include "store/task_sql.h"

#include <jansson.h>
#include <sqlite3.h>
#include <string.h>

#include "core/error.h"
#include "core/mem.h"

#define NFILTERS 6 /* bits of enum store_task_filter */

typedef struct dialect {
    char mark;                            /* parameters are ?N or $N */
    const char *columns;                  /* the selected task columns */
    const char *user;                     /* the condition every statement starts with */
    const char *user_search_count;        /* the same, when a count has a search filter */
    const char *search_count;             /* a count with no filter but the search; NULL: as others */
    const char *filters[NFILTERS];        /* the condition of each filter, in bit order */
    const char *keys[STORE_TASK_SORTS];   /* each sort's key; NULL: id order (UUIDv7: created_at order) */
    const char *title_left, *title_right; /* the keyset comparison of the title sort */
} dialect_t;

static const dialect_t dialects[2] = {
    [STORE_TASK_SQL_SQLITE] =
        {
            .mark = '?',
            .columns = STORE_TASK_SQL_COLUMNS("tags"),
            .user = "user_id = ?1",
            /* counting search matches: drive from the full-text index (rowid
             * lookups of the matches) rather than walk every task of the user
             * checking membership; `+user_id` keeps the planner off that index */
            .user_search_count = "+user_id = ?1",
            /* the index alone: the owner is in the match expression, and a
             * trashed or deleted task has left the index with its row */
            .search_count = "SELECT count(*) FROM tasks_fts WHERE tasks_fts MATCH ?5",
            .filters = {"status = ?2", "priority = ?3",
                        "seq IN (SELECT task_seq FROM task_tags WHERE user_id = ?1 AND tag = ?4)",
                        "seq IN (SELECT rowid FROM tasks_fts WHERE tasks_fts MATCH ?5)", "due_date < ?6",
                        "due_date > ?7"},
            .keys = {NULL, "updated_at", "due_sort", "priority", "title COLLATE NOCASE"},
            /* the collation on the right, so the index seeks */
            .title_left = "title",
            .title_right = "?8 COLLATE NOCASE",
        },
    [STORE_TASK_SQL_POSTGRES] =
        {
            .mark = '$',
            .columns = STORE_TASK_SQL_COLUMNS("to_json(tags)"),
            .user = "user_id = $1",
            .user_search_count = "user_id = $1",
            /* search text goes to lsf_search_query() (migration 0002) as a
             * plain parameter: split into words and tokenized there, never
             * parsed as tsquery syntax */
            .filters = {"status = $2", "priority = $3", "tags @> ARRAY[$4]", "search @@ lsf_search_query($5)",
                        "due_date < $6", "due_date > $7"},
            /* title folds ASCII case only, like SQLite's NOCASE, bytewise beyond that */
            .keys = {NULL, "updated_at", "due_sort", "priority", "lower(title COLLATE \"C\")"},
            .title_left = "lower(title COLLATE \"C\")",
            .title_right = "lower($8 COLLATE \"C\")",
        },
};

unsigned store_task_sql_filters(const store_task_query_t *q)
{
    return (q->status >= 0 ? STORE_TASK_Q_STATUS : 0) | (q->priority >= 0 ? STORE_TASK_Q_PRIORITY : 0) |
           (q->tag != NULL ? STORE_TASK_Q_TAG : 0) | (q->search != NULL ? STORE_TASK_Q_SEARCH : 0) |
           (q->due_before != STORE_TIME_NONE ? STORE_TASK_Q_DUE_BEFORE : 0) |
           (q->due_after != STORE_TIME_NONE ? STORE_TASK_Q_DUE_AFTER : 0);
}

static void where_clause(sqlite3_str *s, const dialect_t *d, unsigned f, const char *user)
{
    sqlite3_str_appendall(s, " WHERE ");
    sqlite3_str_appendall(s, user);
    for (int i = 0; i < NFILTERS; i++)
        if (f & (1u << i))
            sqlite3_str_appendf(s, " AND %s", d->filters[i]);
}

static void count_sql(sqlite3_str *s, const dialect_t *d, unsigned f)
{
    if (f == STORE_TASK_Q_SEARCH && d->search_count != NULL)
        sqlite3_str_appendall(s, d->search_count);
    else if ((f & ~(unsigned)(STORE_TASK_Q_STATUS | STORE_TASK_Q_PRIORITY)) == 0) {
        sqlite3_str_appendall(s, "SELECT coalesce(sum(n), 0) FROM task_counts");
        where_clause(s, d, f, d->user);
    } else {
        sqlite3_str_appendall(s, "SELECT count(*) FROM tasks");
        where_clause(s, d, f, (f & STORE_TASK_Q_SEARCH) ? d->user_search_count : d->user);
    }
}

/* s's text into *sql, or CORE_E_INTERNAL when it could not all be had. */
static int finish(sqlite3_str *s, char **sql)
{
    int err = sqlite3_str_errcode(s);

    *sql = sqlite3_str_finish(s);
    if (err == SQLITE_OK && *sql != NULL)
        return CORE_OK;
    sqlite3_free(*sql);
    *sql = NULL;
    return CORE_E_INTERNAL;
}

int store_task_sql_list(int dialect, const store_task_query_t *q, bool with_total, char **sql)
{
    const dialect_t *d = &dialects[dialect];
    const char *key = d->keys[q->sort], *dir = q->desc ? " DESC" : "", *cmp = q->desc ? "<" : ">";
    unsigned f = store_task_sql_filters(q);
    char m = d->mark;
    sqlite3_str *s = sqlite3_str_new(NULL);

    sqlite3_str_appendf(s, "SELECT %s", d->columns);
    if (with_total) { /* a scalar subquery: run once, in the statement's snapshot */
        sqlite3_str_appendall(s, ", (");
        count_sql(s, d, f);
        sqlite3_str_appendall(s, ") AS total");
    }
    sqlite3_str_appendall(s, " FROM tasks");
    /* a search's page: from the index's matches too (the caller walks the
     * user's tasks itself where that is cheaper, sqlite/task.c), not a walk
     * of every task of the user checking membership */
    where_clause(s, d, f, (f & STORE_TASK_Q_SEARCH) ? d->user_search_count : d->user);

    /* priority fixed by the filter: id order is the order, and (user_id, priority, id) serves it */
    if (q->sort == STORE_SORT_PRIORITY && q->priority >= 0)
        key = NULL;
    if (q->after != NULL && key != NULL) {
        bool title = q->sort == STORE_SORT_TITLE;
        sqlite3_str_appendf(s, " AND (%s, id) %s (", title ? d->title_left : key, cmp);
        if (title)
            sqlite3_str_appendall(s, d->title_right);
        else
            sqlite3_str_appendf(s, "%c%d", m, STORE_TASK_P_KEY);
        sqlite3_str_appendf(s, ", %c%d)", m, STORE_TASK_P_ID);
    } else if (q->after != NULL) {
        sqlite3_str_appendf(s, " AND id %s %c%d", cmp, m, STORE_TASK_P_ID);
    }
    sqlite3_str_appendall(s, " ORDER BY ");
    if (key != NULL)
        sqlite3_str_appendf(s, "%s%s, ", key, dir);
    sqlite3_str_appendf(s, "id%s LIMIT %c%d", dir, m, STORE_TASK_P_LIMIT);
    if (q->after == NULL)
        sqlite3_str_appendf(s, " OFFSET %c%d", m, STORE_TASK_P_OFFSET);
    return finish(s, sql);
}

int store_task_sql_count(int dialect, const store_task_query_t *q, char **sql)
{
    sqlite3_str *s = sqlite3_str_new(NULL);

    count_sql(s, &dialects[dialect], store_task_sql_filters(q));
    return finish(s, sql);
}

void store_task_sql_free(char *sql)
{
    sqlite3_free(sql);
}

char *store_task_tags_encode(const store_task_t *t)
{
    json_t *a = json_array();
    size_t n;
    char *text;

    for (size_t i = 0; i < t->tags_len; i++)
        json_array_append_new(a, json_string(t->tags[i]));
    n = json_dumpb(a, NULL, 0, JSON_COMPACT); /* the size, so nothing is cut */
    text = core_malloc(n + 1);
    json_dumpb(a, text, n, JSON_COMPACT);
    text[n] = '\0';
    json_decref(a);
    return text;
}

/* The column as store_task_tags_encode() writes it when every tag is
 * printable ASCII without quote or backslash (["a","b"], no spaces):
 * the common case, read here without jansson's allocations. Anything else
 * (escapes, UTF-8, another writer's spacing) returns false untouched and
 * goes through json_loads(), so both paths give the same tags. */
static bool tags_decode_plain(core_pool_t *pool, const char *json, store_task_t *t)
{
    size_t n = 0;
    const char *p = json;

    if (*p++ != '[')
        return false;
    if (*p == ']') {
        if (p[1] != '\0')
            return false;
    } else {
        for (;;) {
            if (*p++ != '"')
                return false;
            while (*p >= 0x20 && *p < 0x7f && *p != '"' && *p != '\\')
                p++;
            if (*p++ != '"')
                return false;
            n++;
            if (*p == ']' && p[1] == '\0')
                break;
            if (*p++ != ',')
                return false;
        }
    }
    t->tags = core_pool_alloc(pool, (n + 1) * sizeof(*t->tags));
    t->tags_len = 0;
    for (p = json + 1; *p == '"'; p++) {
        const char *end = strchr(p + 1, '"');
        t->tags[t->tags_len++] = core_pool_strndup(pool, p + 1, (size_t)(end - p - 1));
        p = end + 1; /* ',' or ']' */
    }
    return true;
}

void store_task_tags_decode(core_pool_t *pool, const char *json, store_task_t *t)
{
    if (json != NULL && tags_decode_plain(pool, json, t))
        return;
    json_t *a = json != NULL ? json_loads(json, 0, NULL) : NULL;
    size_t n = json_array_size(a);

    t->tags = core_pool_alloc(pool, (n + 1) * sizeof(*t->tags));
    t->tags_len = 0;
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_array_get(a, i);
        if (json_is_string(v))
            t->tags[t->tags_len++] = core_pool_strndup(pool, json_string_value(v), json_string_length(v));
    }
    json_decref(a);
}
