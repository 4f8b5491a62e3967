/*
 * This file implements `lsf-server user export EMAIL` and `user delete
 * EMAIL` (ops.h), the operator's side of GET /api/user/export and DELETE
 * /api/user: the same JSON (api/export.h), and the same deletion followed by
 * the same effects outside the database (sessions revoked, cached answers
 * dropped, through ops_user_sessions_end on the kv the servers share).
 */
#include <stdio.h>
#include <stdlib.h>

#include "api/export.h"
#include "api/input.h"
#include "core/clock.h"
#include "core/error.h"
#include "ops/ops.h"
#include "store/admin.h"

/* The account of email, or EXIT_FAILURE after saying why. */
static int find(const char *cmd, store_t *store, core_pool_t *pool, const char *email, store_user_t *user)
{
    char *normalized;
    int rc;

    if (!api_input_email(pool, core_str_c(email), &normalized)) {
        fprintf(stderr, "lsf-server user %s: \"%s\" is not an email address\n", cmd, email);
        return EXIT_FAILURE;
    }
    if ((rc = store_user_find_by_email(store, pool, normalized, user)) == CORE_E_NOT_FOUND)
        fprintf(stderr, "lsf-server user %s: no account has the email %s\n", cmd, normalized);
    else if (rc != CORE_OK)
        fprintf(stderr, "lsf-server user %s: the database failed (see the log above)\n", cmd);
    return rc == CORE_OK ? EXIT_SUCCESS : EXIT_FAILURE;
}

int ops_user_export(const core_config_t *cfg, const char *email)
{
    store_t *store = NULL;
    store_user_t user;
    api_json_out_t out;
    core_pool_t pool;
    int status = EXIT_FAILURE;
    size_t len;

    core_pool_init(&pool);
    if (store_open(cfg->database_url, &store) != CORE_OK) {
        fprintf(stderr, "lsf-server user export: cannot open the database\n");
        goto out;
    }
    if (find("export", store, &pool, email, &user) != EXIT_SUCCESS)
        goto out;
    api_json_out_init(&out, &pool, 4096);
    if (api_user_export_write(store, &pool, user.id, core_clock_now_ms(), &out) != CORE_OK) {
        fprintf(stderr, "lsf-server user export: reading the account failed\n");
        goto out;
    }
    const char *text = api_json_out_text(&out, &len);
    if (fwrite(text, 1, len, stdout) != len || fputc('\n', stdout) == EOF || fflush(stdout) != 0) {
        fprintf(stderr, "lsf-server user export: cannot write the export\n");
        goto out;
    }
    status = EXIT_SUCCESS;
out:
    store_close(store);
    core_pool_cleanup(&pool);
    return status;
}

int ops_user_delete(const core_config_t *cfg, const char *email)
{
    store_t *store = NULL;
    store_user_t user;
    core_pool_t pool;
    kv_t *kv = NULL;
    int status = EXIT_FAILURE, rc;

    core_pool_init(&pool);
    if (store_open(cfg->database_url, &store) != CORE_OK) {
        fprintf(stderr, "lsf-server user delete: cannot open the database\n");
        goto out;
    }
    if (find("delete", store, &pool, email, &user) != EXIT_SUCCESS || (kv = ops_kv_open(cfg, "user delete")) == NULL)
        goto out;
    if ((rc = store_user_delete(store, user.id, core_clock_now_ms())) != CORE_OK) {
        fprintf(stderr, "lsf-server user delete: %s\n",
                rc == CORE_E_NOT_FOUND ? "the account was deleted meanwhile" : "the database failed");
        goto out;
    }
    if (ops_user_sessions_end(cfg, kv, NULL, user.id, core_clock_now_ms()) != CORE_OK) {
        fprintf(stderr, "lsf-server user delete: the account is deleted, but revoking its sessions failed; its "
                        "tokens are refused anyway (no account)\n");
        goto out;
    }
    printf("deleted %s (%s), its tasks and sessions\n", user.email, user.id);
    status = EXIT_SUCCESS;
out:
    kv_destroy(kv);
    store_close(store);
    core_pool_cleanup(&pool);
    return status;
}
