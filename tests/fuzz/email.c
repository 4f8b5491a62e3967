/*
 * libFuzzer target: api_input_email (src/api/input.c), the email of
 * register, login and send-reset-otp bodies. Properties of an accepted
 * address: it is the input trimmed and lowercased (same length, no A-Z), at
 * most 254 bytes, one '@' after a local part of 1 to 64 bytes and before a
 * dotted domain; checking it again gives itself; and it is a recipient the
 * mail renderer takes (mail_message_address_ok), so no account can exist
 * whose verification or reset email cannot be sent.
 */
#include <string.h>

#include "api/input.h"
#include "mail/message.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    core_pool_t pool;
    core_str_t in = core_str((const char *)data, size);
    char *out, *again;

    core_pool_init(&pool);
    if (api_input_email(&pool, in, &out)) {
        core_str_t t = core_str_trim(in);
        size_t len = strlen(out);
        const char *at = strchr(out, '@');
        FUZZ_CHECK(len == t.len && len <= API_EMAIL_MAX, "\"%.*s\" became \"%s\"", (int)in.len, in.base, out);
        for (size_t i = 0; i < len; i++) {
            char want = t.base[i] >= 'A' && t.base[i] <= 'Z' ? (char)(t.base[i] + 32) : t.base[i];
            FUZZ_CHECK(out[i] == want, "\"%.*s\" became \"%s\" (byte %zu)", (int)in.len, in.base, out, i);
        }
        FUZZ_CHECK(at != NULL && strchr(at + 1, '@') == NULL && at > out && at - out <= 64 &&
                       strchr(at + 1, '.') != NULL,
                   "accepted \"%s\"", out);
        FUZZ_CHECK(api_input_email(&pool, core_str_c(out), &again) && strcmp(again, out) == 0,
                   "\"%s\" is not accepted as itself", out);
        FUZZ_CHECK(mail_message_address_ok(out), "accepted \"%s\", which mail refuses as a recipient", out);
    }
    core_pool_cleanup(&pool);
    return 0;
}
