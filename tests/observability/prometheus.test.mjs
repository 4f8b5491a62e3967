// deploy/prometheus: the scrape configuration and alert rules pass promtool
// (config check and the rule unit tests in alerts_test.yml), and a real
// Prometheus on loopback, scraping a running lsf-server's metrics listener,
// sees exactly the requests made. Skips when promtool / prometheus (Debian
// package prometheus) are not installed; fails then in CI (CI=true).
// Run: LSF_BIN=build/release/lsf-server node --test tests/observability/
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { randomBytes } from 'node:crypto';

import { startOtlpReceiver } from '../support/otlp.mjs';
import { requireOrSkip } from '../support/require.mjs';
import { freePort, startServer } from '../support/server.mjs';

const DEPLOY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../deploy/prometheus');
const has = (bin) => spawnSync(bin, ['--version']).status === 0;
const NO_PROMTOOL = requireOrSkip('promtool', has('promtool'), 'Debian package prometheus');
const NO_PROMETHEUS = requireOrSkip('prometheus', has('prometheus'), 'Debian package prometheus');

// A real Prometheus on a free loopback port, scraping 127.0.0.1:mport every
// second, its data in a temp dir: { api(path), log(), stop() }.
async function startPrometheus(mport, args = []) {
  const pport = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'lsf-prom-'));
  await writeFile(path.join(dir, 'prometheus.yml'), [
    'global: {scrape_interval: 1s, evaluation_interval: 1s}',
    'scrape_configs:',
    `  - {job_name: lsf, static_configs: [{targets: ['127.0.0.1:${mport}']}]}`,
    '',
  ].join('\n'));
  const prom = spawn('prometheus', [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${pport}`, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  prom.stderr.on('data', (c) => { log += c; });
  return {
    api: async (p) => (await fetch(`http://127.0.0.1:${pport}${p}`)).json(),
    log: () => log,
    async stop() {
      prom.kill('SIGTERM');
      await new Promise((resolve) => (prom.exitCode !== null ? resolve() : prom.on('exit', resolve)));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function promtool(...args) {
  const r = spawnSync('promtool', args, { cwd: DEPLOY, encoding: 'utf8' });
  assert.equal(r.status, 0, `promtool ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

test('promtool check config deploy/prometheus/prometheus.yml', { skip: NO_PROMTOOL }, () => {
  assert.match(promtool('check', 'config', 'prometheus.yml'), /SUCCESS: 1 rule files found/);
});

test('promtool test rules deploy/prometheus/alerts_test.yml', { skip: NO_PROMTOOL }, () => {
  promtool('check', 'rules', 'alerts.yml');
  assert.match(promtool('test', 'rules', 'alerts_test.yml'), /SUCCESS/);
});

test('a real Prometheus scraping lsf-server counts exactly the requests made', { skip: NO_PROMETHEUS, timeout: 60000 }, async () => {
  const REQUESTS = 7;
  const mport = await freePort();
  const server = await startServer({ METRICS_PORT: String(mport) });
  let prom;
  try {
    prom = await startPrometheus(mport);
    for (let i = 0; i < REQUESTS; i++) await (await fetch(`${server.url}/health/live`)).arrayBuffer();
    const query = encodeURIComponent('sum(http_request_duration_seconds_count{job="lsf",route="/health/live",status_code="200"})');
    let value;
    for (const deadline = Date.now() + 45000; Date.now() < deadline; await sleep(500)) {
      try {
        const body = await prom.api(`/api/v1/query?query=${query}`);
        value = body.data?.result?.[0]?.value?.[1];
        if (value === String(REQUESTS)) break;
      } catch { /* not up yet */ }
    }
    assert.equal(value, String(REQUESTS), `Prometheus saw ${value}:\n${prom.log().slice(-2000)}`);
  } finally {
    await prom?.stop();
    await server.close();
  }
});

test('with exemplar storage, Prometheus keeps the trace id of a traced request on the latency histogram (OpenMetrics)',
  { skip: NO_PROMETHEUS, timeout: 60000 }, async () => {
    const traceId = randomBytes(16).toString('hex');
    const mport = await freePort();
    const receiver = await startOtlpReceiver();
    const server = await startServer({ METRICS_PORT: String(mport), OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
    let prom;
    try {
      prom = await startPrometheus(mport, ['--enable-feature=exemplar-storage']);
      const res = await fetch(`${server.url}/health/live`, { headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } });
      await res.arrayBuffer();
      const query = encodeURIComponent('http_request_duration_seconds_bucket{job="lsf",route="/health/live"}');
      let found = [];
      for (const deadline = Date.now() + 45000; Date.now() < deadline; await sleep(500)) {
        try {
          const now = Date.now() / 1000;
          const body = await prom.api(`/api/v1/query_exemplars?query=${query}&start=${now - 600}&end=${now + 60}`);
          found = (body.data ?? []).flatMap((series) => series.exemplars.map((e) => e.labels.trace_id));
          if (found.includes(traceId)) break;
        } catch { /* not up yet */ }
      }
      const log = prom.log();
      assert.ok(found.includes(traceId), `exemplars ${JSON.stringify(found)}:\n${log.slice(-2000)}`);
      assert.ok(!/error|invalid/i.test(log.split('\n').filter((l) => /scrape/i.test(l)).join('\n')), 'the scrape parsed');
    } finally {
      await prom?.stop();
      await server.close();
      await receiver.stop();
    }
  });
