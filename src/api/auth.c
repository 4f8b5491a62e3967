/*
 * This file implements the /api/auth/ endpoints: register, login, logout,
 * email verification and password reset, wire-compatible with the original
 * Express app (same paths, fields, messages and cookie). Register, login and
 * reset-password hash passwords, so their routes are marked slow and these
 * handlers run on worker threads; the others run on the event loop.
 *
 * send-reset-otp answers before it knows whether the email has an account:
 * it validates the address, answers, and leaves a job (api_job_t) that a
 * worker runs afterwards with its own store session: look the email up and,
 * for an account under its OTP_SEND_MAX, issue the code and queue the mail.
 * Known and unknown addresses therefore cost the request the same work, by
 * construction, and the answer cannot tell them apart, by content or timing.
 */
#include <sodium.h>
#include <stdio.h>

#include "api/api.h"
#include "api/input.h"
#include "auth/otp.h"
#include "auth/password.h"
#include "core/error.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/metrics.h"
#include "mail/outbox.h"
#include "mail/templates.h"

_Static_assert(API_JOB_ARG_MAX >= API_EMAIL_MAX, "a job's argument holds a normalized email");

/* Length checks shared by register and reset-password. */
static int check_password(api_req_t *req, core_str_t password)
{
    if (core_str_utf8_len(password) < AUTH_PASSWORD_MIN_LEN)
        return CORE_E_WEAK_PASSWORD;
    if (password.len > AUTH_PASSWORD_MAX_LEN || memchr(password.base, '\0', password.len) != NULL)
        return api_fail(req, CORE_E_VALIDATION, "Password must be at most %d bytes", AUTH_PASSWORD_MAX_LEN);
    return CORE_OK;
}

int api_auth_register(api_req_t *req)
{
    core_str_t name, email, password;
    store_user_t user = {0}, existing;
    mail_msg_t welcome;
    char hash[AUTH_PASSWORD_HASH_MAX], *normalized;
    int rc;

    if ((rc = api_input_string(req, "name", &name)) != CORE_OK ||
        (rc = api_input_string(req, "email", &email)) != CORE_OK ||
        (rc = api_input_string(req, "password", &password)) != CORE_OK)
        return rc;
    if (api_input_blank(name) || api_input_blank(email) || password.len == 0)
        return CORE_E_MISSING_DETAILS;
    name = core_str_trim(name);
    if (core_str_utf8_len(name) > API_NAME_MAX)
        return api_fail(req, CORE_E_VALIDATION, "Name must be at most %d characters", API_NAME_MAX);
    if (!api_input_email(req->pool, email, &normalized))
        return CORE_E_INVALID_EMAIL;
    if ((rc = check_password(req, password)) != CORE_OK)
        return rc;
    /* cheap refusal before the expensive hash; the unique index decides races */
    if ((rc = store_user_find_by_email(req->store, req->pool, normalized, &existing)) != CORE_E_NOT_FOUND)
        return rc == CORE_OK ? CORE_E_USER_EXISTS : rc;
    if ((rc = auth_password_hash(password.base, password.len, hash)) != CORE_OK)
        return rc;

    core_uuid_v7(req->now_ms, user.id);
    user.name = core_pool_cstr(req->pool, name);
    user.email = normalized;
    user.password_hash = hash;
    user.created_at = user.updated_at = req->now_ms;
    mail_template_welcome(req->pool, user.name, user.email, &welcome);
    if ((rc = store_user_create(req->store, &user, &welcome)) != CORE_OK)
        return rc;
    req->mail_queued = true;
    log_info("user registered", LOG_STR("user_id", user.id));
    if ((rc = api_session_start(req, user.id)) != CORE_OK)
        return rc;
    req->status = 201;
    return CORE_OK;
}

