/*
 * This file implements the liveness answers: GET / ("API Working", as the
 * original app) and GET /health, which checks the database and answers 503
 * "degraded" when it does not respond, so a load balancer stops sending
 * traffic here.
 */
#include "api/api.h"
#include "core/clock.h"
#include "core/error.h"

int api_root(api_req_t *req)
{
    req->reply_text = "API Working";
    return CORE_OK;
}

int api_health(api_req_t *req)
{
    char ts[32];
    bool db = store_ping(req->store) == CORE_OK;

    core_clock_iso8601(req->now_ms, ts);
    api_reply(req, json_pack("{s:s, s:s, s:{s:b}}", "status", db ? "healthy" : "degraded", "timestamp", ts,
                             "services", "database", db));
    req->status = db ? 200 : 503;
    return CORE_OK;
}
