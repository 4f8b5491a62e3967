/*
 * This file implements password hashing for password.h. New hashes are
 * argon2id strings from libsodium at the configured cost; verification also
 * accepts the bcrypt hashes ($2a$, $2b$, $2y$) imported from the original
 * app, checked with libcrypt's crypt_r and compared in constant time, and
 * flags them for rehashing so api/auth.c upgrades them at the next login.
 * The dummy verify behind logins with an unknown email runs against an
 * argon2id hash made once, at the same cost as real ones. Each hash and
 * verify is a child span of the request being traced (trace/scope.h), named
 * the same whether the account exists or not, and carrying no outcome.
 */
#include "auth/password.h"

#include <crypt.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "core/mem.h"
#include "trace/export.h"
#include "trace/scope.h"

#define ARGON2ID_PREFIX "$argon2id$"

/* Written once at start-up, before worker threads exist; read-only after. */
static unsigned long long cost_ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
static size_t cost_mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char dummy_hash[AUTH_PASSWORD_HASH_MAX];

/* The span of one hash or verify begun at c, when recorded. */
static void span_end(const trace_child_t *c, const char *name, const char *algorithm)
{
    trace_span_t *s = trace_child_end(c, name, TRACE_KIND_INTERNAL);

    if (s == NULL)
        return;
    trace_span_attr_str(s, "auth.password.algorithm", core_str_c(algorithm));
    trace_export_submit(s);
}

void auth_password_configure(unsigned long long opslimit, size_t memlimit)
{
    cost_ops = opslimit;
    cost_mem = memlimit;
}

int auth_password_hash(const char *password, size_t len, char out[AUTH_PASSWORD_HASH_MAX])
{
    int rc = CORE_E_INTERNAL;

    out[0] = '\0';
    if ((password == NULL && len > 0) || len > AUTH_PASSWORD_MAX_LEN)
        goto out;
    trace_child_t span = trace_child_begin();
    if (crypto_pwhash_str_alg(out, password != NULL ? password : "", len, cost_ops, cost_mem,
                              crypto_pwhash_ALG_ARGON2ID13) != 0)
        out[0] = '\0';
    span_end(&span, "password hash", "argon2id");
    if (out[0] == '\0')
        goto out;
    rc = CORE_OK;
out:
    return rc;
}

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static bool is_bcrypt(const char *stored)
{
    return has_prefix(stored, "$2a$") || has_prefix(stored, "$2b$") || has_prefix(stored, "$2y$");
}

/* crypt_r needs a C string; a password with a NUL inside would be cut short
 * there and match a shorter one, so it never matches a bcrypt hash. */
static bool bcrypt_matches(const char *stored, const char *password, size_t len)
{
    struct crypt_data *data = NULL;
    char *pw = NULL;
    bool ok = false;

    if (len > 0 && memchr(password, '\0', len) != NULL)
        goto out;
    pw = core_malloc(len + 1);
    if (len > 0)
        memcpy(pw, password, len);
    pw[len] = '\0';
    data = core_calloc(1, sizeof(*data));
    const char *got = crypt_r(pw, stored, data);
    size_t stored_len = strlen(stored);
    ok = got != NULL && got[0] == '$' && strlen(got) == stored_len &&
         sodium_memcmp(got, stored, stored_len) == 0;
out:
    if (pw != NULL) {
        sodium_memzero(pw, len + 1);
        free(pw);
    }
    if (data != NULL) {
        sodium_memzero(data, sizeof(*data));
        free(data);
    }
    return ok;
}

int auth_password_verify(const char *stored, const char *password, size_t len, bool *needs_rehash)
{
    int rc = CORE_E_INVALID_CREDENTIALS;

    *needs_rehash = false;
    if (stored == NULL || (password == NULL && len > 0) || len > AUTH_PASSWORD_MAX_LEN)
        goto out;
    if (password == NULL)
        password = "";
    if (has_prefix(stored, ARGON2ID_PREFIX)) {
        trace_child_t span = trace_child_begin();
        bool ok = crypto_pwhash_str_verify(stored, password, len) == 0;
        span_end(&span, "password verify", "argon2id");
        if (!ok)
            goto out;
        *needs_rehash = crypto_pwhash_str_needs_rehash(stored, cost_ops, cost_mem) != 0;
    } else if (is_bcrypt(stored)) {
        trace_child_t span = trace_child_begin();
        bool ok = bcrypt_matches(stored, password, len);
        span_end(&span, "password verify", "bcrypt");
        if (!ok)
            goto out;
        *needs_rehash = true;
    } else {
        goto out;
    }
    rc = CORE_OK;
out:
    return rc;
}

static void dummy_init(void)
{
    unsigned char random_password[32];

    randombytes_buf(random_password, sizeof(random_password));
    if (crypto_pwhash_str_alg(dummy_hash, (const char *)random_password, sizeof(random_password), cost_ops,
                              cost_mem, crypto_pwhash_ALG_ARGON2ID13) != 0)
        dummy_hash[0] = '\0';
    sodium_memzero(random_password, sizeof(random_password));
}

void auth_password_verify_dummy(const char *password, size_t len)
{
    pthread_once(&dummy_once, dummy_init);
    if (password == NULL) {
        password = "";
        len = 0;
    }
    if (len > AUTH_PASSWORD_MAX_LEN)
        len = AUTH_PASSWORD_MAX_LEN;
    /* the result is meaningless: only the time spent matters */
    trace_child_t span = trace_child_begin();
    volatile int ignored = crypto_pwhash_str_verify(dummy_hash, password, len);
    (void)ignored;
    span_end(&span, "password verify", "argon2id"); /* as a real one: the span tells no unknown email apart */
}
