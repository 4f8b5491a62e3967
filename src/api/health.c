/*
 * This file implements the health answers: GET / ("API Working", as the
 * original app), GET /health, which checks the database and answers 503
 * "degraded" when it does not respond, and the two probes an orchestrator
 * asks: /health/live (the process runs and every event loop has run within
 * LIVENESS_STALL_MS, so a probe answered by one loop, or by the metrics
 * listener, still fails when another is stuck) and
 * /health/ready (send traffic here: the database answers and the server is
 * not draining after SIGTERM). Migrations need no check of their own:
 * `serve` applies them before it listens, so a listening server has them.
 */
#include "api/api.h"
#include "core/clock.h"
#include "core/error.h"
#include "http/http.h"

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

int api_health_live(api_req_t *req)
{
    int loop = 0;
    int64_t late_ms = 0;
    bool live = http_server_live(&loop, &late_ms);

    api_reply(req, json_pack("{s:b}", "live", live));
    if (!live) {
        json_object_set_new(req->reply, "reason", json_string("event loop stalled"));
        json_object_set_new(req->reply, "loop", json_integer(loop));
        json_object_set_new(req->reply, "stalledMs", json_integer(late_ms));
        req->status = 503;
    }
    return CORE_OK;
}

int api_health_ready(api_req_t *req)
{
    bool draining = http_server_draining();
    bool ready = !draining && store_ping(req->store) == CORE_OK;

    api_reply(req, json_pack("{s:b}", "ready", ready));
    if (!ready)
        json_object_set_new(req->reply, "reason", json_string(draining ? "draining" : "database"));
    req->status = ready ? 200 : 503;
    return CORE_OK;
}
