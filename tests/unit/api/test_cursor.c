/* Unit tests for the keyset cursor (src/api/cursor.c, included to reach
 * seal() and make well-sealed cursors with bad contents). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <string.h>

#include "api/cursor.c"
#include "pool_fixture.h"

#define ID "0192f3c5-7a00-7cc3-9d2b-1b2c3d4e5f60"
#define SECRET "unit-test-secret-of-at-least-32-bytes"

static int setup(void **state)
{
    (void)state;
    if (sodium_init() < 0)
        return -1;
    api_cursor_init(SECRET, strlen(SECRET));
    return 0;
}

static store_task_cursor_t cursor(int sort, bool desc, int64_t num, const char *text)
{
    store_task_cursor_t c = {.sort = sort, .desc = desc, .num = num, .text = text};
    memcpy(c.id, ID, sizeof(c.id));
    return c;
}

static void round_trips_numeric_and_text_keys(void **state)
{
    (void)state;
    static const int64_t nums[] = {0, 1, -1, INT64_MAX, INT64_MIN, 1767225600000};
    store_task_cursor_t out;

    for (size_t i = 0; i < sizeof(nums) / sizeof(nums[0]); i++) {
        store_task_cursor_t in = cursor(STORE_SORT_DUE_DATE, true, nums[i], NULL);
        char *text = api_cursor_encode(&pool, &in);
        assert_int_equal(api_cursor_decode(&pool, core_str_c(text), &out), CORE_OK);
        assert_int_equal(out.sort, STORE_SORT_DUE_DATE);
        assert_true(out.desc);
        assert_true(out.num == nums[i]);
        assert_string_equal(out.id, ID);
    }
    store_task_cursor_t t = cursor(STORE_SORT_TITLE, false, 0, "\xc3\x84pfel \"kaufen\" & more");
    char *text = api_cursor_encode(&pool, &t);
    assert_null(strpbrk(text, "+/=&?% ")); /* URL-safe: nothing to escape in a query string */
    assert_int_equal(api_cursor_decode(&pool, core_str_c(text), &out), CORE_OK);
    assert_int_equal(out.sort, STORE_SORT_TITLE);
    assert_false(out.desc);
    assert_string_equal(out.text, t.text);
}

/* The longest title (200 four-byte characters) makes the longest cursor,
 * and it is accepted back; before, such a cursor was 1,300+ bytes and
 * refused by the 1,024-byte limit. */
static void the_longest_title_cursor_is_accepted(void **state)
{
    (void)state;
    char title[4 * STORE_TASK_TITLE_MAX + 1];
    store_task_cursor_t out;

    for (size_t i = 0; i < STORE_TASK_TITLE_MAX; i++)
        memcpy(title + 4 * i, "\xf0\x9f\x98\x80", 4);
    title[sizeof(title) - 1] = '\0';
    store_task_cursor_t c = cursor(STORE_SORT_TITLE, true, 0, title);
    char *text = api_cursor_encode(&pool, &c);
    assert_int_equal(strlen(text), API_CURSOR_MAX);
    assert_int_equal(API_CURSOR_MAX, 1172);
    assert_int_equal(api_cursor_decode(&pool, core_str_c(text), &out), CORE_OK);
    assert_string_equal(out.text, title);
}

static bool contains(const unsigned char *hay, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    for (size_t i = 0; i + k <= n; i++)
        if (memcmp(hay + i, needle, k) == 0)
            return true;
    return false;
}

/* Neither the cursor text nor its bytes hold the title (or the id), and two
 * cursors of one position differ (random nonce). */
