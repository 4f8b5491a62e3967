"""A test stand-in for the OpenTelemetry Collector (deploy/test-images,
target otel-collector), not for production: an OTLP/HTTP receiver that keeps
what it is sent so a test can read it back.

POST /v1/traces with a JSON body (Content-Type application/json) is answered
200 {} as a collector answers a full success, and the body is appended, as
one line of compact JSON, to spans.jsonl in --dir. GET /spans answers that
file (one export request per line). Other content types get 415, a body that
is not JSON 400, a body over 4 MiB 413, any other path 404. Nothing is
checked against the OTLP schema and nothing is forwarded: tests/support/otlp.mjs
checks the payloads' shape; this only carries them out of a container.
"""
import argparse
import json
import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_BODY = 4 << 20


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, and 100-continue for curl's Expect
    lock = threading.Lock()
    path_out = ""

    def answer(self, status, body, content_type="application/json"):
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        if self.path != "/v1/traces":
            self.close_connection = True
            return self.answer(404, '{"message":"not found"}')
        if self.headers.get_content_type() != "application/json":
            self.close_connection = True
            return self.answer(415, '{"message":"only application/json is taken"}')
        if length > MAX_BODY:
            self.close_connection = True
            return self.answer(413, '{"message":"body too large"}')
        raw = self.rfile.read(length)
        try:
            line = json.dumps(json.loads(raw), separators=(",", ":"))
        except ValueError as err:
            return self.answer(400, json.dumps({"message": f"not JSON: {err}"}))
        with self.lock, open(self.path_out, "a", encoding="utf-8") as out:
            out.write(line + "\n")
        self.answer(200, "{}")

    def do_GET(self):
        if self.path != "/spans":
            return self.answer(404, '{"message":"not found"}')
        with self.lock:
            try:
                with open(self.path_out, encoding="utf-8") as f:
                    text = f.read()
            except FileNotFoundError:
                text = ""
        self.answer(200, text, "application/x-ndjson")

    def log_message(self, fmt, *args):
        pass  # the lines themselves are the record


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=4318)
    parser.add_argument("--dir", required=True, help="where spans.jsonl is written")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    Handler.path_out = os.path.join(args.dir, "spans.jsonl")
    ThreadingHTTPServer((args.host, args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
