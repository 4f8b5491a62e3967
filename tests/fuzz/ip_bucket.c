/*
 * libFuzzer target: http_ratelimit_ip_bucket (src/http/ratelimit.c), the
 * name of the rate-limit bucket a client address counts in. The input is a
 * prefix length (byte 0, mapped onto RATE_LIMIT_IPV6_PREFIX's range
 * 32-128), 16 bytes of bits to flip, then the address text (up to a NUL).
 * Properties: the name is NUL-terminated within HTTP_RATELIMIT_BUCKET_SIZE;
 * an IPv6 address (not IPv4-mapped) gives "<network>/<prefix>" where the
 * network is canonical text, holds no bit past the prefix, and has the
 * address's bits up to it; flipping bits past the prefix keeps the bucket,
 * flipping one within it changes it; an IPv4-mapped address gives its IPv4
 * address in dotted quad; anything else is named as it is.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "http/ratelimit.h"
#include "fuzz.h"

#define HEAD 17

static bool bit(const unsigned char *a, int i)
{
    return (a[i / 8] >> (7 - i % 8)) & 1;
}

static bool v4_mapped(const unsigned char *a)
{
    static const unsigned char head[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    return memcmp(a, head, sizeof(head)) == 0;
}

static void bucket(const char *ip, int prefix, char out[HTTP_RATELIMIT_BUCKET_SIZE])
{
    memset(out, 'x', HTTP_RATELIMIT_BUCKET_SIZE);
    http_ratelimit_ip_bucket(ip, prefix, out, HTTP_RATELIMIT_BUCKET_SIZE);
    FUZZ_CHECK(memchr(out, '\0', HTTP_RATELIMIT_BUCKET_SIZE) != NULL, "bucket of \"%s\" not terminated", ip);
}

/* The bucket of the address bin, given as its canonical text. */
static void bucket_of(const unsigned char *bin, int prefix, char out[HTTP_RATELIMIT_BUCKET_SIZE])
{
    char text[INET6_ADDRSTRLEN];

    inet_ntop(AF_INET6, bin, text, sizeof(text));
    bucket(text, prefix, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char out[HTTP_RATELIMIT_BUCKET_SIZE], other[HTTP_RATELIMIT_BUCKET_SIZE], want[HTTP_RATELIMIT_BUCKET_SIZE];
    unsigned char a[16], net[16], b[16];

    if (size < HEAD)
        return 0;
    int prefix = 32 + data[0] % 97;
    const uint8_t *flip = data + 1;
    char *ip = fuzz_cstr(core_str((const char *)data + HEAD, size - HEAD));
    bucket(ip, prefix, out);

    if (inet_pton(AF_INET6, ip, a) != 1) {
        snprintf(want, sizeof(want), "%s", ip);
        FUZZ_CHECK(strcmp(out, want) == 0, "\"%s\" (no IPv6 address) named \"%s\"", ip, out);
    } else if (v4_mapped(a)) {
        snprintf(want, sizeof(want), "%u.%u.%u.%u", a[12], a[13], a[14], a[15]);
        FUZZ_CHECK(strcmp(out, want) == 0, "\"%s\" named \"%s\", not its IPv4 address %s", ip, out, want);
    } else {
        char *slash = strrchr(out, '/');
        FUZZ_CHECK(slash != NULL, "\"%s\" named \"%s\", without a prefix", ip, out);
        *slash = '\0';
        snprintf(want, sizeof(want), "%d", prefix);
        FUZZ_CHECK(strcmp(slash + 1, want) == 0, "\"%s\" /%d named with prefix \"%s\"", ip, prefix,
                   slash + 1);
        FUZZ_CHECK(inet_pton(AF_INET6, out, net) == 1, "\"%s\" named \"%s\", no address", ip, out);
        inet_ntop(AF_INET6, net, want, sizeof(want));
        FUZZ_CHECK(strcmp(want, out) == 0, "\"%s\" named \"%s\", not the canonical \"%s\"", ip, out, want);
        for (int i = 0; i < 128; i++)
            FUZZ_CHECK(i < prefix ? bit(net, i) == bit(a, i) : !bit(net, i),
                       "\"%s\" /%d named \"%s\": bit %d of the network is wrong", ip, prefix, out, i);
        *slash = '/';

        /* the same bucket for every address of the network, another for any other */
        bool inside = false;
        for (int i = 0; i < 16; i++) {
            unsigned char past = 0, within = 0;
            for (int k = 0; k < 8; k++) {
                unsigned char m = (unsigned char)(flip[i] & (0x80 >> k));
                if (8 * i + k < prefix)
                    within |= m;
                else
                    past |= m;
            }
            b[i] = a[i] ^ past;
            inside |= within != 0;
        }
        bucket_of(b, prefix, other);
        FUZZ_CHECK(v4_mapped(b) || strcmp(other, out) == 0,
                   "\"%s\" and an address of its /%d: \"%s\" and \"%s\"", ip, prefix, out, other);
        if (inside) {
            for (int i = 0; i < 16; i++)
                b[i] = a[i] ^ flip[i];
            bucket_of(b, prefix, other);
            FUZZ_CHECK(v4_mapped(b) || strcmp(other, out) != 0,
                       "\"%s\" and an address of another /%d share \"%s\"", ip, prefix, out);
        }
    }
    free(ip);
    return 0;
}