int api_auth_login(api_req_t *req)
{
    core_str_t email, password;
    store_user_t user;
    char *normalized;
    bool rehash = false;
    int rc;

    if ((rc = api_input_string(req, "email", &email)) != CORE_OK ||
        (rc = api_input_string(req, "password", &password)) != CORE_OK)
        return rc;
    if (api_input_blank(email) || password.len == 0)
        return CORE_E_LOGIN_FIELDS_REQUIRED;
    if (password.len > AUTH_PASSWORD_MAX_LEN)
        return CORE_E_INVALID_CREDENTIALS;
    /* an unknown email costs one hash like a known one, and gets the same answer */
    if (!api_input_email(req->pool, email, &normalized) ||
        (rc = store_user_find_by_email(req->store, req->pool, normalized, &user)) == CORE_E_NOT_FOUND) {
        auth_password_verify_dummy(password.base, password.len);
        return CORE_E_INVALID_CREDENTIALS;
    }
    if (rc != CORE_OK)
        return rc;
    if ((rc = auth_password_verify(user.password_hash, password.base, password.len, &rehash)) != CORE_OK)
        return rc;
    if (rehash) {
        char hash[AUTH_PASSWORD_HASH_MAX];
        if (auth_password_hash(password.base, password.len, hash) == CORE_OK &&
            store_user_set_password_hash(req->store, user.id, hash) == CORE_OK)
            log_info("password hash upgraded to argon2id", LOG_STR("user_id", user.id));
    }
    return api_session_start(req, user.id);
}

/* Every valid token the request presents is revoked, not only the one that
 * would authenticate it: a client holding a stale Bearer token and a live
 * cookie (or two cookies) is logged out of each. Tokens that do not verify
 * are skipped; those already revoked, or of a deleted account, are revoked
 * again, which is harmless. */
int api_auth_logout(api_req_t *req)
{
    auth_claims_t claims;
    int rc;

    for (size_t i = 0; i < req->ntokens; i++) {
        if (auth_jwt_verify_rotating(req->cfg->jwt_secret, req->cfg->jwt_secret_len, req->cfg->jwt_secret_previous,
                                     req->cfg->jwt_secret_previous_len, req->tokens[i], req->now_ms, &claims) != CORE_OK)
            continue;
        /* durable first; the store's write hook then revokes it in kv */
        if ((rc = store_token_revoke(req->store, claims.jti, claims.exp * 1000)) != CORE_OK)
            return rc; /* the cookie stays until the revocation is durable */
    }
    req->clear_token = true;
    api_reply(req, json_pack("{s:b, s:s}", "success", 1, "message", "Logged Out"));
    return CORE_OK;
}

int api_auth_is_auth(api_req_t *req)
{
    if (!req->authenticated)
        api_reply(req, json_pack("{s:b, s:s}", "success", 0, "message", core_error_message(CORE_E_NOT_AUTHORIZED)));
    return CORE_OK;
}

/* Issue an OTP of this purpose to user and queue the mail carrying it, at
 * now. CORE_E_NOT_FOUND when the account is gone meanwhile. */
static int send_otp(store_t *store, core_pool_t *pool, const store_user_t *user, enum store_otp_purpose purpose,
                    int64_t now)
{
    char code[AUTH_OTP_DIGITS + 1];
    uint8_t hash[STORE_OTP_HASH_LEN];
    mail_msg_t mail;
    int64_t ttl = purpose == STORE_OTP_VERIFY ? AUTH_OTP_VERIFY_TTL_MS : AUTH_OTP_RESET_TTL_MS;

    auth_otp_generate(code);
    auth_otp_hash(user->id, purpose, core_str_c(code), hash);
    if (purpose == STORE_OTP_VERIFY)
        mail_template_verify_otp(pool, user->name, user->email, code, &mail);
    else
        mail_template_reset_otp(pool, user->name, user->email, code, &mail);
    sodium_memzero(code, sizeof(code));
    return store_otp_put(store, user->id, purpose, hash, now + ttl, &mail);
}

/* Count one code for user_id and purpose against OTP_SEND_MAX per
 * OTP_SEND_WINDOW_MS, in the kv counters (shared by every instance of one
 * Redis). CORE_OK with *over (counted in otp_throttled_total) and *reset_at
 * (ms, the window's end), or the kv's error (a hit it could not count):
 * then nothing is sent. */
