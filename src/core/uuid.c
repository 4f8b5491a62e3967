/*
 * This file implements UUIDv7 generation and parsing for uuid.h; the random
 * part comes from core_random_buf() (random.h).
 */
#include "core/uuid.h"

#include "core/random.h"

static const char hex[] = "0123456789abcdef";

/* Format ms, rand_a (12 bits, or random when < 0) and 62 random bits. */
static void format(int64_t ms, int rand_a, char out[CORE_UUID_LEN + 1])
{
    uint8_t b[16];
    core_random_buf(b + 6, 10);
    for (int i = 0; i < 6; i++)
        b[i] = (uint8_t)((uint64_t)ms >> (40 - 8 * i));
    if (rand_a >= 0) {
        b[6] = (uint8_t)(rand_a >> 8);
        b[7] = (uint8_t)rand_a;
    }
    b[6] = (uint8_t)(0x70 | (b[6] & 0x0f));
    b[8] = (uint8_t)(0x80 | (b[8] & 0x3f));
    core_uuid_format(b, out);
}

void core_uuid_format(const uint8_t b[16], char out[CORE_UUID_LEN + 1])
{
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    *p = '\0';
}

void core_uuid_v7(int64_t ms, char out[CORE_UUID_LEN + 1])
{
    format(ms, -1, out);
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

bool core_uuid_valid(core_str_t s)
{
    if (s.len != CORE_UUID_LEN)
        return false;
    for (size_t i = 0; i < s.len; i++) {
        bool dash = i == 8 || i == 13 || i == 18 || i == 23;
        if (dash ? s.base[i] != '-' : hexval(s.base[i]) < 0)
            return false;
    }
    return true;
}

int64_t core_uuid_v7_time_ms(core_str_t s)
{
    if (!core_uuid_valid(s) || s.base[14] != '7')
        return -1;
    int64_t ms = 0;
    for (size_t i = 0; i < 13; i++)
        if (s.base[i] != '-')
            ms = ms * 16 + hexval(s.base[i]);
    return ms;
}

int64_t core_uuid_v7_after(int64_t now_ms, const char *floor, char out[CORE_UUID_LEN + 1])
{
    core_str_t f = floor != NULL ? core_str_c(floor) : core_str(NULL, 0);
    int64_t floor_ms = core_uuid_v7_time_ms(f);

    if (floor_ms < now_ms) { /* also when there is no floor (-1) */
        format(now_ms, -1, out);
        return now_ms;
    }
    /* rand_a is the 12 bits after the version digit: "xxxxxxxx-xxxx-7AAA-" */
    int rand_a = hexval(f.base[15]) << 8 | hexval(f.base[16]) << 4 | hexval(f.base[17]);
    if (rand_a == 0xfff) {
        floor_ms++;
        rand_a = 0;
    } else {
        rand_a++;
    }
    format(floor_ms, rand_a, out);
    return floor_ms;
}
