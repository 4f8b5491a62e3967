/*
 * Benchmark candidate: libmicrohttpd. Answers every request with the fixed JSON
 * body {"success":true,"message":"ok"} (application/json, HTTP/1.1 keep-alive).
 * MHD's own threads do the work: MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL
 * with MHD_OPTION_THREAD_POOL_SIZE 2 (two epoll threads sharing one listening
 * socket on 127.0.0.1:<port>). The response object is built once and queued for
 * every request (MHD reference-counts it). Built and driven by run.sh.
 * Usage: mhd <port>
 */
#include <microhttpd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define NTHREADS 2

static const char body[] = "{\"success\":true,\"message\":\"ok\"}";
static struct MHD_Response *response;

static enum MHD_Result on_req(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
                              const char *version, const char *upload_data, size_t *upload_data_size,
                              void **con_cls)
{
    static int seen_headers;

    (void)cls, (void)url, (void)method, (void)version, (void)upload_data, (void)upload_data_size;
    /* MHD calls twice per request: headers first, then once the (empty) body is in.
     * Queueing on the first call makes MHD 0.9.75 answer "Connection: close". */
    if (*con_cls == NULL) {
        *con_cls = &seen_headers;
        return MHD_YES;
    }
    return MHD_queue_response(conn, MHD_HTTP_OK, response);
}

int main(int argc, char **argv)
{
    struct sockaddr_in addr = {.sin_family = AF_INET};
    struct MHD_Daemon *daemon;
    unsigned short port;
    sigset_t set;
    int sig;

    if (argc != 2 || (port = (unsigned short)atoi(argv[1])) == 0) {
        fprintf(stderr, "usage: %s <port>\n", argv[0]);
        return 2;
    }
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    response = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(response, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json");
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    daemon = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, port, NULL, NULL, on_req, NULL,
                              MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_THREAD_POOL_SIZE,
                              (unsigned int)NTHREADS, MHD_OPTION_END);
    if (daemon == NULL) {
        fprintf(stderr, "mhd: MHD_start_daemon failed on port %u\n", port);
        return 1;
    }
    sigwait(&set, &sig);
    MHD_stop_daemon(daemon);
    MHD_destroy_response(response);
    return 0;
}