static int otp_throttle(kv_t *kv, const core_config_t *cfg, const char *user_id, enum store_otp_purpose purpose,
                        int64_t now, bool *over, int64_t *reset_at)
{
    char key[64];
    long count = 0;
    int rc;

    snprintf(key, sizeof(key), "otp:%s:%s", purpose == STORE_OTP_VERIFY ? "verify" : "reset", user_id);
    rc = kv_counter_hit(kv, key, cfg->otp_send_window_ms, cfg->otp_send_max, now, &count, reset_at);
    if (rc == CORE_E_NOT_FOUND)
        rc = CORE_OK; /* not counted by the operator's choice (REDIS_DOWN_RATE_LIMIT=open): no limit */
    *over = rc == CORE_OK && count > cfg->otp_send_max;
    if (*over)
        core_metrics_count(CORE_METRICS_OTP_THROTTLED);
    return rc;
}

/* Spend one attempt on the user's OTP and check code: CORE_OK with the hash
 * to consume, CORE_E_INVALID_OTP or CORE_E_OTP_EXPIRED. */
static int check_otp(api_req_t *req, const char *user_id, enum store_otp_purpose purpose, core_str_t code,
                     uint8_t hash[STORE_OTP_HASH_LEN])
{
    store_otp_t otp;
    int rc = store_otp_attempt(req->store, user_id, purpose, AUTH_OTP_MAX_ATTEMPTS, &otp);

    if (rc == CORE_E_NOT_FOUND)
        return CORE_E_INVALID_OTP;
    if (rc != CORE_OK)
        return rc;
    auth_otp_hash(user_id, purpose, core_str_trim(code), hash);
    if (!auth_otp_equal(hash, otp.hash))
        return CORE_E_INVALID_OTP;
    if (otp.expires_at < req->now_ms)
        return CORE_E_OTP_EXPIRED;
    return CORE_OK;
}

/* The signed-in user's row; a token for a deleted account is not a session. */
static int current_user(api_req_t *req, store_user_t *user)
{
    int rc = store_user_find_by_id(req->store, req->pool, req->claims.user_id, user);
    return rc == CORE_E_NOT_FOUND ? CORE_E_NOT_AUTHORIZED : rc;
}

/* The caller is signed in and knows their own address, so a throttled
 * request may say so: 429 with Retry-After. */
int api_auth_send_verify_otp(api_req_t *req)
{
    store_user_t user;
    int64_t reset_at = 0;
    bool over = false;
    int rc;

    if ((rc = current_user(req, &user)) != CORE_OK)
        return rc;
    if (user.is_account_verified)
        return CORE_E_ALREADY_VERIFIED;
    if ((rc = otp_throttle(req->kv, req->cfg, user.id, STORE_OTP_VERIFY, req->now_ms, &over, &reset_at)) != CORE_OK)
        return rc;
    if (over) {
        req->retry_after_ms = reset_at > req->now_ms ? reset_at - req->now_ms : 1;
        return api_fail(req, CORE_E_RATE_LIMITED, "Too many verification emails; please try again later.");
    }
    if ((rc = send_otp(req->store, req->pool, &user, STORE_OTP_VERIFY, req->now_ms)) != CORE_OK)
        return rc == CORE_E_NOT_FOUND ? CORE_E_NOT_AUTHORIZED : rc; /* the account is gone */
    req->mail_queued = true;
    api_reply(req, json_pack("{s:b, s:s}", "success", 1, "message", "Verification OTP Sent on Email"));
    return CORE_OK;
}

int api_auth_verify_account(api_req_t *req)
{
    core_str_t code;
    store_user_t user;
    uint8_t hash[STORE_OTP_HASH_LEN];
    int rc;

    if ((rc = api_input_string(req, "otp", &code)) != CORE_OK)
        return rc;
    if (api_input_blank(code))
        return CORE_E_MISSING_DETAILS;
    if ((rc = current_user(req, &user)) != CORE_OK)
        return rc;
    if (user.is_account_verified)
        return CORE_E_ALREADY_VERIFIED;
    if ((rc = check_otp(req, user.id, STORE_OTP_VERIFY, code, hash)) != CORE_OK)
        return rc;
    if ((rc = store_user_verify(req->store, user.id, hash)) != CORE_OK)
        return rc == CORE_E_NOT_FOUND ? CORE_E_INVALID_OTP : rc;
    api_reply(req, json_pack("{s:b, s:s}", "success", 1, "message", "Email verified successfully"));
    return CORE_OK;
}

