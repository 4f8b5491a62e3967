/*
 * Password hashing: argon2id through libsodium for every new hash; bcrypt
 * hashes ($2a$, $2b$, $2y$) imported from the original app are verified
 * through libcrypt and flagged for rehashing. Slow on purpose (tens of ms):
 * call only from worker threads, never from an event loop. Thread-safe.
 */
#ifndef AUTH_PASSWORD_H
#define AUTH_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#include <sodium.h>

#define AUTH_PASSWORD_HASH_MAX crypto_pwhash_STRBYTES /* buffer size incl. NUL */
#define AUTH_PASSWORD_MIN_LEN 8
#define AUTH_PASSWORD_MAX_LEN 1024 /* bytes; longer inputs are refused before hashing */

/* Set the argon2id cost used for new hashes and for the rehash check (call
 * once at start-up; defaults are libsodium's INTERACTIVE limits). */
void auth_password_configure(unsigned long long opslimit, size_t memlimit);

/* Hash password into out (NUL-terminated). CORE_OK or CORE_E_INTERNAL
 * (libsodium could not get the memory). */
int auth_password_hash(const char *password, size_t len, char out[AUTH_PASSWORD_HASH_MAX]);

/* Check password against stored (argon2id or bcrypt). CORE_OK when it
 * matches, with *needs_rehash set when stored is bcrypt or weaker argon2id
 * parameters; CORE_E_INVALID_CREDENTIALS otherwise (also for unknown formats). */
int auth_password_verify(const char *stored, const char *password, size_t len, bool *needs_rehash);

/* Spend the same time as a failed verify against an argon2id hash, for logins
 * with an unknown email, so timing does not reveal which emails exist. */
void auth_password_verify_dummy(const char *password, size_t len);

#endif
