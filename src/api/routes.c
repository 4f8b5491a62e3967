/*
 * The route table: every endpoint with its methods, handler, authentication,
 * rate-limit class, body expectation and the service that owns it. The HTTP
 * pipeline reads these flags instead of handlers checking for themselves, and
 * tests compare this table with docs/openapi.yaml. Order matters where paths
 * overlap: literal segments before parameters.
 */
#include "api/api.h"

#define TASK_ROUTE(m, p, h, body) {m, p, p, h, API_AUTH_REQUIRED, API_RATE_API, body, false, API_SERVICE_TASKS, false}
#define TASK_WRITE(m, p, h, body) {m, p, p, h, API_AUTH_REQUIRED, API_RATE_API, body, false, API_SERVICE_TASKS, true}
#define AUTH_ROUTE(m, p, h, a, rate, body, slow) {m, p, p, h, a, rate, body, slow, API_SERVICE_AUTH, false}

const api_route_t api_routes[] = {
    {API_GET, "/", "/", api_root, API_AUTH_NONE, API_RATE_NONE, false, false, API_SERVICE_CORE, false},
    {API_GET, "/health", "/health", api_health, API_AUTH_NONE, API_RATE_NONE, false, false, API_SERVICE_CORE, false},
    {API_GET, "/health/live", "/health/live", api_health_live, API_AUTH_NONE, API_RATE_NONE, false, false,
     API_SERVICE_CORE, false},
    {API_GET, "/health/ready", "/health/ready", api_health_ready, API_AUTH_NONE, API_RATE_NONE, false, false,
     API_SERVICE_CORE, false},
    {API_GET, "/metrics", "/metrics", api_metrics, API_AUTH_METRICS, API_RATE_NONE, false, false,
     API_SERVICE_METRICS, false},

    /* Only the credential endpoints count failed attempts (API_RATE_AUTH): is-auth and
     * logout answer every page load and sign-out, and must work whatever a user mistyped. */
    /*         method    path                          handler                   auth            rate      body   slow */
    AUTH_ROUTE(API_POST, "/api/auth/register", api_auth_register, API_AUTH_NONE, API_RATE_AUTH, true, true),
    AUTH_ROUTE(API_POST, "/api/auth/login", api_auth_login, API_AUTH_NONE, API_RATE_AUTH, true, true),
    AUTH_ROUTE(API_POST, "/api/auth/logout", api_auth_logout, API_AUTH_OPTIONAL, API_RATE_COUNT_ONLY, false, false),
    AUTH_ROUTE(API_POST, "/api/auth/send-verify-otp", api_auth_send_verify_otp, API_AUTH_REQUIRED, API_RATE_AUTH, false,
               false),
    AUTH_ROUTE(API_POST, "/api/auth/verify-account", api_auth_verify_account, API_AUTH_REQUIRED, API_RATE_AUTH, true,
               false),
    AUTH_ROUTE(API_GET, "/api/auth/is-auth", api_auth_is_auth, API_AUTH_ASK, API_RATE_API, false, false),
    AUTH_ROUTE(API_POST, "/api/auth/send-reset-otp", api_auth_send_reset_otp, API_AUTH_NONE, API_RATE_AUTH, true, false),
    AUTH_ROUTE(API_POST, "/api/auth/reset-password", api_auth_reset_password, API_AUTH_NONE, API_RATE_AUTH, true, true),

    {API_GET, "/api/user/data", "/api/user/data", api_user_data, API_AUTH_REQUIRED, API_RATE_API, false, false,
     API_SERVICE_USER, false},
    /* slow: the export may be large, the deletion checks the password (a failed one counts as an auth failure) */
    {API_GET, "/api/user/export", "/api/user/export", api_user_export, API_AUTH_REQUIRED, API_RATE_API, false, true,
     API_SERVICE_USER, false},
    {API_DELETE, "/api/user", "/api/user", api_user_delete, API_AUTH_REQUIRED, API_RATE_AUTH, true, true,
     API_SERVICE_USER, false},

    TASK_ROUTE(API_GET, "/api/tasks", api_tasks_list, false),
    TASK_WRITE(API_POST, "/api/tasks", api_tasks_create, true),
    TASK_ROUTE(API_GET, "/api/tasks/stats", api_tasks_stats, false),
    TASK_ROUTE(API_GET, "/api/tasks/trash", api_tasks_trash, false),
    TASK_ROUTE(API_GET, "/api/tasks/:id", api_tasks_get, false),
    TASK_WRITE(API_PUT | API_PATCH, "/api/tasks/:id", api_tasks_update, true),
    TASK_WRITE(API_DELETE, "/api/tasks/:id", api_tasks_delete, false),
    TASK_WRITE(API_POST, "/api/tasks/:id/restore", api_tasks_restore, false),
};

const size_t api_routes_len = sizeof(api_routes) / sizeof(api_routes[0]);
