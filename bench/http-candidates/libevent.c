/*
 * Benchmark candidate: libevent's evhttp. Answers every request with the fixed
 * JSON body {"success":true,"message":"ok"} (application/json, HTTP/1.1
 * keep-alive). Two threads, each with its own event_base and evhttp and its own
 * SO_REUSEPORT listener on 127.0.0.1:<port> handed over with
 * evhttp_accept_socket, so nothing is shared between threads. Built and driven
 * by bench/http-candidates/run.sh. Usage: libevent <port>
 */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#define NTHREADS 2

static const char body[] = "{\"success\":true,\"message\":\"ok\"}";
static unsigned short port;

static void on_req(struct evhttp_request *req, void *arg)
{
    struct evbuffer *out = arg;

    evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type", "application/json");
    evbuffer_add_reference(out, body, sizeof(body) - 1, NULL, NULL);
    evhttp_send_reply(req, HTTP_OK, "OK", out);
}

static int listen_reuseport(void)
{
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
    int fd, on = 1;

    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) < 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0 ||
        setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on)) != 0 ||
        bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || listen(fd, SOMAXCONN) != 0) {
        perror("libevent: listen");
        exit(1);
    }
    return fd;
}

static void *run_loop(void *arg)
{
    struct event_base *base = event_base_new();
    struct evhttp *http = evhttp_new(base);
    struct evbuffer *out = evbuffer_new(); /* evhttp_send_reply drains it each time */

    (void)arg;
    evhttp_set_gencb(http, on_req, out);
    if (evhttp_accept_socket(http, listen_reuseport()) != 0) {
        fprintf(stderr, "libevent: evhttp_accept_socket failed\n");
        exit(1);
    }
    event_base_dispatch(base);
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t threads[NTHREADS];

    if (argc != 2 || (port = (unsigned short)atoi(argv[1])) == 0) {
        fprintf(stderr, "usage: %s <port>\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    for (int i = 0; i < NTHREADS; i++)
        pthread_create(&threads[i], NULL, run_loop, NULL);
    pthread_join(threads[0], NULL);
    return 0;
}
