/*
 * Small file-system helpers for start-up work (secrets, data directories,
 * .eml files). Blocking; never call them on an event-loop thread per request.
 */
#ifndef CORE_FS_H
#define CORE_FS_H

#include <stddef.h>
#include <sys/types.h>

/* Whole file as a NUL-terminated malloc'd string (length in *len if not NULL),
 * or NULL if it cannot be read or is larger than max bytes. */
char *core_fs_read_file(const char *path, size_t max, size_t *len);

/* Write data atomically (temp file + fsync + rename) with the given mode. 0 or -1. */
int core_fs_write_file(const char *path, const void *data, size_t len, mode_t mode);

/* mkdir -p; 0 or -1 (errno set). */
int core_fs_mkdir_p(const char *path, mode_t mode);

/* mkdir -p of the directory part of path ("logs/access.log" -> "logs"). */
int core_fs_mkdir_parent(const char *path, mode_t mode);

/* If path exists and grants permissions outside mode (0600), chmod it to
 * what mode allows and log a warning naming it, so a file an older version
 * or an admin left readable is fixed once, said once. 0 when path is missing
 * or now within mode, -1 when it cannot be checked or changed (logged). */
int core_fs_tighten(const char *path, mode_t mode);

/* Log a warning when the directory path lets group or others in. It is not
 * changed: it may be shared on purpose (/tmp, a home directory). */
void core_fs_warn_open_dir(const char *path);

#endif
