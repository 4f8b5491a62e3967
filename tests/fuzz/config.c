/*
 * libFuzzer target: the configuration an operator writes, read by
 * core_config_load (src/core/config.c) from a .env file: the KEY=VALUE
 * reader (core_config_load_env_file), then every variable's parser (sizes,
 * milliseconds, choices, URLs, CORS_ORIGINS, TRUST_PROXY...). The input is
 * the file. Properties: a variable set in the environment is never replaced
 * by the file (LSF_ENV and JWT_SECRET are set here); a loaded configuration
 * has CORS origins of the form scheme://host, trusted ranges with their
 * family's prefix length, a port from 1 to 65535, at least one event loop
 * and worker, and a JWT secret of at least 32 bytes. Variables the file
 * adds are removed again after each input, so inputs do not leak into each
 * other; LeakSanitizer checks that a refused file frees what it read.
 */
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/config.h"
#include "fuzz.h"

#define SECRET FUZZ_JWT_SECRET

extern char **environ;

static char **names; /* variables present before the first input */
static size_t nnames;
static int fd = -1;
static char path[64];

static bool known(const char *entry)
{
    size_t len = strcspn(entry, "=");

    for (size_t i = 0; i < nnames; i++)
        if (strlen(names[i]) == len && memcmp(names[i], entry, len) == 0)
            return true;
    return false;
}

/* Unset every variable the .env file added. */
static void restore_env(void)
{
    for (bool again = true; again;) {
        again = false;
        for (char **e = environ; *e != NULL; e++) {
            if (known(*e))
                continue;
            char *name = strndup(*e, strcspn(*e, "="));
            unsetenv(name);
            free(name);
            again = true; /* environ changed under us: start over */
            break;
        }
    }
}

static void init(void)
{
    setenv("LSF_ENV", "test", 1);
    setenv("JWT_SECRET", SECRET, 1);
    setenv("DATA_DIR", "/nonexistent/lsf-fuzz", 1);
    for (char **e = environ; *e != NULL; e++)
        nnames++;
    names = calloc(nnames, sizeof(*names));
    for (size_t i = 0; i < nnames; i++)
        names[i] = strndup(environ[i], strcspn(environ[i], "="));
    if ((fd = memfd_create("lsf-fuzz-env", 0)) < 0)
        abort();
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    core_config_t cfg;

    if (fd < 0)
        init();
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    if (core_config_load(&cfg, path) == 0) {
        FUZZ_CHECK(cfg.env == CORE_ENV_TEST && strcmp(cfg.jwt_secret, SECRET) == 0,
                   "the file replaced LSF_ENV or JWT_SECRET of the environment");
        FUZZ_CHECK(cfg.port >= 1 && cfg.port <= 65535, "PORT %d", cfg.port);
        FUZZ_CHECK(cfg.http_threads >= 1 && cfg.worker_threads >= 1, "%d loops, %d workers", cfg.http_threads,
                   cfg.worker_threads);
        FUZZ_CHECK(cfg.jwt_secret_len >= 32 && cfg.jwt_secret_len == strlen(cfg.jwt_secret), "secret of %zu bytes",
                   cfg.jwt_secret_len);
        for (size_t i = 0; i < cfg.cors_origins_len; i++) {
            const char *o = cfg.cors_origins[i];
            const char *host = strncmp(o, "http://", 7) == 0 ? o + 7 : strncmp(o, "https://", 8) == 0 ? o + 8 : NULL;
            FUZZ_CHECK(host != NULL && *host != '\0' && strpbrk(host, "/?#*") == NULL, "CORS origin \"%s\"", o);
        }
        for (size_t i = 0; i < cfg.trust_proxy_len; i++)
            FUZZ_CHECK((cfg.trust_proxy[i].family == AF_INET && cfg.trust_proxy[i].prefix >= 0 &&
                        cfg.trust_proxy[i].prefix <= 32) ||
                           (cfg.trust_proxy[i].family == AF_INET6 && cfg.trust_proxy[i].prefix >= 0 &&
                            cfg.trust_proxy[i].prefix <= 128),
                       "trusted range %zu: family %d prefix %d", i, cfg.trust_proxy[i].family,
                       cfg.trust_proxy[i].prefix);
        core_config_cleanup(&cfg);
    }
    restore_env();
    return 0;
}
