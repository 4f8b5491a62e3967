#!/usr/bin/env node
// A stand-in for lsf-server, for tests of the test helpers themselves
// (tests/api/sanitizers.test.mjs): `fake_server.mjs serve [...]` answers any
// request on HOST:PORT with a healthy /health body, and on SIGTERM writes
// FAKE_STDERR (when set) to stderr, as a sanitizer writes its report at
// exit, and exits 0.
import http from 'node:http';

const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"status":"healthy"}');
});
server.listen(Number(process.env.PORT), process.env.HOST || '127.0.0.1');
process.on('SIGTERM', () => {
  if (process.env.FAKE_STDERR) process.stderr.write(`${process.env.FAKE_STDERR}\n`);
  process.exit(0);
});
