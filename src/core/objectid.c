/*
 * This file implements the ObjectId to UUIDv7 map of objectid.h: a bit
 * layout, no randomness, so the same ObjectId always gives the same id.
 */
#include "core/objectid.h"

static const char hex[] = "0123456789abcdef";

int64_t core_objectid_time_ms(const uint8_t oid[CORE_OBJECTID_LEN])
{
    uint32_t s = (uint32_t)oid[0] << 24 | (uint32_t)oid[1] << 16 | (uint32_t)oid[2] << 8 | oid[3];
    return (int64_t)s * 1000;
}

void core_objectid_to_uuid(const uint8_t oid[CORE_OBJECTID_LEN], char out[CORE_UUID_LEN + 1])
{
    uint64_t ms = (uint64_t)core_objectid_time_ms(oid), rest = 0;
    uint8_t b[16];
    char *p = out;

    for (int i = 4; i < CORE_OBJECTID_LEN; i++)
        rest = rest << 8 | oid[i];
    for (int i = 0; i < 6; i++)
        b[i] = (uint8_t)(ms >> (40 - 8 * i));
    /* version 7, then rest's top 12 bits (rand_a) */
    b[6] = (uint8_t)(0x70 | (rest >> 60));
    b[7] = (uint8_t)(rest >> 52);
    /* variant 10, then rest's next 52 bits, then 10 zero bits (rand_b) */
    uint64_t rand_b = (rest & ((1ULL << 52) - 1)) << 10;
    b[8] = (uint8_t)(0x80 | (rand_b >> 56));
    for (int i = 9; i < 16; i++)
        b[i] = (uint8_t)(rand_b >> (8 * (15 - i)));
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
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool core_objectid_parse(core_str_t s, uint8_t oid[CORE_OBJECTID_LEN])
{
    if (s.base == NULL || s.len != CORE_OBJECTID_HEX)
        return false;
    for (size_t i = 0; i < CORE_OBJECTID_LEN; i++) {
        int hi = hexval(s.base[2 * i]), lo = hexval(s.base[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        oid[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}
