/*
 * This file implements the .eml writer of eml.h: render with message.c, then
 * core_fs_write_file's temp-file-and-rename so a reader never sees half a
 * message. Files and directory are private to the server's user because
 * bodies carry one-time passwords; the log names the file, never the body.
 */
#include "mail/eml.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

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
