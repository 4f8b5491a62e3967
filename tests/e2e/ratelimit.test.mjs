// Rate limits as the user meets them, against real lsf-servers with small
// limits: a 429 on the log-in form (the failed-auth limiter) and on the
// board (the /api/ limit) says when to try again from the server's
// Retry-After, inline and in a toast that counts down. The limits are set
// both per IP and per user (RATE_LIMIT_USER_MAX, for a server that counts
// signed-in users apart), so the test holds either way.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startServer } from '../support/server.mjs';
import { checkPrerequisites, launch, WEB_DIR } from './browser.mjs';

const WINDOW_MS = 120000;
const WAIT = /^Too many requests: try again in (2 minutes|1[01]\d seconds|\d\d? seconds)$/;

let browser;
let page;
const servers = [];

before(async () => {
  checkPrerequisites();
  browser = await launch();
  page = browser.page;
});

after(async () => {
  await browser?.close();
  for (const s of servers) assert.equal(await s.close(), 0, 'lsf-server exit code');
});

async function limitedServer(env) {
  const s = await startServer({ WEB_DIR, RATE_LIMIT: 'on', ...env });
  servers.push(s);
  return s;
}

// The toast's countdown moves down from its first value.
async function expectCountdown() {
  const toast = page.locator('.Toastify__toast').filter({ hasText: 'Too many requests' });
  await toast.waitFor();
  const first = await toast.locator('[data-countdown]').textContent();
  assert.match(first, WAIT);
  const seconds = /(\d+) seconds/.exec(first)?.[1];
  if (seconds) {
    await page.waitForFunction((s) => {
      const m = /(\d+) seconds/.exec(document.querySelector('[data-countdown]')?.textContent ?? '');
      return m && Number(m[1]) < s;
    }, Number(seconds));
  }
}

test('wrong passwords until the failed-auth limit: the form says when to try again', async () => {
  const server = await limitedServer({ AUTH_RATE_LIMIT_MAX: '1', AUTH_RATE_LIMIT_WINDOW_MS: String(WINDOW_MS) });
  await page.goto(`${server.url}/login`);
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  const error = page.locator('.form-error');
  let status = 0;
  page.on('response', (res) => {
    if (res.url().endsWith('/api/auth/login')) status = res.status();
  });
  for (let i = 0; i < 5 && status !== 429; i++) {
    await page.getByLabel('Email').fill('nobody@example.com');
    await page.getByLabel('Password').fill(`wrong-${i}`);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.waitForFunction(() => !document.querySelector('button[type=submit]').disabled && document.querySelector('.form-error'));
  }
  assert.equal(status, 429, 'the limit was reached');
  assert.match(await error.textContent(), WAIT);
  await expectCountdown();
});

test('the board past the /api/ limit: Complete says when to try again, the task stays', async () => {
  const server = await limitedServer({ RATE_LIMIT_MAX: '30', RATE_LIMIT_USER_MAX: '30', RATE_LIMIT_WINDOW_MS: String(WINDOW_MS) });
  const reg = await page.request.post(`${server.url}/api/auth/register`, {
    data: { name: 'Rate Limited', email: `limited.${Date.now()}@example.com`, password: 'limited-pass-1' },
  });
  assert.equal(reg.status(), 201);
  assert.equal((await page.request.post(`${server.url}/api/tasks`, { data: { title: 'Limited task' } })).status(), 201);
  await page.goto(`${server.url}/`);
  await page.getByRole('heading', { name: 'Limited task' }).waitFor();
  // use up what is left of the window (the same session, so the same bucket)
  let used = 0;
  while ((await page.request.get(`${server.url}/api/tasks/stats`)).status() !== 429) assert.ok(++used < 40, 'the limit never came');
  await page.getByRole('button', { name: 'Complete Limited task' }).click();
  await expectCountdown();
  await page.getByRole('button', { name: 'Complete Limited task' }).waitFor();
});
