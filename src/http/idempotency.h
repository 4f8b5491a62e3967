/*
 * Safe retries: the Idempotency-Key phase of the request pipeline. A client
 * that lost the answer to a write sends the same request again with the same
 * key and gets the first answer back instead of a second effect. Internal to
 * src/http/: request.c calls http_idempotency_begin() after the token check,
 * response.c calls http_idempotency_end() with the answer before sending it.
 * Keys, fingerprints and answers live in the database (store.h), so every
 * instance sharing it sees them.
 */
#ifndef HTTP_IDEMPOTENCY_H
#define HTTP_IDEMPOTENCY_H

#include <stdbool.h>
#include <stddef.h>

#include "store/store.h"

#define HTTP_IDEMPOTENCY_KEY_MAX 255
#define HTTP_IDEMPOTENCY_LEASE_MS 60000 /* a request holds its key this long at most before a retry may run  \
                                         */

struct http_exchange;

/* An exchange's part: zero (no key applies) until begin fills it. */
typedef struct http_idempotency {
    store_idem_key_t key; /* key.key NULL: none */
    bool held;            /* this exchange reserved the key: end records or releases it */
    bool replayed;        /* the answer is the stored one: the handler must not run */
} http_idempotency_t;

/* The phase. A key applies to authenticated POST, PUT and PATCH routes
 * (route auth API_AUTH_REQUIRED); elsewhere the header is ignored. Returns
 * CORE_OK with nothing set when no key applies or none was sent; CORE_OK
 * with x->idem.held when the request is to run; CORE_OK with
 * x->idem.replayed and the stored answer set as x's reply (plus the header
 * Idempotent-Replayed: true) when it already ran; else
 * CORE_E_IDEMPOTENCY_KEY (not 1-255 printable ASCII characters, or the
 * header twice), CORE_E_IDEMPOTENCY_IN_PROGRESS, CORE_E_IDEMPOTENCY_MISMATCH
 * or a store error. Loop thread. */
int http_idempotency_begin(struct http_exchange *x);

/* Record the answer about to be sent (status as sent, body of len bytes,
 * NULL for none) for replays, or release the key when the answer is not the
 * request's final word (5xx, and 401, 403, 409, 429: "not now" answers) so a
 * retry runs it again. A no-op unless x->idem.held. Loop thread. */
void http_idempotency_end(struct http_exchange *x, int status, const char *body, size_t len);

#endif
