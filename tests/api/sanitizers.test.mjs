// The test helpers themselves: a sanitizer report on a test server's stderr
// fails the suite that started it, whatever its tests asserted. The checker
// is fed the first line of each sanitizer's report (and lines that are not
// reports); then a stand-in server (support/fake_server.mjs) that writes a
// report when it stops shows that close() throws, in the single-process
// topology (server.mjs) and the gateway one (gateway.mjs), after cleaning up.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { NGINX_BIN, REDIS_BIN } from '../scale/support.mjs';
import { startGateway } from '../support/gateway.mjs';
import { requireOrSkip } from '../support/require.mjs';
import { assertNoSanitizerReport, sanitizerReports } from '../support/sanitizers.mjs';
import { startServer } from '../support/server.mjs';

const FAKE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../support/fake_server.mjs');

// First lines of real reports, one per sanitizer the builds can use.
const REPORTS = {
  AddressSanitizer: '==4242==ERROR: AddressSanitizer: heap-use-after-free on address 0x602000000010 at pc 0x55',
  LeakSanitizer: '==4242==ERROR: LeakSanitizer: detected memory leaks',
  ThreadSanitizer: 'WARNING: ThreadSanitizer: data race (pid=4242)',
  UndefinedBehaviorSanitizer: 'src/core/error.c:21:52: runtime error: negation of -2147483648 cannot be represented in type \'int\'',
  'UBSan summary': 'SUMMARY: UndefinedBehaviorSanitizer: undefined-behavior src/core/error.c:21:52 in',
  'ASan summary': 'SUMMARY: AddressSanitizer: heap-use-after-free src/kv/memory.c:80 in kv_memory_get',
};

// Lines a clean run writes, some of them close to a report.
const CLEAN = [
  '{"ts":"2026-01-01T00:00:00.000Z","level":"info","msg":"listening","host":"127.0.0.1","port":4000}',
  '{"ts":"2026-01-01T00:00:00.000Z","level":"error","msg":"request failed","error":"INTERNAL","detail":"runtime check"}',
  '{"level":"info","msg":"the ASan build (AddressSanitizer) is slower"}',
];

describe('sanitizer reports fail the suite', () => {
  let savedBin;
  const started = []; // closed again at the end, in case a test failed half-way
  before(() => {
    savedBin = process.env.LSF_BIN;
  });
  after(async () => {
    for (const s of started) await s.close().catch(() => {});
    process.env.LSF_BIN = savedBin;
  });
  const track = (s) => {
    started.push(s);
    return s;
  };

  for (const [name, line] of Object.entries(REPORTS)) {
    test(`the checker finds a ${name} report among other lines`, () => {
      const text = [CLEAN[0], line, '    #0 0x55 in main src/main.c:1', CLEAN[1]].join('\n');
      assert.deepEqual(sanitizerReports(text), [line]);
      assert.throws(() => assertNoSanitizerReport(text, 'the server'), (err) =>
        err.message.startsWith('the server wrote a sanitizer report on stderr:\n') && err.message.includes(line));
    });
  }

  test('the checker passes stderr without a report', () => {
    assert.deepEqual(sanitizerReports(CLEAN.join('\n')), []);
    assert.doesNotThrow(() => assertNoSanitizerReport(CLEAN.join('\n')));
    assert.doesNotThrow(() => assertNoSanitizerReport(''));
  });

  test('startServer(): close() throws on a LeakSanitizer report written at exit, and still cleans up', async () => {
    assert.ok(existsSync(FAKE), FAKE);
    process.env.LSF_BIN = FAKE;
    const server = track(await startServer({ FAKE_STDERR: REPORTS.LeakSanitizer }));
    await assert.rejects(server.close(), /sanitizer report on stderr:\n==4242==ERROR: LeakSanitizer/);
    assert.equal(server.exitCode, 0, 'the report fails the suite even though the process exited 0');
    assert.equal(existsSync(server.dir), Boolean(process.env.LSF_KEEP_TMP), 'the temp dir is removed');
  });

  test('startServer(): restart() throws on a report of the run it stopped; a clean run closes with 0', async () => {
    process.env.LSF_BIN = FAKE;
    const server = track(await startServer({ FAKE_STDERR: REPORTS.ThreadSanitizer }));
    await assert.rejects(server.restart({ FAKE_STDERR: undefined }), /ThreadSanitizer: data race/);
    // the throw came once the process was gone, before the new run: start it now
    assert.equal(await server.restart({ FAKE_STDERR: undefined }), 0);
    assert.equal(await server.close(), 0, 'the report already seen is not reported again');
  });

  test('gateway: close() throws when one of the three processes wrote a report',
    { skip: requireOrSkip('nginx and redis-server', NGINX_BIN && REDIS_BIN, 'apt-get install nginx-light redis-server') },
    async () => {
      process.env.LSF_BIN = FAKE;
      const gw = track(await startGateway({ FAKE_STDERR: REPORTS.AddressSanitizer }));
      await assert.rejects(gw.close(), /lsf-server --services auth wrote a sanitizer report on stderr:\n==4242==ERROR: AddressSanitizer/);
      assert.equal(existsSync(gw.dir), Boolean(process.env.LSF_KEEP_TMP), 'the temp dir is removed');
    });
});
