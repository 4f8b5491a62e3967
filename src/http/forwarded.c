/*
 * This file implements client-address resolution for forwarded.h. Only
 * TRUST_PROXY decides whose X-Forwarded-For is believed; entries that are not
 * IP addresses end the walk, so garbage in the header cannot become an
 * identity (rate limits are keyed by this address).
 */
#include "http/forwarded.h"

#include <arpa/inet.h>
#include <netinet/in.h>

static const char *peer_text(core_pool_t *pool, const struct sockaddr *sa)
{
    char buf[INET6_ADDRSTRLEN];

    if (sa == NULL)
        return "-";
    if (sa->sa_family == AF_INET &&
        inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, buf, sizeof(buf)) != NULL)
        return core_pool_strdup(pool, buf);
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
        if (IN6_IS_ADDR_V4MAPPED(a) && inet_ntop(AF_INET, &a->s6_addr[12], buf, sizeof(buf)) != NULL)
            return core_pool_strdup(pool, buf);
        if (inet_ntop(AF_INET6, a, buf, sizeof(buf)) != NULL)
            return core_pool_strdup(pool, buf);
    }
    return "-";
}

/* Normalized text of one X-Forwarded-For entry, or NULL if it is no address. */
static const char *entry_text(core_pool_t *pool, core_str_t s)
{
    char buf[INET6_ADDRSTRLEN + 2], out[INET6_ADDRSTRLEN];
    unsigned char bin[16];

    s = core_str_trim(s);
    if (s.len == 0 || s.len >= sizeof(buf))
        return NULL;
    memcpy(buf, s.base, s.len);
    buf[s.len] = '\0';
    if (inet_pton(AF_INET, buf, bin) == 1 && inet_ntop(AF_INET, bin, out, sizeof(out)) != NULL)
        return core_pool_strdup(pool, out);
    if (inet_pton(AF_INET6, buf, bin) == 1 && inet_ntop(AF_INET6, bin, out, sizeof(out)) != NULL)
        return core_pool_strdup(pool, out);
    return NULL;
}

const char *http_client_ip(core_pool_t *pool, const core_config_t *cfg, const struct sockaddr *peer,
                           core_str_t forwarded_for)
{
    const char *addr = peer_text(pool, peer), *end;

    if (cfg->trust_proxy_len == 0 || forwarded_for.len == 0)
        return addr;
    end = forwarded_for.base + forwarded_for.len;
    while (core_cidr_match(cfg->trust_proxy, cfg->trust_proxy_len, addr)) {
        if (end == forwarded_for.base)
            break; /* every hop is a trusted proxy: the leftmost one is the client */
        const char *start = end;
        while (start > forwarded_for.base && start[-1] != ',')
            start--;
        const char *entry = entry_text(pool, core_str(start, (size_t)(end - start)));
        if (entry == NULL)
            break;
        addr = entry;
        end = start > forwarded_for.base ? start - 1 : start;
    }
    return addr;
}
