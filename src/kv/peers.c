/*
 * This file implements the peer detection of peers.h with POSIX record
 * locks and a MAP_SHARED mapping of an 8-byte file. Record locks belong to
 * the process, so this process's own lock never counts as a peer, and the
 * kernel drops them when a process dies (kill -9 included): a restart after
 * a crash is alone again. The counter only grows (8 bytes, atomically, in a
 * page every process maps), so "it moved" cannot be missed between reads.
 */
#include "kv/peers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/error.h"
#include "core/log.h"

#define PEERS_SUFFIX ".instances"

static int lock_byte0(int fd, int cmd, short type, struct flock *fl)
{
    memset(fl, 0, sizeof(*fl));
    fl->l_type = type;
    fl->l_whence = SEEK_SET;
    fl->l_start = 0;
    fl->l_len = 1;
    return fcntl(fd, cmd, fl);
}

int kv__peers_open(kv__peers_t *p, const char *db_path)
{
    char path[4096];
    struct stat st;
    struct flock fl;
    const char *step = "path";
    int rc = CORE_E_INTERNAL;

    p->fd = -1;
    p->counter = NULL;
    atomic_init(&p->seen, false);
    atomic_init(&p->reported, false);
    if ((size_t)snprintf(path, sizeof(path), "%s" PEERS_SUFFIX, db_path) >= sizeof(path))
        goto fail;
    step = "open";
    if ((p->fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0)
        goto fail;
    step = "size";
    if (fstat(p->fd, &st) != 0 ||
        (st.st_size < (off_t)sizeof(uint64_t) && ftruncate(p->fd, sizeof(uint64_t)) != 0))
        goto fail;
    step = "mmap";
    void *map = mmap(NULL, sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED, p->fd, 0);
    if (map == MAP_FAILED)
        goto fail;
    p->counter = map;
    /* count in first, then look: of two processes registering at once, the
     * later look sees the other's lock, and the other sees the count move */
    p->mine = __atomic_add_fetch(p->counter, 1, __ATOMIC_SEQ_CST);
    step = "lock";
    if (lock_byte0(p->fd, F_GETLK, F_WRLCK, &fl) != 0)
        goto fail;
    if (fl.l_type != F_UNLCK)
        atomic_store(&p->seen, true);
    if (lock_byte0(p->fd, F_SETLK, F_RDLCK, &fl) != 0)
        goto fail;
    rc = CORE_OK;
    goto out;
fail:
    log_error("kv: cannot register in the instances file beside the database", LOG_STR("file", path),
              LOG_STR("step", step), LOG_STR("error", strerror(errno)));
    kv__peers_close(p);
out:
    return rc;
}

bool kv__peers_seen(kv__peers_t *p, bool *first)
{
    *first = false;
    if (!atomic_load_explicit(&p->seen, memory_order_relaxed)) {
        if (p->counter == NULL || __atomic_load_n(p->counter, __ATOMIC_ACQUIRE) == p->mine)
            return false;
        atomic_store(&p->seen, true);
    }
    if (!atomic_load_explicit(&p->reported, memory_order_relaxed))
        *first = !atomic_exchange(&p->reported, true);
    return true;
}

void kv__peers_close(kv__peers_t *p)
{
    if (p->counter != NULL)
        munmap(p->counter, sizeof(uint64_t));
    if (p->fd >= 0)
        close(p->fd); /* and with it the lock */
    p->counter = NULL;
    p->fd = -1;
}
