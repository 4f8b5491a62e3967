/*
 * Unit tests for src/mail/eml.c: a message lands in DATA_DIR/mail as
 * <created_at>-<id>.eml, private to the owner, complete (no temporary file
 * left), with the rendered headers and CRLF body; the log line names the
 * file but never carries the OTP; a message the renderer refuses writes
 * nothing, and an unwritable DATA_DIR is reported as an error. The purge
 * deletes the files queued before its cutoff, by their name, and nothing
 * else; mail_eml_secure tightens .eml files an older version left readable.
 */
#include <fcntl.h>
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "core/error.h"
#include "core/fs.h"
#include "mail/eml.h"

typedef struct {
    char dir[64];
    core_config_t cfg;
    core_pool_t pool;
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof(*f));
    strcpy(f->dir, "/tmp/lsf-test-eml-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    f->cfg.data_dir = f->dir;
    f->cfg.mail_from = "LSF Tasks <no-reply@lsf-tasks.local>";
    core_pool_init(&f->pool);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    core_pool_cleanup(&f->pool);
    free(f);
    return 0;
}

/* Run mail_eml_deliver with stderr (the log) captured into log[cap]. */
static int deliver_logged(fixture_t *f, const mail_msg_t *m, const char **error, char *log, size_t cap)
{
    char path[96];
    snprintf(path, sizeof(path), "%s/log", f->dir);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600), saved = dup(2);
    assert_true(fd >= 0 && saved >= 0);
    dup2(fd, 2);
    int rc = mail_eml_deliver(&f->cfg, &f->pool, m, error);
    dup2(saved, 2);
    close(saved);
    ssize_t n = pread(fd, log, cap - 1, 0);
    log[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(path);
    return rc;
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t n = 0;

    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL)
        n += e->d_name[0] != '.';
    closedir(d);
    return n;
}

