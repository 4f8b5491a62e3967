#!/usr/bin/env python3
"""A TCP proxy on loopback that delays every chunk by a fixed time, each way.

It models a network hop between lsf-server and PostgreSQL or Redis on one
machine (bench/scaled.sh): bytes read from one side are written to the
other side DELAY_MS later, in order, so a request/answer round trip through
it costs 2 * DELAY_MS more. Bandwidth is not limited and nothing is dropped.

Usage: delay_proxy.py LISTEN_PORT TARGET_HOST:TARGET_PORT DELAY_MS
  LISTEN_PORT 0 picks a free port; the port is printed on stdout as
  "port N" once listening. Runs until SIGTERM or SIGINT.
"""
import asyncio
import collections
import signal
import sys


class Pipe:
    """Writes what one side sent to the other side, `delay` seconds later."""

    def __init__(self, loop, delay):
        self.loop = loop
        self.delay = delay
        self.transport = None  # where the bytes go
        self.queue = collections.deque()  # (due time, bytes), in order
        self.timer = None
        self.closing = False

    def push(self, data):
        self.queue.append((self.loop.time() + self.delay, data))
        if self.timer is None:
            self.timer = self.loop.call_at(self.queue[0][0], self.flush)

    def flush(self):
        self.timer = None
        if self.transport is None:
            return  # not connected yet: connection_made flushes
        now = self.loop.time()
        out = []
        while self.queue and self.queue[0][0] <= now:
            out.append(self.queue.popleft()[1])
        if out and not self.transport.is_closing():
            self.transport.write(b''.join(out))
        if self.queue:
            self.timer = self.loop.call_at(self.queue[0][0], self.flush)
        elif self.closing:
            self.transport.close()

    def close_after_pending(self):
        self.closing = True
        if not self.queue and self.timer is None and self.transport is not None:
            self.transport.close()


class Side(asyncio.Protocol):
    """One end of a proxied connection; what it reads goes into `out`."""

    def __init__(self, out, peer_in):
        self.out = out          # Pipe towards the other side
        self.peer_in = peer_in  # Pipe towards this side (this transport writes it)

    def connection_made(self, transport):
        transport.get_extra_info('socket').setsockopt(6, 1, 1)  # TCP_NODELAY
        self.peer_in.transport = transport
        self.peer_in.flush()

    def data_received(self, data):
        self.out.push(data)

    def connection_lost(self, exc):
        self.out.close_after_pending()


async def main():
    listen_port, target, delay_ms = int(sys.argv[1]), sys.argv[2], float(sys.argv[3])
    host, port = target.rsplit(':', 1)
    loop = asyncio.get_running_loop()
    delay = delay_ms / 1000.0

    def accepted():
        to_target, to_client = Pipe(loop, delay), Pipe(loop, delay)
        client = Side(to_target, to_client)

        async def connect():
            try:
                await loop.create_connection(lambda: Side(to_client, to_target), host, int(port))
            except OSError:
                to_client.close_after_pending()
        loop.create_task(connect())
        return client

    server = await loop.create_server(accepted, '127.0.0.1', listen_port, backlog=1024)
    print('port', server.sockets[0].getsockname()[1], flush=True)
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set_result, None)
    await stop
    server.close()


if __name__ == '__main__':
    if len(sys.argv) != 4:
        sys.stderr.write(__doc__)
        sys.exit(2)
    asyncio.run(main())
