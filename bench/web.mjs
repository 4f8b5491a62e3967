// The web app's benchmark (issue 6), run by bench/run.sh or alone:
//   LSF_BIN=build/release/lsf-server node bench/web.mjs
// 1. Initial JS+CSS size: the files under /assets/ that web/dist/index.html
//    references (script, modulepreload, stylesheet), each gzipped at level 9,
//    summed. Aim: at most 120 KB (checked as 120,000 bytes).
// 2. Board load time: lsf-server (LSF_BIN, default build/release/lsf-server)
//    serves WEB_DIR (default web/dist) on a free loopback port over a fresh
//    SQLite database; a user signs up, verifies the account (the code read
//    from the mail the server writes to DATA_DIR/mail) and gets 100 tasks
//    through the API;
//    then headless Chromium (Debian's, CHROMIUM, default /usr/bin/chromium,
//    driven by playwright-core from tests/e2e/node_modules) loads the board in
//    a fresh browser context (empty cache, only the session cookie) per run,
//    waits for the first page of tasks, and reads largest-contentful-paint
//    through a buffered PerformanceObserver and the navigation timing.
//    One unmeasured warm-up run, then WEB_BENCH_RUNS (5) measured; prints the
//    median of each. Aim: LCP under 1 s on this machine (the plan's bar: 3 s).
// Prints a markdown section. Exits 0 after printing "skipped" when Chromium,
// the built app or playwright-core is missing; with BENCH_STRICT=1, exits 1
// when an aim is missed.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LSF_BIN = process.env.LSF_BIN || process.argv[2] || path.join(ROOT, 'build/release/lsf-server');
const WEB_DIR = path.resolve(process.env.WEB_DIR || path.join(ROOT, 'web/dist'));
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const RUNS = Number(process.env.WEB_BENCH_RUNS || 5);
const TASKS = 100;
const PAGE_TASKS = 10; // the board's first page (web/src/pages/Board.jsx)
const AIM_GZIP_BYTES = 120_000;
const AIM_LCP_MS = 1000;
let browserVersion = '';
const ARGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

function skip(reason) {
  console.log(`\n## Web app: bundle size and board load\n\nSkipped: ${reason}.`);
  process.exit(0);
}

function loadPlaywright() {
  try {
    return createRequire(path.join(ROOT, 'tests/e2e/package.json'))('playwright-core');
  } catch {
    return null;
  }
}

// The /assets/ files index.html loads at once, in document order.
function initialAssets(html) {
  const refs = [];
  for (const m of html.matchAll(/<(script|link)\b[^>]*>/gi)) {
    const tag = m[0];
    const url = /\b(?:src|href)="([^"]+)"/i.exec(tag)?.[1];
    if (!url || !url.startsWith('/assets/')) continue;
    if (m[1].toLowerCase() === 'link' && !/\brel="(stylesheet|modulepreload)"/i.test(tag)) continue;
    if (/\.(js|mjs|css)$/.test(url) && !refs.includes(url)) refs.push(url);
  }
  return refs;
}

