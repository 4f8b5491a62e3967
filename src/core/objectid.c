/*
 * This file implements the ObjectId to UUIDv7 map of objectid.h: a bit
 * layout, no randomness, so the same ObjectId always gives the same id.
 */
#include "core/objectid.h"

#include <sodium.h>

int64_t core_objectid_time_ms(const uint8_t oid[CORE_OBJECTID_LEN])
{
    uint32_t s = (uint32_t)oid[0] << 24 | (uint32_t)oid[1] << 16 | (uint32_t)oid[2] << 8 | oid[3];
    return (int64_t)s * 1000;
}

void core_objectid_to_uuid(const uint8_t oid[CORE_OBJECTID_LEN], char out[CORE_UUID_LEN + 1])
{
    uint64_t ms = (uint64_t)core_objectid_time_ms(oid), rest = 0;
    uint8_t b[16];

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
    core_uuid_format(b, out);
}

bool core_objectid_parse(core_str_t s, uint8_t oid[CORE_OBJECTID_LEN])
{
    size_t n = 0;
    const char *end = NULL;

    if (s.base == NULL || s.len != CORE_OBJECTID_HEX)
        return false;
    /* stops at the first non-hex digit; all 24 must be read */
    return sodium_hex2bin(oid, CORE_OBJECTID_LEN, s.base, s.len, NULL, &n, &end) == 0 && n == CORE_OBJECTID_LEN &&
           end == s.base + s.len;
}