static void test_writes_file(void **state)
{
    fixture_t *f = *state;
    mail_msg_t m = {.id = 42,
                    .recipient = "ada@example.org",
                    .subject = "Account Verification OTP",
                    .body = "Hello Ada,\n\nYour OTP is 604213. Verify your account using this OTP.\n",
                    .created_at = 1767225600123LL};
    const char *error = NULL;
    char log[4096], path[128], maildir[96];
    struct stat st;

    assert_int_equal(deliver_logged(f, &m, &error, log, sizeof(log)), CORE_OK);
    snprintf(maildir, sizeof(maildir), "%s/mail", f->dir);
    snprintf(path, sizeof(path), "%s/1767225600123-42.eml", maildir);
    assert_int_equal(stat(maildir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(count_entries(maildir), 1); /* no temporary file left behind */

    size_t len;
    char *text = core_fs_read_file(path, 1 << 20, &len);
    assert_non_null(text);
    assert_ptr_equal(strstr(text, "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"), text);
    assert_non_null(strstr(text, "\r\nTo: ada@example.org\r\n"));
    assert_non_null(strstr(text, "\r\nSubject: Account Verification OTP\r\n"));
    assert_non_null(strstr(text, "\r\n\r\nHello Ada,\r\n\r\nYour OTP is 604213. Verify"));
    free(text);

    assert_non_null(strstr(log, "\"msg\":\"mail written\""));
    assert_non_null(strstr(log, "1767225600123-42.eml"));
    assert_non_null(strstr(log, "\"outbox_id\":42"));
    assert_null(strstr(log, "604213"));
    assert_null(strstr(log, "Hello"));
}

static void test_refused_message_writes_nothing(void **state)
{
    fixture_t *f = *state;
    mail_msg_t m = {.id = 1,
                    .recipient = "ada@example.org\r\nBcc: eve@evil.org",
                    .subject = "s",
                    .body = "b",
                    .created_at = 1};
    const char *error = NULL;
    char log[4096], maildir[96];

    assert_int_equal(deliver_logged(f, &m, &error, log, sizeof(log)), CORE_E_VALIDATION);
    assert_non_null(error);
    snprintf(maildir, sizeof(maildir), "%s/mail", f->dir);
    assert_int_equal(count_entries(maildir), 0);
}

static void test_unwritable_data_dir(void **state)
{
    fixture_t *f = *state;
    mail_msg_t m = {
        .id = 2, .recipient = "ada@example.org", .subject = "s", .body = "OTP 777888", .created_at = 1};
    const char *error = NULL;
    char file[96], log[4096];

    /* DATA_DIR names a regular file, so DATA_DIR/mail cannot be created */
    snprintf(file, sizeof(file), "%s/not-a-dir", f->dir);
    assert_int_equal(core_fs_write_file(file, "x", 1, 0600), 0);
    f->cfg.data_dir = file;
    assert_int_equal(deliver_logged(f, &m, &error, log, sizeof(log)), CORE_E_INTERNAL);
    assert_non_null(error);
    assert_non_null(strstr(error, "not-a-dir/mail"));
    assert_null(strstr(error, "777888"));
}

/* A file under DATA_DIR/mail with the given name and mode. */
static void put(fixture_t *f, const char *name, mode_t mode)
{
    char path[160];
    snprintf(path, sizeof(path), "%s/mail", f->dir);
    assert_int_equal(core_fs_mkdir_p(path, 0700), 0);
    snprintf(path, sizeof(path), "%s/mail/%s", f->dir, name);
    assert_int_equal(core_fs_write_file(path, "Your OTP is 604213.", 19, 0600), 0);
    assert_int_equal(chmod(path, mode), 0);
}

static int mode_of(fixture_t *f, const char *name)
{
    char path[160];
    struct stat st;
    snprintf(path, sizeof(path), "%s/mail/%s", f->dir, name);
    return stat(path, &st) == 0 ? (int)(st.st_mode & 0777) : -1;
}

static void test_purge_by_name(void **state)
{
    fixture_t *f = *state;
    int64_t deleted = -1;

    put(f, "1000-1.eml", 0600);
    put(f, "4999-2.eml", 0600);
    put(f, "5000-3.eml", 0600); /* queued at the cutoff: kept */
    put(f, "notes.txt", 0600);  /* not ours */
    put(f, "1-4.eml.tmp42", 0600);
    put(f, "x1-5.eml", 0600);
    mail_eml_purge(&f->cfg, 5000, &deleted);
    assert_int_equal(deleted, 2);
    assert_int_equal(mode_of(f, "1000-1.eml"), -1);
    assert_int_equal(mode_of(f, "4999-2.eml"), -1);
    assert_int_equal(mode_of(f, "5000-3.eml"), 0600);
    assert_int_equal(mode_of(f, "notes.txt"), 0600);
    assert_int_equal(mode_of(f, "1-4.eml.tmp42"), 0600);
    assert_int_equal(mode_of(f, "x1-5.eml"), 0600);

    f->cfg.data_dir = "/nonexistent-lsf-dir"; /* no mail directory: nothing to do */
    mail_eml_purge(&f->cfg, 5000, &deleted);
    assert_int_equal(deleted, 0);
}

static void test_secure_tightens_eml_files(void **state)
{
    fixture_t *f = *state;

    put(f, "1000-1.eml", 0644);
    put(f, "1000-2.eml", 0640);
    put(f, "2000-3.eml", 0600);
    put(f, "notes.txt", 0644);
    mail_eml_secure(&f->cfg);
    assert_int_equal(mode_of(f, "1000-1.eml"), 0600);
    assert_int_equal(mode_of(f, "1000-2.eml"), 0600);
    assert_int_equal(mode_of(f, "2000-3.eml"), 0600);
    assert_int_equal(mode_of(f, "notes.txt"), 0644); /* not ours */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_writes_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_refused_message_writes_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unwritable_data_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(test_purge_by_name, setup, teardown),
        cmocka_unit_test_setup_teardown(test_secure_tightens_eml_files, setup, teardown),
    };
    if (sodium_init() < 0)
        return 1;
    umask(022);
    return cmocka_run_group_tests(tests, NULL, NULL);
}
