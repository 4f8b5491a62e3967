/*
 * Random bytes for identifiers made on every request (request ids, UUIDv7s,
 * trace and span ids, cursor nonces) without a getrandom(2) system call each
 * time: libsodium's randombytes_buf() makes one per call, three per list page.
 * Any thread may call; each has its own state. Keys and secrets still come
 * from randombytes_buf() directly.
 */
#ifndef CORE_RANDOM_H
#define CORE_RANDOM_H

#include <stddef.h>

/* Fill buf[0..len) with cryptographically strong random bytes. */
void core_random_buf(void *buf, size_t len);

#endif
