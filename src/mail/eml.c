/*
 * This file implements the .eml writer of eml.h: render with message.c, then
 * core_fs_write_file's temp-file-and-rename so a reader never sees half a
 * message. Files and directory are private to the server's user because
 * bodies carry one-time passwords; the log names the file, never the body.
 * The same file tightens files an older version left readable and deletes
 * files past the retention, by the <created_at>-<id>.eml name it gave them.
 */
#include "mail/eml.h"

#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "core/error.h"
#include "core/fs.h"
#include "core/log.h"
#include "mail/message.h"

int mail_eml_deliver(const core_config_t *cfg, core_pool_t *pool, const mail_msg_t *msg, const char **error)
{
    core_str_t data;
    const char *dir = core_pool_printf(pool, "%s/mail", cfg->data_dir);
    const char *path;
    int rc;

    if ((rc = mail_message_render(pool, cfg->mail_from, msg, &data)) != CORE_OK) {
        *error = "message refused: bad recipient, subject or MAIL_FROM";
        goto out;
    }
    path = core_pool_printf(pool, "%s/%" PRId64 "-%" PRId64 ".eml", dir, msg->created_at, msg->id);
    if (core_fs_mkdir_p(dir, 0700) != 0 || core_fs_write_file(path, data.base, data.len, 0600) != 0) {
        char reason[128];
        *error =
            core_pool_printf(pool, "cannot write %s: %s", path, strerror_r(errno, reason, sizeof(reason)));
        rc = CORE_E_INTERNAL;
        goto out;
    }
    log_info("mail written", LOG_STR("path", path), LOG_INT("outbox_id", msg->id));
out:
    return rc;
}

/* created_at of a file named <created_at>-<id>.eml, or -1 for any other name. */
static int64_t queued_at(const char *name)
{
    long long created, id;
    int end = 0;

    if (sscanf(name, "%lld-%lld.eml%n", &created, &id, &end) != 2 || end == 0 || name[end] != '\0' ||
        name[0] < '0' || name[0] > '9' || created < 0)
        return -1;
    return created;
}

/* Call fn for each file of DATA_DIR/mail named as mail_eml_deliver names them. */
static void each_eml(const core_config_t *cfg, void (*fn)(const char *path, int64_t created_at, void *ctx),
                     void *ctx)
{
    char dir[4096], path[4096 + 256];
    struct dirent *e;
    DIR *d;

    snprintf(dir, sizeof(dir), "%s/mail", cfg->data_dir);
    if ((d = opendir(dir)) == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        int64_t created_at = queued_at(e->d_name);
        if (created_at < 0)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        fn(path, created_at, ctx);
    }
    closedir(d);
}

static void tighten_cb(const char *path, int64_t created_at, void *ctx)
{
    (void)created_at;
    (void)ctx;
    core_fs_tighten(path, 0600);
}

void mail_eml_secure(const core_config_t *cfg)
{
    char dir[4096];

    snprintf(dir, sizeof(dir), "%s/mail", cfg->data_dir);
    core_fs_warn_open_dir(dir);
    each_eml(cfg, tighten_cb, NULL);
}

typedef struct purge {
    int64_t before_ms;
    int64_t deleted;
} purge_t;

static void purge_cb(const char *path, int64_t created_at, void *ctx)
{
    purge_t *p = ctx;
    if (created_at >= p->before_ms)
        return;
    if (unlink(path) == 0)
        p->deleted++;
    else if (errno != ENOENT)
        log_warn("cannot delete an old .eml file", LOG_STR("path", path), LOG_STR("error", strerror(errno)));
}

void mail_eml_purge(const core_config_t *cfg, int64_t before_ms, int64_t *deleted)
{
    purge_t p = {.before_ms = before_ms};

    each_eml(cfg, purge_cb, &p);
    *deleted = p.deleted;
}
