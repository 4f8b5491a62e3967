/*
 * Shared by the import fuzz targets (import_json.c, import_bson.c): read one
 * document both as a user and as a task (src/ops/import/doc.c) and check
 * what an accepted one holds: ids that are valid UUIDv7s of the ObjectIds,
 * a normalized email and a bcrypt hash, texts within the API's limits and
 * valid UTF-8, enums in range, times in 1970-9999.
 */
#ifndef FUZZ_IMPORT_DOC_H
#define FUZZ_IMPORT_DOC_H

#include "api/input.h"
#include "core/str.h"
#include "fuzz.h"
#include "ops/import/import.h"
#include "store/task.h"

#define FUZZ_MAX_MS 253402300799999LL

static inline void fuzz_import_check(const bson_t *doc)
{
    core_pool_t pool;
    ops_import_user_t u;
    ops_import_task_t t;
    char why[512], *again;

    core_pool_init(&pool);
    if (ops_import_user_read(doc, &pool, &u, why, sizeof(why)) == 0) {
        FUZZ_CHECK(core_uuid_v7_time_ms(core_str_c(u.user.id)) == core_objectid_time_ms(u.oid), "user id %s", u.user.id);
        FUZZ_CHECK(api_input_email(&pool, core_str_c(u.user.email), &again) && strcmp(again, u.user.email) == 0,
                   "email \"%s\" is not normalized", u.user.email);
        FUZZ_CHECK(strlen(u.user.password_hash) == 60 && u.user.password_hash[0] == '$', "hash \"%s\"",
                   u.user.password_hash);
        FUZZ_CHECK(core_str_is_utf8(core_str_c(u.user.name)) && core_str_utf8_len(core_str_c(u.user.name)) <= API_NAME_MAX &&
                       core_str_utf8_len(core_str_c(u.user.name)) >= 1, "name \"%s\"", u.user.name);
        FUZZ_CHECK(u.user.created_at >= 0 && u.user.created_at <= FUZZ_MAX_MS && u.user.updated_at >= u.user.created_at,
                   "times %lld %lld", (long long)u.user.created_at, (long long)u.user.updated_at);
    } else {
        FUZZ_CHECK(core_str_is_utf8(core_str_c(why)), "a refusal's reason is not UTF-8");
    }
    if (ops_import_task_read(doc, &pool, &t, why, sizeof(why)) == 0) {
        const store_task_t *k = &t.task;
        FUZZ_CHECK(core_uuid_valid(core_str_c(k->id)) && core_uuid_valid(core_str_c(k->user_id)), "ids %s %s", k->id,
                   k->user_id);
        FUZZ_CHECK(core_str_utf8_len(core_str_c(k->title)) >= 1 &&
                       core_str_utf8_len(core_str_c(k->title)) <= STORE_TASK_TITLE_MAX && core_str_is_utf8(core_str_c(k->title)),
                   "title \"%s\" (%zu bytes)", k->title, strlen(k->title));
        FUZZ_CHECK(core_str_utf8_len(core_str_c(k->description)) <= STORE_TASK_DESCRIPTION_MAX, "description");
        FUZZ_CHECK(k->status >= 0 && k->status < STORE_TASK_STATUSES && k->priority >= 0 &&
                       k->priority < STORE_TASK_PRIORITIES, "status %d priority %d", k->status, k->priority);
        FUZZ_CHECK(k->tags_len <= STORE_TASK_TAGS_MAX, "%zu tags", k->tags_len);
        for (size_t i = 0; i < k->tags_len; i++) {
            FUZZ_CHECK(core_str_utf8_len(core_str_c(k->tags[i])) >= 1 &&
                           core_str_utf8_len(core_str_c(k->tags[i])) <= STORE_TASK_TAG_MAX, "tag \"%s\"", k->tags[i]);
            for (size_t j = 0; j < i; j++)
                FUZZ_CHECK(strcmp(k->tags[i], k->tags[j]) != 0, "tag \"%s\" repeated", k->tags[i]);
        }
        FUZZ_CHECK(k->due_date == STORE_TIME_NONE || (k->due_date >= 0 && k->due_date <= FUZZ_MAX_MS), "dueDate");
        FUZZ_CHECK(k->status == STORE_TASK_COMPLETED || k->completed_at == STORE_TIME_NONE, "completedAt when not completed");
    } else {
        FUZZ_CHECK(core_str_is_utf8(core_str_c(why)), "a refusal's reason is not UTF-8");
    }
    core_pool_cleanup(&pool);
}

#endif
