/*
 * This file implements the lookups over the CORE_ERRORS table of error.h, so
 * the table stays the only place where codes, statuses and messages meet.
 */
#include "core/error.h"

static const struct {
    const char *name;
    int status;
    int legacy_status;
    const char *message;
} rows[] = {
    [CORE_ERROR_INDEX_OK_] = {"OK", 200, 200, "OK"},
#define CORE_ERROR_ROW(name, status, legacy, msg) [CORE_ERROR_INDEX_##name] = {#name, status, legacy, msg},
    CORE_ERRORS(CORE_ERROR_ROW)
#undef CORE_ERROR_ROW
};

static int index_of(int code)
{
    return (code <= 0 && code > -CORE_ERROR_INDEX_MAX_) ? -code : CORE_ERROR_INDEX_INTERNAL;
}

int core_error_status(int code)
{
    return rows[index_of(code)].status;
}

int core_error_status_legacy(int code)
{
    return rows[index_of(code)].legacy_status;
}

const char *core_error_message(int code)
{
    return rows[index_of(code)].message;
}

const char *core_error_name(int code)
{
    return rows[index_of(code)].name;
}
