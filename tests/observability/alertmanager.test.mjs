// deploy/prometheus/alertmanager.yml (issue 13): amtool accepts it; every
// rule of alerts.yml routes where it should (page: on-call email and the
// webhook; ticket: the team's email) and carries a runbook_url that is a
// section of docs/OPERATIONS.md; and one real alert goes all the way: an
// lsf-server stops, Prometheus (rules from alerts.yml) fires
// LsfInstanceDown, Alertmanager (this file, its example endpoints pointed
// at our SMTP sink and webhook receiver) delivers it to both. Skips without
// the Debian packages prometheus and prometheus-alertmanager; fails in CI.
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

import { startSink } from '../support/mail.mjs';
import { requireOrSkip } from '../support/require.mjs';
import { freePort, startServer } from '../support/server.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DEPLOY = path.join(ROOT, 'deploy/prometheus');
const has = (bin) => spawnSync(bin, ['--version']).status === 0;
const NO_AMTOOL = requireOrSkip('amtool', has('amtool'), 'Debian package prometheus-alertmanager');
const NO_STACK = requireOrSkip('prometheus and prometheus-alertmanager', has('prometheus') && has('prometheus-alertmanager'),
  'Debian packages prometheus, prometheus-alertmanager');

function amtool(...args) {
  const r = spawnSync('amtool', args, { cwd: DEPLOY, encoding: 'utf8' });
  assert.equal(r.status, 0, `amtool ${args.join(' ')}:\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

// [{name, severity}] of alerts.yml, read with a pattern (the file's own layout)
async function rules() {
  const text = await readFile(path.join(DEPLOY, 'alerts.yml'), 'utf8');
  const out = [];
  for (const block of text.split(/\n\s+- alert: /).slice(1)) {
    out.push({
      name: block.split('\n')[0].trim(),
      severity: /severity: (\w+)/.exec(block)?.[1],
      runbook: /runbook_url: (\S+)/.exec(block)?.[1],
    });
  }
  return out;
}

// GitHub's anchor of a Markdown heading
const anchor = (heading) => heading.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-');

test('amtool check-config deploy/prometheus/alertmanager.yml', { skip: NO_AMTOOL }, () => {
  assert.match(amtool('check-config', 'alertmanager.yml'), /SUCCESS/);
});

test('every alert routes by its severity and has a runbook section in docs/OPERATIONS.md', { skip: NO_AMTOOL }, async () => {
  const list = await rules();
  assert.equal(list.length, 6);
  const docs = await readFile(path.join(ROOT, 'docs/OPERATIONS.md'), 'utf8');
  const anchors = new Set([...docs.matchAll(/^#{1,6} (.+)$/gm)].map((m) => anchor(m[1])));
  for (const { name, severity, runbook } of list) {
    const receiver = amtool('config', 'routes', 'test', '--config.file=alertmanager.yml', `alertname=${name}`,
      `severity=${severity}`).trim();
    assert.equal(receiver, { page: 'oncall', ticket: 'team-email' }[severity], `${name} (${severity})`);
    assert.equal(runbook, `docs/OPERATIONS.md#${name.toLowerCase()}`, name);
    assert.ok(anchors.has(name.toLowerCase()), `docs/OPERATIONS.md has no section "${name}"`);
  }
});

