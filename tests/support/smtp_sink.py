#!/usr/bin/python3
"""SMTP sink for the API tests: accepts every message on HOST:PORT (PORT 0
picks a free one), stores each as DIR/<seq>.eml with the envelope recipients
prepended as X-Envelope-To headers, and prints "READY <port>" once listening.
Exits on SIGTERM or SIGINT. Uses Debian's python3-aiosmtpd, run with
/usr/bin/python3.

usage: smtp_sink.py --host 127.0.0.1 --port 0 --dir DIR
"""
import argparse
import asyncio
import itertools
import os
import signal
import sys

from aiosmtpd.smtp import SMTP


class Store:
    def __init__(self, directory):
        self.directory = directory
        self.seq = itertools.count(1)

    async def handle_DATA(self, server, session, envelope):
        n = next(self.seq)
        head = "".join("X-Envelope-To: %s\r\n" % rcpt for rcpt in envelope.rcpt_tos)
        data = envelope.original_content or envelope.content
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogateescape")
        # write then rename, so a reader never sees half a message
        tmp = os.path.join(self.directory, ".%06d.tmp" % n)
        with open(tmp, "wb") as f:
            f.write(head.encode("ascii", "replace") + data)
        os.rename(tmp, os.path.join(self.directory, "%06d.eml" % n))
        return "250 Message accepted for delivery"


async def main(args):
    os.makedirs(args.dir, exist_ok=True)
    loop = asyncio.get_running_loop()
    handler = Store(args.dir)
    server = await loop.create_server(
        lambda: SMTP(handler, hostname="sink.test", data_size_limit=10 << 20), host=args.host, port=args.port
    )
    port = server.sockets[0].getsockname()[1]
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    sys.stdout.write("READY %d\n" % port)
    sys.stdout.flush()
    await stop.wait()
    server.close()
    await server.wait_closed()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="SMTP sink storing messages as .eml files")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--dir", required=True)
    asyncio.run(main(parser.parse_args()))