/* The job of send-reset-otp, on a worker thread after the answer: for an
 * account of that email, under its OTP_SEND_MAX, a code and its mail. An
 * unknown email, a throttled account or a failure sends nothing; only the
 * log tells them apart (by user id, never the address). */
static void reset_otp_job(const api_job_t *job, store_t *store)
{
    core_pool_t pool;
    store_user_t user;
    int64_t reset_at = 0;
    bool over = false;
    int rc;

    core_pool_init(&pool);
    if ((rc = store_user_find_by_email(store, &pool, job->arg, &user)) != CORE_OK)
        goto out;
    if ((rc = otp_throttle(job->kv, job->cfg, user.id, STORE_OTP_RESET, job->now_ms, &over, &reset_at)) != CORE_OK)
        goto out;
    if (over) {
        log_info("password reset code not sent: OTP_SEND_MAX reached", LOG_STR("user_id", user.id));
        goto out;
    }
    if ((rc = send_otp(store, &pool, &user, STORE_OTP_RESET, job->now_ms)) == CORE_OK)
        mail_outbox_wake();
out:
    if (rc != CORE_OK && rc != CORE_E_NOT_FOUND)
        log_warn("password reset code not sent", LOG_STR("error", core_error_name(rc)));
    core_pool_cleanup(&pool);
}

/* The same answer and the same work for every well-formed address, known or
 * not: no look-up and no write before the answer (see the top of the file). */
int api_auth_send_reset_otp(api_req_t *req)
{
    core_str_t email;
    char *normalized;
    int rc;

    if ((rc = api_input_string(req, "email", &email)) != CORE_OK)
        return rc;
    if (api_input_blank(email))
        return CORE_E_EMAIL_REQUIRED;
    if (api_input_email(req->pool, email, &normalized)) {
        api_job_t *job = core_calloc(1, sizeof(*job));
        job->run = reset_otp_job;
        job->name = "send-reset-otp";
        job->cfg = req->cfg;
        job->kv = req->kv;
        job->now_ms = req->now_ms;
        snprintf(job->request_id, sizeof(job->request_id), "%s", req->request_id != NULL ? req->request_id : "");
        snprintf(job->arg, sizeof(job->arg), "%s", normalized);
        req->job = job;
    }
    api_reply(req, json_pack("{s:b, s:s}", "success", 1, "message", "OTP sent to your email"));
    return CORE_OK;
}

int api_auth_reset_password(api_req_t *req)
{
    core_str_t email, code, password;
    store_user_t user;
    uint8_t hash[STORE_OTP_HASH_LEN];
    char new_hash[AUTH_PASSWORD_HASH_MAX], *normalized;
    int rc;

    if ((rc = api_input_string(req, "email", &email)) != CORE_OK ||
        (rc = api_input_string(req, "otp", &code)) != CORE_OK ||
        (rc = api_input_string(req, "newPassword", &password)) != CORE_OK)
        return rc;
    if (api_input_blank(email) || api_input_blank(code) || password.len == 0)
        return CORE_E_RESET_FIELDS_REQUIRED;
    if ((rc = check_password(req, password)) != CORE_OK)
        return rc;
    if (!api_input_email(req->pool, email, &normalized))
        return CORE_E_INVALID_OTP;
    if ((rc = store_user_find_by_email(req->store, req->pool, normalized, &user)) != CORE_OK)
        return rc == CORE_E_NOT_FOUND ? CORE_E_INVALID_OTP : rc;
    if ((rc = check_otp(req, user.id, STORE_OTP_RESET, code, hash)) != CORE_OK)
        return rc;
    if ((rc = auth_password_hash(password.base, password.len, new_hash)) != CORE_OK)
        return rc;
    /* revoke first: a crash between the two leaves sessions revoked, never a reset with live sessions */
    if ((rc = store_user_sessions_revoke(req->store, user.id, req->now_ms)) != CORE_OK)
        return rc;
    if ((rc = store_user_reset_password(req->store, user.id, hash, new_hash)) != CORE_OK)
        return rc == CORE_E_NOT_FOUND ? CORE_E_INVALID_OTP : rc;
    log_info("password reset", LOG_STR("user_id", user.id));
    api_reply(req, json_pack("{s:b, s:s}", "success", 1, "message", "Password has been reset successfully"));
    return CORE_OK;
}
