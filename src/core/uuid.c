/*
 * This file implements UUIDv7 generation and parsing for uuid.h; the random
 * part comes from libsodium's randombytes_buf().
 */
#include "core/uuid.h"

#include <sodium.h>

static const char hex[] = "0123456789abcdef";

void core_uuid_v7(int64_t ms, char out[CORE_UUID_LEN + 1])
{
    uint8_t b[16];
    randombytes_buf(b + 6, 10);
    for (int i = 0; i < 6; i++)
        b[i] = (uint8_t)((uint64_t)ms >> (40 - 8 * i));
    b[6] = (uint8_t)(0x70 | (b[6] & 0x0f));
    b[8] = (uint8_t)(0x80 | (b[8] & 0x3f));
    char *p = out;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            *p++ = '-';
        *p++ = hex[b[i] >> 4];
        *p++ = hex[b[i] & 15];
    }
    *p = '\0';
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
