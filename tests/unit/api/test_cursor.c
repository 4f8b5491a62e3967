/* Unit tests for the keyset cursor encoding (src/api/cursor.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <sodium.h>
#include <string.h>

#include "api/cursor.h"
#include "core/error.h"
#include "pool_fixture.h"

#define ID "0192f3c5-7a00-7cc3-9d2b-1b2c3d4e5f60"

static void round_trips_numeric_and_text_keys(void **state)
{
    (void)state;
    store_task_cursor_t in = {.sort = STORE_SORT_DUE_DATE, .desc = true, .num = INT64_MAX}, out;
    memcpy(in.id, ID, sizeof(in.id));
    char *text = api_cursor_encode(&pool, &in);
    assert_int_equal(api_cursor_decode(&pool, core_str_c(text), &out), CORE_OK);
    assert_int_equal(out.sort, STORE_SORT_DUE_DATE);
    assert_true(out.desc);
    assert_true(out.num == INT64_MAX);
    assert_string_equal(out.id, ID);

    store_task_cursor_t t = {.sort = STORE_SORT_TITLE, .text = "Äpfel \"kaufen\" & more"};
    memcpy(t.id, ID, sizeof(t.id));
    text = api_cursor_encode(&pool, &t);
    /* URL-safe: no characters that need escaping in a query string */
    assert_null(strpbrk(text, "+/=&?% "));
    assert_int_equal(api_cursor_decode(&pool, core_str_c(text), &out), CORE_OK);
    assert_int_equal(out.sort, STORE_SORT_TITLE);
    assert_false(out.desc);
    assert_string_equal(out.text, t.text);
}

static char *encode_json(const char *json)
{
    size_t len = strlen(json), cap = sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *out = core_pool_alloc(&pool, cap);
    sodium_bin2base64(out, cap, (const unsigned char *)json, len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return out;
}

static void refuses_anything_it_did_not_make(void **state)
{
    (void)state;
    store_task_cursor_t out;
    const char *bad_json[] = {
        "{}",
        "[]",
        "{\"s\":0,\"d\":true,\"k\":1,\"i\":\"not-a-uuid\"}",
        "{\"s\":9,\"d\":true,\"k\":1,\"i\":\"" ID "\"}",
        "{\"s\":-1,\"d\":true,\"k\":1,\"i\":\"" ID "\"}",
        "{\"s\":4,\"d\":true,\"k\":1,\"i\":\"" ID "\"}",        /* title sort needs a text key */
        "{\"s\":1,\"d\":true,\"k\":\"x\",\"i\":\"" ID "\"}",    /* numeric sort needs a number */
        "{\"s\":1,\"d\":1,\"k\":1,\"i\":\"" ID "\"}",           /* desc must be a boolean */
        "{\"s\":1,\"d\":true,\"k\":1,\"i\":\"" ID "\",\"x\":1}", /* no extra members */
        "{\"s\":1,\"d\":true,\"k\":1.5,\"i\":\"" ID "\"}",
    };
    for (size_t i = 0; i < sizeof(bad_json) / sizeof(bad_json[0]); i++)
        assert_int_equal(api_cursor_decode(&pool, core_str_c(encode_json(bad_json[i])), &out), CORE_E_VALIDATION);

    assert_int_equal(api_cursor_decode(&pool, core_str_c(""), &out), CORE_E_VALIDATION);
    assert_int_equal(api_cursor_decode(&pool, core_str_c("!!!!"), &out), CORE_E_VALIDATION);
    assert_int_equal(api_cursor_decode(&pool, core_str_c("eyJzIjow"), &out), CORE_E_VALIDATION); /* truncated */
    char *huge = core_pool_alloc(&pool, API_CURSOR_MAX + 2);
    memset(huge, 'A', API_CURSOR_MAX + 1);
    huge[API_CURSOR_MAX + 1] = '\0';
    assert_int_equal(api_cursor_decode(&pool, core_str_c(huge), &out), CORE_E_VALIDATION);

    /* a well-formed hand-made cursor is accepted: it only names a position */
    assert_int_equal(api_cursor_decode(&pool, core_str_c(encode_json("{\"s\":3,\"d\":false,\"k\":2,\"i\":\"" ID "\"}")),
                                       &out),
                     CORE_OK);
    assert_int_equal(out.num, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(round_trips_numeric_and_text_keys, pool_setup, pool_teardown),
        cmocka_unit_test_setup_teardown(refuses_anything_it_did_not_make, pool_setup, pool_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
