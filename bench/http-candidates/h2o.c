/*
 * Benchmark candidate: libh2o-evloop. Answers every request with the fixed JSON
 * body {"success":true,"message":"ok"} (application/json, HTTP/1.1 keep-alive).
 * One h2o_evloop per thread (2 threads), each with its own h2o_context_t and its
 * own SO_REUSEPORT listener on 127.0.0.1:<port>, so the kernel spreads
 * connections over the threads. Built and driven by bench/http-candidates/run.sh.
 * Usage: h2o <port>
 */
#define H2O_USE_LIBUV 0
#include <h2o.h>
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
static h2o_globalconf_t config;
static unsigned short port;

static int on_req(h2o_handler_t *self, h2o_req_t *req)
{
    (void)self;
    req->res.status = 200;
    req->res.reason = "OK";
    req->res.content_length = sizeof(body) - 1;
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, NULL, H2O_STRLIT("application/json"));
    h2o_send_inline(req, H2O_STRLIT(body));
    return 0;
}

static void on_accept(h2o_socket_t *listener, const char *err)
{
    h2o_socket_t *sock;

    if (err != NULL)
        return;
    if ((sock = h2o_evloop_socket_accept(listener)) != NULL)
        h2o_accept(listener->data, sock);
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
        perror("h2o: listen");
        exit(1);
    }
    return fd;
}

static void *run_loop(void *arg)
{
    h2o_context_t ctx;
    h2o_accept_ctx_t accept_ctx = {.ctx = &ctx, .hosts = config.hosts};
    h2o_evloop_t *loop = h2o_evloop_create();
    h2o_socket_t *listener;

    (void)arg;
    h2o_context_init(&ctx, loop, &config);
    listener = h2o_evloop_socket_create(loop, listen_reuseport(), H2O_SOCKET_FLAG_DONT_READ);
    listener->data = &accept_ctx;
    h2o_socket_read_start(listener, on_accept);
    for (;;)
        h2o_evloop_run(loop, INT32_MAX);
    return NULL;
}

int main(int argc, char **argv)
{
    pthread_t threads[NTHREADS];
    h2o_hostconf_t *host;
    h2o_pathconf_t *path;

    if (argc != 2 || (port = (unsigned short)atoi(argv[1])) == 0) {
        fprintf(stderr, "usage: %s <port>\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    h2o_config_init(&config);
    host = h2o_config_register_host(&config, h2o_iovec_init(H2O_STRLIT("default")), 65535);
    path = h2o_config_register_path(host, "/", 0);
    h2o_create_handler(path, sizeof(h2o_handler_t))->on_req = on_req;
    for (int i = 0; i < NTHREADS; i++)
        pthread_create(&threads[i], NULL, run_loop, NULL);
    pthread_join(threads[0], NULL);
    return 0;
}
