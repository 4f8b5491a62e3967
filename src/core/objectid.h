/*
 * MongoDB ObjectIds (12 bytes: 4 of Unix seconds, big-endian, then 8 more)
 * mapped onto our ids, for data imported from the original app: the
 * ObjectId's seconds become the UUIDv7's milliseconds (seconds * 1000), and
 * its other 8 bytes fill, in order, the 12 bits after the version digit and
 * the first 52 bits after the variant; the last 10 bits are zero. The map is
 * deterministic (a re-run of an import finds the same ids), reversible
 * (GET /api/tasks/<24-hex ObjectId> finds the imported task) and keeps
 * order: ObjectIds sort as their UUIDs do. Pure functions, any thread.
 */
#ifndef CORE_OBJECTID_H
#define CORE_OBJECTID_H

#include <stdbool.h>
#include <stdint.h>

#include "core/str.h"
#include "core/uuid.h"

#define CORE_OBJECTID_LEN 12
#define CORE_OBJECTID_HEX 24

/* The UUIDv7 of oid into out (37 bytes with the NUL). */
void core_objectid_to_uuid(const uint8_t oid[CORE_OBJECTID_LEN], char out[CORE_UUID_LEN + 1]);

/* True when s is 24 hex digits (either case), with the bytes in oid. */
bool core_objectid_parse(core_str_t s, uint8_t oid[CORE_OBJECTID_LEN]);

/* The ObjectId's time in ms (its seconds * 1000). */
int64_t core_objectid_time_ms(const uint8_t oid[CORE_OBJECTID_LEN]);

#endif
