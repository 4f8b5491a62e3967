/*
 * This file implements random.h: per thread, a ChaCha20 key drawn once from
 * randombytes_buf() (the kernel) expands into a block of output with
 * randombytes_buf_deterministic(); the block's first 32 bytes become the next
 * key and are erased from the block ("fast key erasure"), so what the thread
 * handed out before cannot be recomputed from its state. The process never
 * forks, so no two processes share a state.
 */
#include "core/random.h"

#include <stdbool.h>
#include <string.h>

#include <sodium.h>

#define KEY_BYTES randombytes_SEEDBYTES
#define BLOCK 512 /* bytes per expansion: a list page uses about 50 */

typedef struct state {
    unsigned char block[BLOCK];
    size_t used; /* block[used..BLOCK) is unread */
    bool seeded;
} state_t;

static _Thread_local state_t st;

static void refill(void)
{
    unsigned char key[KEY_BYTES];

    if (st.seeded)
        memcpy(key, st.block, KEY_BYTES);
    else
        randombytes_buf(key, sizeof(key));
    randombytes_buf_deterministic(st.block, sizeof(st.block), key);
    sodium_memzero(key, sizeof(key));
    st.seeded = true;
    st.used = KEY_BYTES; /* block[0..KEY_BYTES) is the next key, never handed out */
}

void core_random_buf(void *buf, size_t len)
{
    unsigned char *out = buf;

    while (len > 0) {
        if (!st.seeded || st.used == BLOCK)
            refill();
        size_t n = BLOCK - st.used < len ? BLOCK - st.used : len;
        memcpy(out, st.block + st.used, n);
        sodium_memzero(st.block + st.used, n);
        st.used += n;
        out += n;
        len -= n;
    }
}
