/*
 * The SQL of task lists and their totals, for both backends: one builder
 * (task_sql.c) makes the statement for a query's filters, sort and paging
 * mode in either dialect, and the tags travel in one encoding (a JSON array
 * of strings) both ways in both. The backends bind the parameters below.
 */
#ifndef STORE_TASK_SQL_H
#define STORE_TASK_SQL_H

#include <stdbool.h>

#include "core/pool.h"
#include "store/task.h"

enum store_task_sql_dialect { STORE_TASK_SQL_SQLITE = 0, STORE_TASK_SQL_POSTGRES = 1 };

/* The filters a query may carry, one bit each; a set of them (with the sort,
 * direction and paging mode) is a statement shape. */
enum store_task_filter {
    STORE_TASK_Q_STATUS = 1 << 0,
    STORE_TASK_Q_PRIORITY = 1 << 1,
    STORE_TASK_Q_TAG = 1 << 2,
    STORE_TASK_Q_SEARCH = 1 << 3,
    STORE_TASK_Q_DUE_BEFORE = 1 << 4,
    STORE_TASK_Q_DUE_AFTER = 1 << 5,
};
#define STORE_TASK_Q_SHAPES (1 << 6) /* sets of filters */
#define STORE_TASK_SORTS 5           /* enum store_task_sort */

/* Parameter numbers of list and count statements (?N in SQLite, $N in
 * PostgreSQL). Search is the text in PostgreSQL, the FTS5 expression in
 * SQLite; key and id are the cursor's, limit is page size + 1. */
enum {
    STORE_TASK_P_USER = 1,
    STORE_TASK_P_STATUS,
    STORE_TASK_P_PRIORITY,
    STORE_TASK_P_TAG,
    STORE_TASK_P_SEARCH,
    STORE_TASK_P_DUE_BEFORE,
    STORE_TASK_P_DUE_AFTER,
    STORE_TASK_P_KEY,
    STORE_TASK_P_ID,
    STORE_TASK_P_LIMIT,
    STORE_TASK_P_OFFSET,
};
#define STORE_TASK_P_COUNT STORE_TASK_P_OFFSET

/* The columns a task row is selected as, tags being the expression that
 * yields them as JSON text; store_task_tags_decode() reads that column. */
#define STORE_TASK_SQL_COLUMNS(tags)                                                                         \
    "id, user_id, title, description, status, priority, due_date, " tags                                     \
    ", completed_at, created_at, updated_at"
#define STORE_TASK_SQL_NCOLUMNS 11

/* The enum store_task_filter bits of q's filters. */
unsigned store_task_sql_filters(const store_task_query_t *q);

/* The statement that lists q's page in dialect: the task columns, and with
 * with_total the number of tasks matching the filters as one more (last)
 * column. Returns CORE_OK with *sql a NUL-terminated string the caller frees
 * with store_task_sql_free(), or CORE_E_INTERNAL (out of memory; *sql NULL):
 * never a truncated statement. Pure; any thread. */
int store_task_sql_list(int dialect, const store_task_query_t *q, bool with_total, char **sql);

/* The statement that counts the tasks matching q's filters (one row, one
 * column): from the per-user counters when only status and priority filter.
 * Returns and frees as store_task_sql_list(). */
int store_task_sql_count(int dialect, const store_task_query_t *q, char **sql);

/* Free a statement of store_task_sql_list() or _count(); NULL is fine. */
void store_task_sql_free(char *sql);

/* t's tags as a compact JSON array, the text both backends store and bind.
 * Returns a string the caller frees with free(); aborts on out of memory. */
char *store_task_tags_encode(const store_task_t *t);

/* The tags of JSON array text (a column of STORE_TASK_SQL_COLUMNS) into
 * t->tags and t->tags_len, strings from pool. Text that is not an array
 * (NULL too) gives no tags, elements that are not strings are skipped. */
void store_task_tags_decode(core_pool_t *pool, const char *json, store_task_t *t);

#endif
