/*
 * This file implements the start-up file helpers of fs.h with plain POSIX
 * calls; writes go through a temporary file and rename(2) so a crash never
 * leaves half a file behind. The permission helpers tighten files the server
 * owns (secrets, the database, mail) and only warn about directories, which
 * may be shared (/tmp, a home directory).
 */
#include "core/fs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/log.h"
#include "core/mem.h"

char *core_fs_read_file(const char *path, size_t max, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    char *buf = NULL;

    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (size_t)st.st_size > max)
        goto out;
    buf = core_malloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    buf[got] = '\0';
    if (len != NULL)
        *len = got;
out:
    close(fd);
    return buf;
}

int core_fs_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    size_t plen = strlen(path);
    char *tmp = core_malloc(plen + 16);
    int fd, rc = -1;

    snprintf(tmp, plen + 16, "%s.tmp%d", path, (int)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        goto out;
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            close(fd);
            unlink(tmp);
            goto out;
        }
        p += n;
        len -= (size_t)n;
    }
    if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        goto out;
    }
    rc = 0;
out:
    free(tmp);
    return rc;
}

int core_fs_mkdir_p(const char *path, mode_t mode)
{
    char *buf;
    int rc = 0;

    if (*path == '\0')
        return 0;
    buf = core_strdup(path);
    for (char *p = buf + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char saved = *p;
            *p = '\0';
            if (mkdir(buf, mode) != 0 && errno != EEXIST) {
                rc = -1;
                break;
            }
            *p = saved;
            if (saved == '\0')
                break;
        }
    }
    free(buf);
    return rc;
}

int core_fs_mkdir_parent(const char *path, mode_t mode)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL || slash == path)
        return 0;
    char *dir = core_strndup(path, (size_t)(slash - path));
    int rc = core_fs_mkdir_p(dir, mode);
    free(dir);
    return rc;
}

int core_fs_tighten(const char *path, mode_t mode)
{
    struct stat st;
    char from[8], to[8];
    mode_t now;

    if (stat(path, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        log_error("cannot check the permissions of a private file", LOG_STR("path", path),
                  LOG_STR("error", strerror(errno)));
        return -1;
    }
    now = st.st_mode & 07777;
    if ((now & ~mode) == 0)
        return 0;
    snprintf(from, sizeof(from), "%04o", (unsigned)now);
    snprintf(to, sizeof(to), "%04o", (unsigned)(now & mode));
    if (chmod(path, now & mode) != 0) {
        log_error("cannot tighten the permissions of a private file", LOG_STR("path", path), LOG_STR("mode", from),
                  LOG_STR("error", strerror(errno)));
        return -1;
    }
    log_warn("tightened the permissions of a private file", LOG_STR("path", path), LOG_STR("from", from),
             LOG_STR("to", to));
    return 0;
}

void core_fs_warn_open_dir(const char *path)
{
    struct stat st;
    char mode[8];

    if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode) || (st.st_mode & 077) == 0)
        return;
    snprintf(mode, sizeof(mode), "%04o", (unsigned)(st.st_mode & 07777));
    log_warn("directory of private files is open to other users; chmod 700 it unless it is shared on purpose",
             LOG_STR("path", path), LOG_STR("mode", mode));
}