test('LsfInstanceDown fires for real and reaches the on-call email and the webhook', { skip: NO_STACK, timeout: 120000 }, async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'lsf-am-'));
  const sink = await startSink(path.join(dir, 'mail'));
  const [mport, pport, aport, hport] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const hooks = [];
  const hook = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => { body += c; });
    req.on('end', () => {
      hooks.push(JSON.parse(body));
      res.end('ok');
    });
  });
  await new Promise((resolve) => hook.listen(hport, '127.0.0.1', resolve));
  const server = await startServer({ METRICS_PORT: String(mport) });
  const procs = [];
  let logs = '';
  try {
    // the rules as they are, but LsfInstanceDown after 2 s instead of a minute
    const alerts = (await readFile(path.join(DEPLOY, 'alerts.yml'), 'utf8'))
      .replace(/(expr: up\{job="lsf"\} == 0\n\s+for: )1m/, '$12s');
    assert.match(alerts, /for: 2s/);
    await writeFile(path.join(dir, 'alerts.yml'), alerts);
    await writeFile(path.join(dir, 'prometheus.yml'), [
      'global: {scrape_interval: 1s, evaluation_interval: 1s}',
      'rule_files: [alerts.yml]',
      `alerting: {alertmanagers: [{static_configs: [{targets: ['127.0.0.1:${aport}']}]}]}`,
      'scrape_configs:',
      `  - {job_name: lsf, static_configs: [{targets: ['127.0.0.1:${mport}']}]}`,
      '',
    ].join('\n'));
    // the routes and receivers as they are; only the example endpoints and timings change
    const am = (await readFile(path.join(DEPLOY, 'alertmanager.yml'), 'utf8'))
      .replace('smtp.example.org:587', `127.0.0.1:${sink.port}`)
      .replace('smtp_require_tls: true', 'smtp_require_tls: false')
      .replace(/^\s+smtp_auth_(username|password_file):.*\n/gm, '')
      .replace('https://alerts-webhook.example.org/lsf', `http://127.0.0.1:${hport}/hook`)
      .replace('group_wait: 30s', 'group_wait: 1s');
    await writeFile(path.join(dir, 'alertmanager.yml'), am);
    const run = (bin, args) => {
      const p = spawn(bin, args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
      p.stderr.on('data', (c) => { logs += c; });
      procs.push(p);
    };
    run('prometheus-alertmanager', [`--config.file=${path.join(dir, 'alertmanager.yml')}`, `--storage.path=${path.join(dir, 'am')}`,
      `--web.listen-address=127.0.0.1:${aport}`, '--cluster.listen-address=']);
    run('prometheus', [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'prom')}`,
      `--web.listen-address=127.0.0.1:${pport}`]);
    // Prometheus sees the instance up, then it stops
    const up = encodeURIComponent('up{job="lsf"}');
    for (const deadline = Date.now() + 30000; ; await sleep(300)) {
      const body = await fetch(`http://127.0.0.1:${pport}/api/v1/query?query=${up}`).then((r) => r.json()).catch(() => null);
      if (body?.data?.result?.[0]?.value?.[1] === '1') break;
      assert.ok(Date.now() < deadline, `Prometheus never scraped the instance:\n${logs.slice(-2000)}`);
    }
    assert.equal(await server.stop(), 0);

    let fired;
    for (const deadline = Date.now() + 60000; !fired; await sleep(300)) {
      fired = hooks.flatMap((h) => h.alerts).find((a) => a.labels.alertname === 'LsfInstanceDown' && a.status === 'firing');
      assert.ok(fired || Date.now() < deadline, `no LsfInstanceDown on the webhook:\n${logs.slice(-3000)}`);
    }
    assert.equal(fired.labels.severity, 'page');
    assert.equal(fired.annotations.runbook_url, 'docs/OPERATIONS.md#lsfinstancedown');
    assert.equal(hooks[0].receiver, 'oncall');
    const mail = await sink.waitForMail('lsf-oncall@example.org', { timeoutMs: 30000 });
    assert.match(mail.subject, /FIRING.*LsfInstanceDown/);
    assert.equal((await sink.mailsTo('lsf-team@example.org')).length, 0, 'a page goes to on-call, not the team list');
  } finally {
    for (const p of procs) p.kill('SIGTERM');
    await Promise.all(procs.map((p) => new Promise((resolve) => (p.exitCode !== null ? resolve() : p.on('exit', resolve)))));
    hook.close();
    await server.close();
    await sink.stop();
    await rm(dir, { recursive: true, force: true });
  }
});
