/*
 * Unit tests for src/auth/jwt.c: a signed token verifies and carries the
 * claims it was signed with; tokens forged here with libsodium's HMAC (so
 * every header and claim can be chosen) verify only when each claim is well
 * formed, and every defect (algorithm, crit header, signature, expiry, clock
 * skew, claim type, jti time, length, shape) is refused with
 * CORE_E_NOT_AUTHORIZED.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <sodium.h>

#include "auth/jwt.h"
#include "core/error.h"

#define KEY "0123456789abcdef0123456789abcdef-test-key"
#define KEY_LEN (sizeof(KEY) - 1)
#define NOW_MS 1767225600123LL /* 2026-01-01T00:00:00.123Z */
#define NOW_S (NOW_MS / 1000)
#define USER "0190f3c6-8d5e-7b1a-9c3d-4e5f6a7b8c9d"
#define HS256 "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

static char token_buf[8192];

static size_t b64url(char *out, size_t cap, const void *bin, size_t len)
{
    sodium_bin2base64(out, cap, bin, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return strlen(out);
}

/* header.payload.signature with any header and payload; alg picks the MAC
 * (256 or 512), 0 leaves the signature part as given in sig. */
static const char *forge(const char *header, const char *payload, const char *key, int alg, const char *sig)
{
    char *p = token_buf;
    size_t cap = sizeof(token_buf);
    size_t n = b64url(p, cap, header, strlen(header));
    p[n++] = '.';
    n += b64url(p + n, cap - n, payload, strlen(payload));
    if (alg == 256) {
        unsigned char mac[crypto_auth_hmacsha256_BYTES];
        crypto_auth_hmacsha256_state st;
        crypto_auth_hmacsha256_init(&st, (const unsigned char *)key, strlen(key));
        crypto_auth_hmacsha256_update(&st, (const unsigned char *)p, n);
        crypto_auth_hmacsha256_final(&st, mac);
        p[n++] = '.';
        n += b64url(p + n, cap - n, mac, sizeof(mac));
    } else if (alg == 512) {
        unsigned char mac[crypto_auth_hmacsha512_BYTES];
        crypto_auth_hmacsha512_state st;
        crypto_auth_hmacsha512_init(&st, (const unsigned char *)key, strlen(key));
        crypto_auth_hmacsha512_update(&st, (const unsigned char *)p, n);
        crypto_auth_hmacsha512_final(&st, mac);
        p[n++] = '.';
        n += b64url(p + n, cap - n, mac, sizeof(mac));
    } else {
        snprintf(p + n, cap - n, ".%s", sig);
    }
    return token_buf;
}

/* Claims as sign would make them at NOW_MS, with a fresh jti. */
static const char *good_payload(char *buf, size_t cap)
{
    char jti[CORE_UUID_LEN + 1];
    core_uuid_v7(NOW_MS, jti);
    snprintf(buf, cap, "{\"id\":\"%s\",\"jti\":\"%s\",\"iat\":%lld,\"exp\":%lld}", USER, jti, NOW_S,
             NOW_S + AUTH_JWT_TTL_MS / 1000);
    return buf;
}

static int verify_at(const char *token, int64_t now_ms)
{
    auth_claims_t c;
    int rc = auth_jwt_verify(KEY, KEY_LEN, core_str_c(token), now_ms, &c);
    if (rc != CORE_OK)
        assert_string_equal(c.user_id, ""); /* nothing leaks out of a refused token */
    return rc;
}

static int setup(void **state)
{
    (void)state;
    return sodium_init() < 0 ? -1 : 0;
}

static void test_sign_verify_roundtrip(void **state)
{
    (void)state;
    core_pool_t pool;
    char *token;
    auth_claims_t signed_c, got;

    core_pool_init(&pool);
    assert_int_equal(auth_jwt_sign(KEY, KEY_LEN, USER, NOW_MS, &pool, &token, &signed_c), CORE_OK);
    assert_non_null(token);
    assert_true(strlen(token) < AUTH_JWT_MAX_LEN);
    assert_string_equal(signed_c.user_id, USER);
    assert_true(core_uuid_valid(core_str_c(signed_c.jti)));
    assert_int_equal(core_uuid_v7_time_ms(core_str_c(signed_c.jti)), NOW_MS);
    assert_int_equal(signed_c.issued_at_ms, NOW_MS);
    assert_int_equal(signed_c.iat, NOW_S);
    assert_int_equal(signed_c.exp, NOW_S + 7 * 24 * 3600);

    assert_int_equal(auth_jwt_verify(KEY, KEY_LEN, core_str_c(token), NOW_MS, &got), CORE_OK);
    assert_string_equal(got.user_id, USER);
    assert_string_equal(got.jti, signed_c.jti);
    assert_int_equal(got.issued_at_ms, NOW_MS);
    assert_int_equal(got.iat, signed_c.iat);
    assert_int_equal(got.exp, signed_c.exp);

    /* two tokens for the same user at the same time still differ by jti */
    char *token2;
    assert_int_equal(auth_jwt_sign(KEY, KEY_LEN, USER, NOW_MS, &pool, &token2, NULL), CORE_OK);
    assert_string_not_equal(token, token2);
    core_pool_cleanup(&pool);
}

static void test_forged_with_right_key_verifies(void **state)
{
    (void)state;
    char payload[256];
    /* proves forge() builds what libjwt accepts, so the refusals below are about the defect */
    assert_int_equal(verify_at(forge(HS256, good_payload(payload, sizeof(payload)), KEY, 256, NULL), NOW_MS),
                     CORE_OK);
    assert_int_equal(verify_at(forge("{\"alg\":\"HS256\"}", payload, KEY, 256, NULL), NOW_MS), CORE_OK);
}

static void test_expiry_boundary(void **state)
{
    (void)state;
    core_pool_t pool;
    char *token;
    auth_claims_t c;

    core_pool_init(&pool);
    assert_int_equal(auth_jwt_sign(KEY, KEY_LEN, USER, NOW_MS, &pool, &token, &c), CORE_OK);
    assert_int_equal(verify_at(token, c.exp * 1000 - 1), CORE_OK);
    assert_int_equal(verify_at(token, c.exp * 1000), CORE_E_NOT_AUTHORIZED);
    assert_int_equal(verify_at(token, c.exp * 1000 + 86400000), CORE_E_NOT_AUTHORIZED);
    core_pool_cleanup(&pool);
}

static void test_issued_in_future(void **state)
{
    (void)state;
    core_pool_t pool;
    char *token;

    core_pool_init(&pool);
    assert_int_equal(auth_jwt_sign(KEY, KEY_LEN, USER, NOW_MS + 59000, &pool, &token, NULL), CORE_OK);
    assert_int_equal(verify_at(token, NOW_MS), CORE_OK);
    assert_int_equal(auth_jwt_sign(KEY, KEY_LEN, USER, NOW_MS + 62000, &pool, &token, NULL), CORE_OK);
    assert_int_equal(verify_at(token, NOW_MS), CORE_E_NOT_AUTHORIZED);
    core_pool_cleanup(&pool);
}

static void test_wrong_key_and_tampering(void **state)
{
    (void)state;
    core_pool_t pool;
    char *token, payload[256];
    auth_claims_t c;

    core_pool_init(&pool);
    assert_int_equal(auth_jwt_sign(KEY, KEY_LEN, USER, NOW_MS, &pool, &token, NULL), CORE_OK);
    assert_int_equal(
        auth_jwt_verify("another key, long enough to be real", 35, core_str_c(token), NOW_MS, &c),
        CORE_E_NOT_AUTHORIZED);
    assert_int_equal(
        verify_at(forge(HS256, good_payload(payload, sizeof(payload)), "not the key", 256, NULL), NOW_MS),
        CORE_E_NOT_AUTHORIZED);

    /* flip one character of the signature, then of the payload */
    char *copy = core_pool_strdup(&pool, token);
    size_t len = strlen(copy);
    copy[len - 2] = copy[len - 2] == 'A' ? 'B' : 'A';
    assert_int_equal(verify_at(copy, NOW_MS), CORE_E_NOT_AUTHORIZED);
    copy = core_pool_strdup(&pool, token);
    char *dot = strchr(copy, '.');
    dot[3] = dot[3] == 'A' ? 'B' : 'A';
    assert_int_equal(verify_at(copy, NOW_MS), CORE_E_NOT_AUTHORIZED);

    /* an empty key would make libjwt skip the signature check */
    assert_int_equal(auth_jwt_verify(KEY, 0, core_str_c(token), NOW_MS, &c), CORE_E_NOT_AUTHORIZED);
    assert_int_equal(auth_jwt_verify(NULL, 0, core_str_c(token), NOW_MS, &c), CORE_E_NOT_AUTHORIZED);
    core_pool_cleanup(&pool);
}

/* A token verified once is remembered by its thread (jwt_cache.c): what it
 * answers next must be what a full verification would. */
static void test_verified_token_remembered(void **state)
{
    (void)state;
    core_pool_t pool;
    char *token, *copy;
    auth_claims_t signed_c, got;

    core_pool_init(&pool);
    assert_int_equal(auth_jwt_sign(KEY, KEY_LEN, USER, NOW_MS, &pool, &token, &signed_c), CORE_OK);
    for (int i = 0; i < 3; i++) {
        memset(&got, 0x5a, sizeof(got));
        assert_int_equal(auth_jwt_verify(KEY, KEY_LEN, core_str_c(token), NOW_MS + i, &got), CORE_OK);
        assert_string_equal(got.user_id, USER);
        assert_string_equal(got.jti, signed_c.jti);
        assert_int_equal(got.issued_at_ms, NOW_MS);
        assert_int_equal(got.iat, NOW_S);
        assert_int_equal(got.exp, NOW_S + 7 * 24 * 3600);
    }
    /* not under another key, nor under a prefix of the same key */
    assert_int_equal(auth_jwt_verify("another key, long enough to be real", 35, core_str_c(token), NOW_MS, &got),
                     CORE_E_NOT_AUTHORIZED);
    assert_string_equal(got.user_id, "");
    assert_int_equal(auth_jwt_verify(KEY, KEY_LEN - 1, core_str_c(token), NOW_MS, &got), CORE_E_NOT_AUTHORIZED);
    /* not with one character changed, nor as a prefix of itself */
    copy = core_pool_strdup(&pool, token);
    copy[strlen(copy) - 2] = copy[strlen(copy) - 2] == 'A' ? 'B' : 'A';
    assert_int_equal(verify_at(copy, NOW_MS), CORE_E_NOT_AUTHORIZED);
    assert_int_equal(auth_jwt_verify(KEY, KEY_LEN, core_str(token, strlen(token) - 1), NOW_MS, &got),
                     CORE_E_NOT_AUTHORIZED);
    /* expiry is checked on every request, remembered or not */
    assert_int_equal(verify_at(token, signed_c.exp * 1000), CORE_E_NOT_AUTHORIZED);
    assert_int_equal(verify_at(token, NOW_MS), CORE_OK);

    /* issued 62 s ahead: fine once our clock is 10 s on, refused again at NOW (clock stepped back) */
    assert_int_equal(auth_jwt_sign(KEY, KEY_LEN, USER, NOW_MS + 62000, &pool, &token, NULL), CORE_OK);
    assert_int_equal(verify_at(token, NOW_MS + 10000), CORE_OK);
    assert_int_equal(verify_at(token, NOW_MS), CORE_E_NOT_AUTHORIZED);
    core_pool_cleanup(&pool);
}

static void test_other_algorithms_refused(void **state)
{
    (void)state;
    char payload[256];
    good_payload(payload, sizeof(payload));

    assert_int_equal(verify_at(forge("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, KEY, 0, ""), NOW_MS),
                     CORE_E_NOT_AUTHORIZED);
    assert_int_equal(verify_at(forge("{\"alg\":\"none\",\"typ\":\"JWT\"}", payload, KEY, 0, "c2ln"), NOW_MS),
                     CORE_E_NOT_AUTHORIZED);
    assert_int_equal(verify_at(forge("{\"alg\":\"none\"}", payload, KEY, 256, NULL), NOW_MS),
                     CORE_E_NOT_AUTHORIZED);
    assert_int_equal(verify_at(forge("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", payload, KEY, 512, NULL), NOW_MS),
                     CORE_E_NOT_AUTHORIZED);
    /* the HS256 MAC under another algorithm's name (alg confusion) */
    assert_int_equal(verify_at(forge("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", payload, KEY, 256, NULL), NOW_MS),
                     CORE_E_NOT_AUTHORIZED);
    assert_int_equal(verify_at(forge("{\"alg\":\"HS384\",\"typ\":\"JWT\"}", payload, KEY, 256, NULL), NOW_MS),
                     CORE_E_NOT_AUTHORIZED);
    assert_int_equal(verify_at(forge("{\"typ\":\"JWT\"}", payload, KEY, 256, NULL), NOW_MS),
                     CORE_E_NOT_AUTHORIZED);
    assert_int_equal(verify_at(forge("{\"alg\":\"HS256\",\"typ\":\"JWE\"}", payload, KEY, 256, NULL), NOW_MS),
                     CORE_E_NOT_AUTHORIZED);
    /* algorithm names are case-sensitive (RFC 7518 3.1); libjwt's lookup is not */
    assert_int_equal(verify_at(forge("{\"alg\":\"hS256\",\"typ\":\"JWT\"}", payload, KEY, 256, NULL), NOW_MS),
                     CORE_E_NOT_AUTHORIZED);
    assert_int_equal(verify_at(forge("{\"alg\":\"hs256\"}", payload, KEY, 256, NULL), NOW_MS),
                     CORE_E_NOT_AUTHORIZED);
}

/* RFC 7515 4.1.11: critical extensions we do not understand (all of them)
 * are refused, even in a token signed with the right key. */
static void test_crit_header_refused(void **state)
{
    (void)state;
    char payload[256];
    static const char *const headers[] = {
        "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"crit\":[\"exp\"]}",
        "{\"alg\":\"HS256\",\"crit\":[\"x-scope\"],\"x-scope\":\"admin\"}",
        "{\"alg\":\"HS256\",\"crit\":[]}",
        "{\"alg\":\"HS256\",\"crit\":null}",
        "{\"alg\":\"HS256\",\"crit\":\"b64\"}",
        "{\"crit\":[\"b64\"],\"b64\":false,\"alg\":\"HS256\"}",
    };

    good_payload(payload, sizeof(payload));
    for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++)
        assert_int_equal(verify_at(forge(headers[i], payload, KEY, 256, NULL), NOW_MS), CORE_E_NOT_AUTHORIZED);
    /* control: the same header without crit */
    assert_int_equal(verify_at(forge("{\"alg\":\"HS256\",\"x-scope\":\"admin\"}", payload, KEY, 256, NULL), NOW_MS),
                     CORE_OK);
}

static void check_claims_refused(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void check_claims_refused(const char *fmt, ...)
{
    char payload[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(payload, sizeof(payload), fmt, ap);
    va_end(ap);
    int rc = verify_at(forge(HS256, payload, KEY, 256, NULL), NOW_MS);
    if (rc != CORE_E_NOT_AUTHORIZED)
        print_error("accepted claims %s\n", payload);
    assert_int_equal(rc, CORE_E_NOT_AUTHORIZED);
}

static void test_claim_defects(void **state)
{
    (void)state;
    char jti[CORE_UUID_LEN + 1], late[CORE_UUID_LEN + 1];
    core_uuid_v7(NOW_MS, jti);
    core_uuid_v7(NOW_MS + 1000, late);

    /* NOW_S = 1767225600, exp = NOW_S + 604800 = 1767830400 */
    check_claims_refused("{\"jti\":\"%s\",\"iat\":1767225600,\"exp\":1767830400}", jti);
    check_claims_refused(
        "{\"id\":\"65a1b2c3d4e5f60718293a4b\",\"jti\":\"%s\",\"iat\":1767225600,\"exp\":1767830400}", jti);
    check_claims_refused("{\"id\":\"0190F3C6-8D5E-7B1A-9C3D-4E5F6A7B8C9D\",\"jti\":\"%s\",\"iat\":1767225600,"
                         "\"exp\":1767830400}",
                         jti);
    check_claims_refused("{\"id\":7,\"jti\":\"%s\",\"iat\":1767225600,\"exp\":1767830400}", jti);
    check_claims_refused("{\"id\":\"" USER "\",\"iat\":1767225600,\"exp\":1767830400%s}", "");
    /* a v4 jti carries no time */
    check_claims_refused("{\"id\":\"" USER "\",\"jti\":\"%s\",\"iat\":1767225600,\"exp\":1767830400}",
                         "0190f3c6-8d5e-4b1a-9c3d-4e5f6a7b8c9d");
    /* jti time one second after iat */
    check_claims_refused("{\"id\":\"" USER "\",\"jti\":\"%s\",\"iat\":1767225600,\"exp\":1767830400}", late);
    check_claims_refused("{\"id\":\"" USER "\",\"jti\":\"%s\",\"iat\":\"1767225600\",\"exp\":1767830400}",
                         jti);
    check_claims_refused("{\"id\":\"" USER "\",\"jti\":\"%s\",\"iat\":1767225600,\"exp\":1767830400.5}", jti);
    check_claims_refused("{\"id\":\"" USER "\",\"jti\":\"%s\",\"iat\":1767225600,\"exp\":true}", jti);
    check_claims_refused("{\"id\":\"" USER "\",\"jti\":\"%s\",\"iat\":1767225600}", jti);
    check_claims_refused("{\"id\":\"" USER "\",\"jti\":\"%s\",\"exp\":1767830400}", jti);
    /* longer than the token lifetime */
    check_claims_refused("{\"id\":\"" USER "\",\"jti\":\"%s\",\"iat\":1767225600,\"exp\":1767830401}", jti);
    check_claims_refused("{\"id\":\"" USER "\",\"jti\":\"%s\",\"iat\":1767225600,\"exp\":-1}", jti);
    check_claims_refused("[\"%s\"]", jti);
}

static void test_length_and_shape(void **state)
{
    (void)state;
    core_pool_t pool;
    char *token, *big, payload[AUTH_JWT_MAX_LEN + 256];
    auth_claims_t c;

    core_pool_init(&pool);
    assert_int_equal(auth_jwt_sign(KEY, KEY_LEN, USER, NOW_MS, &pool, &token, NULL), CORE_OK);
    size_t len = strlen(token);

    /* a valid token with a padding claim: fine below the limit, refused above it */
    char jti[CORE_UUID_LEN + 1];
    core_uuid_v7(NOW_MS, jti);
    int n = snprintf(payload, sizeof(payload),
                     "{\"id\":\"%s\",\"jti\":\"%s\",\"iat\":%lld,\"exp\":%lld,\"pad\":\"", USER, jti, NOW_S,
                     NOW_S + 604800);
    memset(payload + n, 'x', 2800);
    strcpy(payload + n + 2800, "\"}");
    assert_int_equal(verify_at(forge(HS256, payload, KEY, 256, NULL), NOW_MS), CORE_OK);
    memset(payload + n, 'x', 3200);
    strcpy(payload + n + 3200, "\"}");
    const char *long_token = forge(HS256, payload, KEY, 256, NULL);
    assert_true(strlen(long_token) > AUTH_JWT_MAX_LEN);
    assert_int_equal(verify_at(long_token, NOW_MS), CORE_E_NOT_AUTHORIZED);

    /* the slice's length is what counts: trailing bytes outside it are ignored */
    big = core_pool_alloc(&pool, len + 8);
    memcpy(big, token, len);
    memcpy(big + len, "garbage", 8);
    assert_int_equal(auth_jwt_verify(KEY, KEY_LEN, core_str(big, len), NOW_MS, &c), CORE_OK);
    assert_int_equal(auth_jwt_verify(KEY, KEY_LEN, core_str(big, len + 7), NOW_MS, &c),
                     CORE_E_NOT_AUTHORIZED);
    big[len] = '\0';
    assert_int_equal(auth_jwt_verify(KEY, KEY_LEN, core_str(big, len + 1), NOW_MS, &c),
                     CORE_E_NOT_AUTHORIZED);
    big[len] = ' ';
    assert_int_equal(auth_jwt_verify(KEY, KEY_LEN, core_str(big, len + 1), NOW_MS, &c),
                     CORE_E_NOT_AUTHORIZED);
    big[len] = '.';
    assert_int_equal(auth_jwt_verify(KEY, KEY_LEN, core_str(big, len + 1), NOW_MS, &c),
                     CORE_E_NOT_AUTHORIZED);

    assert_int_equal(auth_jwt_verify(KEY, KEY_LEN, CORE_STR_NULL, NOW_MS, &c), CORE_E_NOT_AUTHORIZED);
    assert_int_equal(verify_at("..", NOW_MS), CORE_E_NOT_AUTHORIZED);
    assert_int_equal(verify_at("a.b", NOW_MS), CORE_E_NOT_AUTHORIZED);
    assert_int_equal(verify_at("a..b", NOW_MS), CORE_E_NOT_AUTHORIZED);
    assert_int_equal(verify_at("a.b.c.d", NOW_MS), CORE_E_NOT_AUTHORIZED);
    assert_int_equal(verify_at("Bearer", NOW_MS), CORE_E_NOT_AUTHORIZED);
    core_pool_cleanup(&pool);
}

static void test_sign_refuses_bad_input(void **state)
{
    (void)state;
    core_pool_t pool;
    char dummy[] = "x", *token = dummy;

    core_pool_init(&pool);
    assert_int_equal(auth_jwt_sign(KEY, 0, USER, NOW_MS, &pool, &token, NULL), CORE_E_INTERNAL);
    assert_null(token);
    assert_int_equal(auth_jwt_sign(KEY, KEY_LEN, "not-a-uuid", NOW_MS, &pool, &token, NULL), CORE_E_INTERNAL);
    assert_int_equal(auth_jwt_sign(KEY, KEY_LEN, NULL, NOW_MS, &pool, &token, NULL), CORE_E_INTERNAL);
    core_pool_cleanup(&pool);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sign_verify_roundtrip),   cmocka_unit_test(test_forged_with_right_key_verifies),
        cmocka_unit_test(test_expiry_boundary),         cmocka_unit_test(test_issued_in_future),
        cmocka_unit_test(test_wrong_key_and_tampering), cmocka_unit_test(test_other_algorithms_refused),
        cmocka_unit_test(test_claim_defects),           cmocka_unit_test(test_length_and_shape),
        cmocka_unit_test(test_sign_refuses_bad_input),  cmocka_unit_test(test_crit_header_refused),
        cmocka_unit_test(test_verified_token_remembered),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
