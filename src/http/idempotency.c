/*
 * This file implements the Idempotency-Key phase of idempotency.h. begin
 * checks the header, fingerprints the request (BLAKE2b-256 of method, path
 * and body bytes) and asks the store to reserve the user's key: the store's
 * primary key lets one of two concurrent requests win, the other answers
 * 409. The winner runs; end stores its answer before it is sent, so a client
 * holding an answer always finds it on retry. An answer that is not the
 * request's final word (a 5xx, or 401/403/409/429) releases the key instead,
 * so a retry runs the request again; a reservation whose process died ends
 * with its lease. Expired keys are replaced when reused, and deleted in
 * batches by the reservation that finds the purge due (at most once per
 * min(IDEMPOTENCY_TTL_MS, 1 h) per process).
 */
#include "http/idempotency.h"

#include <sodium.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "core/error.h"
#include "core/log.h"
#include "http/exchange.h"

#define PURGE_INTERVAL_MAX_MS (60LL * 60 * 1000)
#define PURGE_BATCH 500

static _Atomic int64_t next_purge; /* wall-clock ms; 0: at the next reservation */

static bool applies(const http_exchange_t *x)
{
    return x->api.route->auth == API_AUTH_REQUIRED && x->api.authenticated &&
           (x->api.method & (API_POST | API_PUT | API_PATCH)) != 0;
}

/* The one Idempotency-Key header into *out; false when it is sent twice or
 * is not 1 to HTTP_IDEMPOTENCY_KEY_MAX printable ASCII characters. */
static bool read_key(h2o_req_t *req, h2o_iovec_t *out)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, H2O_STRLIT("idempotency-key"), -1);

    *out = h2o_iovec_init(NULL, 0);
    if (i < 0)
        return true;
    if (h2o_find_header_by_str(&req->headers, H2O_STRLIT("idempotency-key"), i) >= 0)
        return false;
    *out = req->headers.entries[i].value;
    if (out->len == 0 || out->len > HTTP_IDEMPOTENCY_KEY_MAX)
        return false;
    for (size_t k = 0; k < out->len; k++)
        if (out->base[k] < 0x20 || out->base[k] > 0x7e)
            return false;
    return true;
}

/* Hex BLAKE2b-256 of method, path and body: what "the same request" means. */
static const char *fingerprint(http_exchange_t *x)
{
    h2o_req_t *req = x->req;
    crypto_generichash_state st;
    unsigned char hash[STORE_IDEM_FINGERPRINT_LEN / 2];
    char *hex = core_pool_alloc(&x->pool, STORE_IDEM_FINGERPRINT_LEN + 1);

    crypto_generichash_init(&st, NULL, 0, sizeof(hash));
    crypto_generichash_update(&st, (const unsigned char *)req->method.base, req->method.len);
    crypto_generichash_update(&st, (const unsigned char *)"\n", 1);
    crypto_generichash_update(&st, (const unsigned char *)req->path_normalized.base,
                              req->path_normalized.len);
    crypto_generichash_update(&st, (const unsigned char *)"\n", 1);
    if (req->entity.base != NULL)
        crypto_generichash_update(&st, (const unsigned char *)req->entity.base, req->entity.len);
    crypto_generichash_final(&st, hash, sizeof(hash));
    sodium_bin2hex(hex, STORE_IDEM_FINGERPRINT_LEN + 1, hash, sizeof(hash));
    return hex;
}

/* Delete a batch of expired keys when due; a full batch leaves the purge
 * due, so the next reservation goes on. */
static void purge_if_due(http_exchange_t *x)
{
    int64_t now = x->api.now_ms, ttl = x->api.cfg->idempotency_ttl_ms, due = atomic_load(&next_purge);
    int64_t interval = ttl < PURGE_INTERVAL_MAX_MS ? ttl : PURGE_INTERVAL_MAX_MS;
    int deleted = 0;

    if (now < due || !atomic_compare_exchange_strong(&next_purge, &due, now + interval))
        return; /* not due, or another loop thread took this turn */
    if (store_idempotency_purge(x->thread->store, now, PURGE_BATCH, &deleted) == CORE_OK &&
        deleted == PURGE_BATCH)
        atomic_store(&next_purge, 0);
}

int http_idempotency_begin(http_exchange_t *x)
{
    const core_config_t *cfg = x->api.cfg;
    http_idempotency_t *idem = &x->idem;
    store_idem_answer_t answer;
    h2o_iovec_t key;
    int64_t lease = cfg->idempotency_ttl_ms < HTTP_IDEMPOTENCY_LEASE_MS ? cfg->idempotency_ttl_ms
                                                                        : HTTP_IDEMPOTENCY_LEASE_MS;
    int rc;

    if (!applies(x))
        return CORE_OK;
    if (!read_key(x->req, &key))
        return CORE_E_IDEMPOTENCY_KEY;
    if (key.len == 0)
        return CORE_OK;
    idem->key.user_id = x->api.claims.user_id;
    idem->key.key = core_pool_strndup(&x->pool, key.base, key.len);
    idem->key.fingerprint = fingerprint(x);
    randombytes_buf(&idem->key.token, sizeof(idem->key.token));
    idem->key.token &= INT64_MAX; /* positive: easier on the eyes in the database */
    rc = store_idempotency_begin(x->thread->store, &x->pool, &idem->key, x->api.now_ms, lease,
                                 cfg->idempotency_ttl_ms, &answer);
    if (rc != CORE_OK)
        return rc;
    purge_if_due(x);
    switch (answer.state) {
    case STORE_IDEM_RESERVED:
        idem->held = true;
        return CORE_OK;
    case STORE_IDEM_DONE:
        idem->replayed = true;
        x->api.status = answer.status;
        x->api.reply_text = answer.body;
        x->api.reply_len = answer.body_len;
        x->api.reply_type = "application/json; charset=utf-8";
        h2o_add_header_by_str(&x->req->pool, &x->req->res.headers, H2O_STRLIT("idempotent-replayed"), 0, NULL,
                              H2O_STRLIT("true"));
        return CORE_OK;
    case STORE_IDEM_RUNNING:
        return CORE_E_IDEMPOTENCY_IN_PROGRESS;
    case STORE_IDEM_MISMATCH:
        return CORE_E_IDEMPOTENCY_MISMATCH;
    }
    return CORE_E_INTERNAL;
}

/* Whether an answer of this (real, not legacy) status is the request's
 * final word: success, or a refusal of the request itself (400, 404...). */
static bool is_final(int status)
{
    return status < 500 && status != 401 && status != 403 && status != 409 && status != 429;
}

void http_idempotency_end(http_exchange_t *x, int status, const char *body, size_t len)
{
    http_idempotency_t *idem = &x->idem;
    int real = x->code == CORE_OK ? status : core_error_status(x->code), rc;

    if (!idem->held)
        return;
    idem->held = false;
    if (body == NULL)
        body = "", len = 0;
    if (is_final(real))
        rc = store_idempotency_finish(x->thread->store, &idem->key, status,
                                      core_pool_strndup(&x->pool, body, len), len);
    else
        rc = store_idempotency_release(x->thread->store, &idem->key);
    /* a retry then finds the key running until the lease ends, and runs it again */
    if (rc != CORE_OK)
        log_warn("idempotency key not settled", LOG_STR("error", core_error_name(rc)),
                 LOG_INT("status", status), LOG_BOOL("final", is_final(real)));
}