static void a_cursor_shows_no_title(void **state)
{
    (void)state;
    unsigned char bin[API_CURSOR_SEALED_MAX];
    size_t len;
    store_task_cursor_t c = cursor(STORE_SORT_TITLE, false, 0, "my secret plans for the weekend");
    char *a = api_cursor_encode(&pool, &c), *b = api_cursor_encode(&pool, &c);

    assert_string_not_equal(a, b);
    assert_int_equal(sodium_base642bin(bin, sizeof(bin), a, strlen(a), NULL, &len, NULL,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                     0);
    assert_false(contains(bin, len, "secret"));
    assert_false(contains(bin, len, "weekend"));
    assert_false(contains(bin, len, "0192f3c5"));
}

static char *b64(const void *bin, size_t len)
{
    size_t cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = core_pool_alloc(&pool, cap);
    sodium_bin2base64(out, cap, bin, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

static void refuses_anything_it_did_not_make(void **state)
{
    (void)state;
    store_task_cursor_t out, c = cursor(STORE_SORT_PRIORITY, false, 2, NULL);
    char *good = api_cursor_encode(&pool, &c);

    /* tampered: every byte of the box flipped in turn */
    unsigned char box[API_CURSOR_SEALED_MAX];
    size_t len;
    assert_int_equal(sodium_base642bin(box, sizeof(box), good, strlen(good), NULL, &len, NULL,
                                       sodium_base64_VARIANT_URLSAFE_NO_PADDING),
                     0);
    for (size_t i = 0; i < len; i++) {
        box[i] ^= 0x01;
        assert_int_equal(api_cursor_decode(&pool, core_str_c(b64(box, len)), &out), CORE_E_VALIDATION);
        box[i] ^= 0x01;
    }
    assert_int_equal(api_cursor_decode(&pool, core_str_c(b64(box, len)), &out), CORE_OK);
    /* truncated */
    assert_int_equal(api_cursor_decode(&pool, core_str(good, strlen(good) - 1), &out), CORE_E_VALIDATION);
    assert_int_equal(api_cursor_decode(&pool, core_str(good, 40), &out), CORE_E_VALIDATION);

    /* made under another secret (another deployment, or JWT_SECRET rotated) */
    api_cursor_init("another-secret-of-at-least-32-bytes", 35);
    char *foreign = api_cursor_encode(&pool, &c);
    api_cursor_init(SECRET, strlen(SECRET));
    assert_int_equal(api_cursor_decode(&pool, core_str_c(foreign), &out), CORE_E_VALIDATION);

    /* the old unsealed JSON form, and other text */
    const char *old = "{\"s\":3,\"d\":false,\"k\":2,\"i\":\"" ID "\"}";
    assert_int_equal(api_cursor_decode(&pool, core_str_c(b64(old, strlen(old))), &out), CORE_E_VALIDATION);
    assert_int_equal(api_cursor_decode(&pool, core_str_c(""), &out), CORE_E_VALIDATION);
    assert_int_equal(api_cursor_decode(&pool, core_str_c("!!!!"), &out), CORE_E_VALIDATION);
    char *huge = core_pool_alloc(&pool, API_CURSOR_MAX + 2);
    memset(huge, 'A', API_CURSOR_MAX + 1);
    huge[API_CURSOR_MAX + 1] = '\0';
    assert_int_equal(api_cursor_decode(&pool, core_str_c(huge), &out), CORE_E_VALIDATION);
}

/* A cursor spelled with a byte outside base64url is refused, even where
 * libsodium 1.0.18 would read it as the '_' it replaces (every byte from
 * 0x80 up; over HTTP, the bytes of a UTF-8 character). Found by the
 * cursor_raw fuzz target. */
static void refuses_bytes_outside_base64url(void **state)
{
    (void)state;
    store_task_cursor_t out, c = cursor(STORE_SORT_CREATED_AT, true, 1767225600000, NULL);
    char *text = NULL, *under = NULL;

    for (int i = 0; i < 1000 && under == NULL; i++) { /* the random nonce gives a '_' within a few tries */
        text = api_cursor_encode(&pool, &c);
        under = strchr(text, '_');
    }
    assert_non_null(under);
    size_t len = strlen(text);
    assert_int_equal(api_cursor_decode(&pool, core_str(text, len), &out), CORE_OK);
    static const unsigned char bytes[] = {0x80, 0xa1, 0xdf, 0xff, '=', '+', '/', ' ', '\0'};
    for (size_t i = 0; i < sizeof(bytes); i++) {
        *under = (char)bytes[i];
        if (api_cursor_decode(&pool, core_str(text, len), &out) != CORE_E_VALIDATION)
            fail_msg("accepted with byte 0x%02x in place of '_'", bytes[i]);
    }
    *under = '_';
    assert_int_equal(api_cursor_decode(&pool, core_str(text, len), &out), CORE_OK);
}

/* Sealed under our key but not what api_cursor_encode writes: refused too. */
static void refuses_well_sealed_bad_contents(void **state)
{
    (void)state;
    static const struct {
        const char *plain;
        size_t len;
        const char *why;
    } bad[] = {
#define P(lit, why) {lit, sizeof(lit) - 1, why}
        P("", "empty"),
        P("\x01\x01\x00" ID, "no key"),
        P("\x02\x01\x00" ID "\0\0\0\0\0\0\0\x01", "unknown version"),
        P("\x01\x05\x00" ID "\0\0\0\0\0\0\0\x01", "sort out of range"),
        P("\x01\x01\x02" ID "\0\0\0\0\0\0\0\x01", "direction not 0 or 1"),
        P("\x01\x01\x00" "0192f3c5-7a00-7cc3-9d2b-1b2c3d4e5fZZ" "\0\0\0\0\0\0\0\x01", "bad id"),
        P("\x01\x01\x00" ID "\0\0\0\0\0\0\x01", "numeric key of 7 bytes"),
        P("\x01\x01\x00" ID "\0\0\0\0\0\0\0\0\x01", "numeric key of 9 bytes"),
        P("\x01\x04\x00" ID "a\xc3", "title not UTF-8"),
        P("\x01\x04\x00" ID "a\0b", "title with NUL"),
#undef P
    };
    store_task_cursor_t out;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char *text = seal(&pool, (const unsigned char *)bad[i].plain, bad[i].len);
        if (api_cursor_decode(&pool, core_str_c(text), &out) != CORE_E_VALIDATION)
            fail_msg("accepted: %s", bad[i].why);
    }
    char *ok = seal(&pool, (const unsigned char *)"\x01\x04\x01" ID "abc", 3 + 36 + 3);
    assert_int_equal(api_cursor_decode(&pool, core_str_c(ok), &out), CORE_OK);
    assert_string_equal(out.text, "abc");
    assert_true(out.desc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(round_trips_numeric_and_text_keys, pool_setup, pool_teardown),
        cmocka_unit_test_setup_teardown(the_longest_title_cursor_is_accepted, pool_setup, pool_teardown),
        cmocka_unit_test_setup_teardown(a_cursor_shows_no_title, pool_setup, pool_teardown),
        cmocka_unit_test_setup_teardown(refuses_anything_it_did_not_make, pool_setup, pool_teardown),
        cmocka_unit_test_setup_teardown(refuses_well_sealed_bad_contents, pool_setup, pool_teardown),
        cmocka_unit_test_setup_teardown(refuses_bytes_outside_base64url, pool_setup, pool_teardown),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
