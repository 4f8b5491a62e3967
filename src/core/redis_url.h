/*
 * REDIS_URL, parsed: redis://[[user]:password@]host[:port][/db] with every
 * part percent-decoded (a password may hold '@', ':' or '%' as %40, %3A,
 * %25), an IPv6 host in brackets, and, as redis-cli reads it, a lone
 * "secret@" taken as the password. rediss:// is refused: this build has no
 * TLS to Redis (Debian's hiredis 0.14 has none). Unix sockets are not
 * supported. The config loader uses it to refuse a bad REDIS_URL at start
 * (exit 2), the Redis backend to connect.
 */
#ifndef CORE_REDIS_URL_H
#define CORE_REDIS_URL_H

#include <stddef.h>

#define CORE_REDIS_URL_MAX 4096 /* bytes of URL accepted */

typedef struct core_redis_url {
    char *host;     /* name or address; IPv6 without brackets, "%zone" appended when given */
    int port;       /* 6379 when absent */
    char *user;     /* ACL user (AUTH user password), or NULL */
    char *password; /* NULL when absent: no AUTH */
    int db;         /* SELECT db; 0 when absent */
} core_redis_url_t;

/* Parse url into *out (strings from malloc: free them with
 * core_redis_url_cleanup). Returns 0, or -1 with *out empty and a message
 * in err (NUL-terminated; never quotes the URL, which may hold a password).
 * Pure: string in, struct out, no I/O, no global state; any thread. */
int core_redis_url_parse(const char *url, core_redis_url_t *out, char *err, size_t err_size);

/* Free out's strings and zero it. */
void core_redis_url_cleanup(core_redis_url_t *out);

#endif
