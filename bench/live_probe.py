#!/usr/bin/env python3
"""Probe GET /health/live on new connections and report the worst latency.

bench/scaled.sh runs it while wrk loads lsf-server and Redis (or PostgreSQL)
is frozen and thawed: each probe opens a new TCP connection, so over many
probes every event loop of the server accepts some (they share the
listening socket), and a loop that waits on the network shows as a slow
probe. One probe every INTERVAL_MS, for SECONDS; a probe that gets no
complete 200 answer within 5 s counts as failed.

Usage: live_probe.py HOST PORT SECONDS INTERVAL_MS
Prints one line: "probes=N failed=F p50_ms=... p99_ms=... max_ms=...".
"""
import socket
import sys
import time

REQUEST = b'GET /health/live HTTP/1.1\r\nHost: probe\r\nConnection: close\r\n\r\n'


def probe(host, port):
    start = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=5) as s:
            s.sendall(REQUEST)
            data = b''
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    elapsed = (time.monotonic() - start) * 1000
    return elapsed if data.startswith(b'HTTP/1.1 200') else None


def main():
    host, port, seconds, interval = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    end = time.monotonic() + seconds
    times, failed = [], 0
    while time.monotonic() < end:
        t = probe(host, port)
        if t is None:
            failed += 1
        else:
            times.append(t)
        time.sleep(interval / 1000)
    times.sort()
    pick = (lambda q: times[min(len(times) - 1, int(q * len(times)))]) if times else (lambda q: 0.0)
    print('probes=%d failed=%d p50_ms=%.2f p99_ms=%.2f max_ms=%.2f' %
          (len(times) + failed, failed, pick(0.5), pick(0.99), times[-1] if times else 0.0))


if __name__ == '__main__':
    if len(sys.argv) != 5:
        sys.stderr.write(__doc__)
        sys.exit(2)
    main()