async function bundleSize() {
  const html = await readFile(path.join(WEB_DIR, 'index.html'), 'utf8');
  const files = [];
  for (const url of initialAssets(html)) {
    const raw = await readFile(path.join(WEB_DIR, url));
    files.push({ url, raw: raw.length, gzip: gzipSync(raw, { level: 9 }).length });
  }
  return files;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function startServer(dir) {
  const port = await freePort();
  const env = {
    PATH: process.env.PATH, HOST: '127.0.0.1', PORT: String(port), LSF_ENV: 'test', DATA_DIR: dir,
    DATABASE_URL: `sqlite:${path.join(dir, 'lsf.db')}`, WEB_DIR, ACCESS_LOG: 'off', LOG_LEVEL: 'warn',
    RATE_LIMIT: 'off', METRICS_PORT: '0', ENV_FILE: path.join(dir, 'no.env'),
    JWT_SECRET: 'web-bench-secret-0123456789abcdef0123456789',
  };
  const proc = spawn(LSF_BIN, ['serve'], { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (c) => (stderr += c));
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    if (proc.exitCode !== null) throw new Error(`lsf-server exited at start:\n${stderr}`);
    try {
      if ((await fetch(`${url}/health`)).ok) return { proc, url };
    } catch {
      await sleep(100);
    }
  }
  proc.kill('SIGKILL');
  throw new Error(`lsf-server did not answer within 10 s:\n${stderr}`);
}

// Verify the account with the OTP from the mail lsf-server wrote to
// DATA_DIR/mail (no SMTP_URL), so the board is a regular user's (no
// "verify your email" prompt).
async function verify(url, dir, token) {
  const headers = { 'content-type': 'application/json', cookie: `token=${token}` };
  const sent = await fetch(`${url}/api/auth/send-verify-otp`, { method: 'POST', headers });
  if (sent.status !== 200) throw new Error(`send-verify-otp answered ${sent.status}: ${await sent.text()}`);
  const mailDir = path.join(dir, 'mail');
  for (let i = 0; i < 100; i++) {
    const names = existsSync(mailDir) ? (await readdir(mailDir)).filter((n) => n.endsWith('.eml')) : [];
    for (const name of names) {
      const eml = await readFile(path.join(mailDir, name), 'utf8');
      const body = eml.slice(eml.search(/\r?\n\r?\n/)).replace(/=\r?\n/g, '').replace(/<[^>]*>/g, ' ');
      for (const [otp] of body.matchAll(/(?<![\w#@.=-])\d{6}(?![\w@-])/g)) {
        const res = await fetch(`${url}/api/auth/verify-account`, { method: 'POST', headers, body: JSON.stringify({ otp }) });
        if ((await res.json()).success) return;
      }
    }
    await sleep(100);
  }
  throw new Error(`no verification code found in ${mailDir}`);
}

// Sign up, verify and create the tasks; returns the session token.
async function seed(url, dir) {
  const res = await fetch(`${url}/api/auth/register`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'Web Bench', email: `web-bench-${Date.now()}@example.com`, password: 'web-bench-password-1' }),
  });
  const token = res.headers.getSetCookie().map((c) => /^token=([^;]+)/.exec(c)?.[1]).find(Boolean);
  if (res.status !== 201 || !token) throw new Error(`register answered ${res.status}: ${await res.text()}`);
  await verify(url, dir, token);
  const statuses = ['pending', 'in-progress', 'completed'];
  const priorities = ['low', 'medium', 'high'];
  const tags = ['work', 'home', 'errand', 'urgent', 'later'];
  for (let i = 0; i < TASKS; i += 10) {
    await Promise.all(Array.from({ length: 10 }, async (_, k) => {
      const n = i + k;
      const task = {
        title: `Board task ${n + 1}: review the quarterly plan`,
        description: `Task ${n + 1} of the web benchmark, with a description long enough to wrap on a phone.`,
        status: statuses[n % 3], priority: priorities[n % 3], tags: [tags[n % 5], tags[(n + 2) % 5]],
        dueDate: new Date(Date.now() + (n - 20) * 86400000).toISOString(),
      };
      const r = await fetch(`${url}/api/tasks`, {
        method: 'POST', headers: { 'content-type': 'application/json', cookie: `token=${token}` }, body: JSON.stringify(task),
      });
      if (r.status !== 201) throw new Error(`creating a task answered ${r.status}: ${await r.text()}`);
    }));
  }
  return token;
}

// One cold load of the board in a new context; times in ms from navigation start.
async function loadBoard(browser, url, token) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US', timezoneId: 'UTC' });
  try {
    await context.addCookies([{ name: 'token', value: token, url }]);
    // when the first page of tasks is in the document, timed in the page
    await context.addInitScript((n) => {
      new MutationObserver((_, obs) => {
        if (document.querySelectorAll('ul.tasks li.task').length >= n) {
          window.lsfTasksShown = performance.now();
          obs.disconnect();
        }
      }).observe(document, { childList: true, subtree: true });
    }, PAGE_TASKS);
    const page = await context.newPage();
    await page.goto(`${url}/`, { waitUntil: 'load' });
    await page.locator('ul.tasks li.task').nth(PAGE_TASKS - 1).waitFor({ timeout: 15000 });
    await page.waitForLoadState('networkidle');
    return await page.evaluate(async () => {
      const lcp = await new Promise((resolve) => {
        new PerformanceObserver((list) => {
          const entries = list.getEntries();
          resolve(entries[entries.length - 1]);
        }).observe({ type: 'largest-contentful-paint', buffered: true });
        setTimeout(() => resolve(null), 2000);
      });
      const nav = performance.getEntriesByType('navigation')[0];
      const fcp = performance.getEntriesByName('first-contentful-paint')[0];
      return {
        path: location.pathname,
        lcp: lcp ? lcp.startTime : NaN,
        lcpElement: lcp?.element
          ? `${lcp.element.tagName.toLowerCase()}${lcp.element.className ? `.${String(lcp.element.className).split(' ')[0]}` : ''}` +
            ` "${lcp.element.textContent.trim().slice(0, 24)}"`
          : '?',
        fcp: fcp ? fcp.startTime : NaN,
        ttfb: nav.responseStart,
        domContentLoaded: nav.domContentLoadedEventEnd,
        load: nav.loadEventEnd,
        tasksShown: window.lsfTasksShown ?? NaN,
      };
    });
  } finally {
    await context.close();
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function main() {
  if (!existsSync(path.join(WEB_DIR, 'index.html'))) skip(`no built web app in ${WEB_DIR} (make web)`);
  if (!existsSync(LSF_BIN)) skip(`no lsf-server at ${LSF_BIN} (make all, or set LSF_BIN)`);
  if (!existsSync(CHROMIUM)) skip(`no browser at ${CHROMIUM} (apt-get install chromium)`);
  const playwright = loadPlaywright();
  if (!playwright) skip('playwright-core is not installed in tests/e2e (cd tests/e2e && npm ci)');

  const files = await bundleSize();
  const dir = await mkdtemp(path.join(tmpdir(), 'lsf-web-bench-'));
  let server;
  let browser;
  const runs = [];
  try {
    server = await startServer(dir);
    const token = await seed(server.url, dir);
    browser = await playwright.chromium.launch({ executablePath: CHROMIUM, headless: true, args: ARGS });
    browserVersion = browser.version();
    await loadBoard(browser, server.url, token); // warm-up: browser and server caches
    for (let i = 0; i < RUNS; i++) {
      const r = await loadBoard(browser, server.url, token);
      if (r.path !== '/') throw new Error(`the board was not shown: ended at ${r.path}`);
      runs.push(r);
      process.stderr.write(`bench: board load ${i + 1}/${RUNS}: LCP ${r.lcp.toFixed(0)} ms\n`);
    }
  } finally {
    if (browser) await browser.close();
    if (server) {
      server.proc.kill('SIGTERM');
      await new Promise((resolve) => (server.proc.exitCode !== null ? resolve() : server.proc.once('exit', resolve)));
    }
    await rm(dir, { recursive: true, force: true });
  }

  const gz = files.reduce((a, f) => a + f.gzip, 0);
  const raw = files.reduce((a, f) => a + f.raw, 0);
  const lcp = median(runs.map((r) => r.lcp));
  const sizeMet = gz <= AIM_GZIP_BYTES;
  const lcpMet = lcp < AIM_LCP_MS;
  const ms = (v) => (Number.isFinite(v) ? v.toFixed(0) : '?');
  const out = [];
  out.push('', '## Web app: bundle size and board load', '');
  out.push(`Initial JS+CSS (what ${path.relative(ROOT, WEB_DIR) || WEB_DIR}/index.html loads at once, gzip -9):`, '');
  out.push('| file | bytes | gzip -9 |', '|---|---:|---:|');
  for (const f of files) out.push(`| ${f.url} | ${f.raw} | ${f.gzip} |`);
  out.push(`| total | ${raw} | ${gz} (${(gz / 1024).toFixed(1)} KiB) |`, '');
  out.push(`Board with ${TASKS} tasks (first page of ${PAGE_TASKS} shown), ${RUNS} cold loads in fresh contexts after one warm-up,`);
  out.push(`headless Chromium ${browserVersion} at 1280x800, lsf-server on loopback (ms from navigation start):`, '');
  out.push('| run | TTFB | FCP | DOMContentLoaded | load | tasks shown | LCP | LCP element |', '|---|---:|---:|---:|---:|---:|---:|---|');
  runs.forEach((r, i) => out.push(`| ${i + 1} | ${ms(r.ttfb)} | ${ms(r.fcp)} | ${ms(r.domContentLoaded)} | ${ms(r.load)} | ${ms(r.tasksShown)} | ${ms(r.lcp)} | ${r.lcpElement} |`));
  const med = (k) => ms(median(runs.map((r) => r[k])));
  out.push(`| median | ${med('ttfb')} | ${med('fcp')} | ${med('domContentLoaded')} | ${med('load')} | ${med('tasksShown')} | ${ms(lcp)} | |`, '');
  out.push(`Aims: initial JS+CSS <= 120 KB gzipped: ${gz} bytes ${sizeMet ? '(met)' : '(MISSED)'}; ` +
    `LCP < 1 s: ${ms(lcp)} ms median ${lcpMet ? '(met)' : '(MISSED)'}.`);
  console.log(out.join('\n'));
  if (process.env.BENCH_STRICT === '1' && !(sizeMet && lcpMet)) process.exit(1);
}

main().catch((err) => {
  console.error(`bench/web.mjs: ${err.stack || err}`);
  process.exit(2);
});
