/*
 * libFuzzer target: the client address behind a proxy. The input is three
 * lines: TRUST_PROXY (read by core_config_load, as at start-up: the comma
 * list parser and core_cidr_parse in src/core/config.c), the peer address,
 * and an X-Forwarded-For value, given to http_client_ip
 * (src/http/forwarded.c). Properties: the address is "-" (no peer) or an
 * IPv4/IPv6 address in the canonical text inet_ntop writes; it is the peer
 * unless the peer is a trusted proxy and the header is not empty; any other
 * address is one of the header's entries, and the entry right of it (or
 * the peer) is trusted, so a client cannot name itself past a proxy we do
 * not trust. Each parsed range has its family's prefix length.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "core/config.h"
#include "http/forwarded.h"
#include "fuzz.h"

static bool canonical(const char *s)
{
    unsigned char bin[16];
    char text[INET6_ADDRSTRLEN];
    int af = strchr(s, ':') != NULL ? AF_INET6 : AF_INET;

    return inet_pton(af, s, bin) == 1 && inet_ntop(af, bin, text, sizeof(text)) != NULL && strcmp(text, s) == 0;
}

/* The canonical text of a trimmed header entry, or "" when it is none. */
static void entry_canonical(core_str_t e, char out[INET6_ADDRSTRLEN])
{
    char buf[64];
    unsigned char bin[16];

    out[0] = '\0';
    e = core_str_trim(e);
    if (e.len == 0 || e.len >= sizeof(buf))
        return;
    memcpy(buf, e.base, e.len);
    buf[e.len] = '\0';
    if (inet_pton(AF_INET, buf, bin) == 1)
        inet_ntop(AF_INET, bin, out, INET6_ADDRSTRLEN);
    else if (inet_pton(AF_INET6, buf, bin) == 1)
        inet_ntop(AF_INET6, bin, out, INET6_ADDRSTRLEN);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool init;
    core_str_t parts[3];
    core_config_t cfg;
    core_pool_t pool;
    struct sockaddr_storage ss;
    const struct sockaddr *peer = NULL;

    if (!init) {
        setenv("LSF_ENV", "test", 1);
        setenv("JWT_SECRET", FUZZ_JWT_SECRET, 1);
        setenv("DATA_DIR", "/nonexistent/lsf-fuzz", 1);
        init = true;
    }
    fuzz_split(data, size, '\n', parts, 3);
    char *trust = fuzz_cstr(parts[0]), *peer_text = fuzz_cstr(parts[1]);
    core_str_t xff = fuzz_copy(parts[2]);
    setenv("TRUST_PROXY", trust, 1);
    if (core_config_load(&cfg, NULL) != 0)
        goto out;
    for (size_t i = 0; i < cfg.trust_proxy_len; i++)
        FUZZ_CHECK((cfg.trust_proxy[i].family == AF_INET && cfg.trust_proxy[i].prefix >= 0 &&
                    cfg.trust_proxy[i].prefix <= 32) ||
                       (cfg.trust_proxy[i].family == AF_INET6 && cfg.trust_proxy[i].prefix >= 0 &&
                        cfg.trust_proxy[i].prefix <= 128),
                   "TRUST_PROXY \"%s\": range %zu has family %d prefix %d", trust, i, cfg.trust_proxy[i].family,
                   cfg.trust_proxy[i].prefix);

    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    if (inet_pton(AF_INET, peer_text, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        peer = (const struct sockaddr *)&ss;
    } else if (inet_pton(AF_INET6, peer_text, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        peer = (const struct sockaddr *)&ss;
    }

    core_pool_init(&pool);
    const char *ip = http_client_ip(&pool, &cfg, peer, xff);
    const char *peer_ip = http_client_ip(&pool, &cfg, peer, core_str("", 0));
    FUZZ_CHECK(ip != NULL && (strcmp(ip, "-") == 0 || canonical(ip)), "client address \"%s\"", ip ? ip : "(null)");
    FUZZ_CHECK(peer == NULL || canonical(peer_ip), "peer address \"%s\" for \"%s\"", peer_ip, peer_text);
    if (strcmp(ip, peer_ip) != 0) {
        FUZZ_CHECK(core_cidr_match(cfg.trust_proxy, cfg.trust_proxy_len, peer_ip),
                   "took \"%s\" from the header of an untrusted peer %s", ip, peer_ip);
        /* walk the header from the right as a proxy chain: ip must be an entry
         * whose right neighbour (or the peer) is trusted */
        const char *end = xff.base + xff.len, *right = peer_ip;
        char entry[INET6_ADDRSTRLEN], right_buf[INET6_ADDRSTRLEN];
        bool found = false;
        while (!found && end >= xff.base) {
            const char *start = end;
            while (start > xff.base && start[-1] != ',')
                start--;
            entry_canonical(core_str(start, (size_t)(end - start)), entry);
            if (entry[0] != '\0' && strcmp(entry, ip) == 0 &&
                core_cidr_match(cfg.trust_proxy, cfg.trust_proxy_len, right))
                found = true;
            strcpy(right_buf, entry);
            right = right_buf;
            if (start == xff.base)
                break;
            end = start - 1;
        }
        FUZZ_CHECK(found, "\"%s\" is no header entry behind a trusted hop (header \"%.*s\", peer %s)", ip,
                   (int)xff.len, xff.base, peer_ip);
    }
    core_pool_cleanup(&pool);
    core_config_cleanup(&cfg);
out:
    free(trust);
    free(peer_text);
    fuzz_free(xff);
    return 0;
}
