// The web app under a strict Content-Security-Policy: no inline script, no
// eval, no inline <style> or style attribute in the HTML. The policy is
// added here to every page the browser loads (whatever the server sends
// today), and the app is driven through its pages, the quick add's chips,
// the undo toast, the edit form, the delete confirmation, the board, the
// shortcut overlay, the theme toggle and a rate-limit countdown. Chromium fires a
// securitypolicyviolation event for each refusal (its own "Refused to ..."
// log line does not reach Playwright's console event), which the page
// logs as "Refused to ..."; there must be none.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startServer } from '../support/server.mjs';
import { checkPrerequisites, launch, WEB_DIR } from './browser.mjs';

const CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'";

let server;
let browser;
let page;
const refused = [];

before(async () => {
  checkPrerequisites();
  server = await startServer({ WEB_DIR });
  browser = await launch();
  page = browser.page;
  page.on('console', (msg) => {
    if (/Refused to|Content[- ]Security[- ]Policy/i.test(msg.text())) refused.push(msg.text());
  });
  page.on('pageerror', (err) => refused.push(`page error: ${err.message}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`Refused to load (securitypolicyviolation): ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  await page.route('**/*', async (route) => {
    if (route.request().resourceType() !== 'document') return route.continue();
    const res = await route.fetch();
    return route.fulfill({ response: res, headers: { ...res.headers(), 'content-security-policy': CSP } });
  });
});

after(async () => {
  await browser?.close();
  if (server) assert.equal(await server.close(), 0, 'lsf-server exit code');
});

test('the app runs under a strict CSP without a single refusal', async () => {
  const user = { name: 'Strict User', email: `csp.${Date.now()}@example.com`, password: 'strict-pass-123' };
  await page.goto(`${server.url}/`);
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  assert.equal(await page.evaluate(() => document.querySelectorAll('script:not([src]), style, [style]').length), 0,
    'no inline script, <style> or style attribute in the page');

  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Name').fill(user.name);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await page.getByRole('heading', { name: 'New task' }).waitFor();

  const line = page.getByRole('textbox', { name: 'New task' });
  await line.fill('Under a policy tomorrow #strict !high');
  await page.locator('[data-chip="due"]').waitFor();
  await line.press('Enter');
  await page.getByRole('heading', { name: 'Under a policy' }).waitFor();

  await page.getByRole('button', { name: 'Complete Under a policy' }).click();
  await page.locator('.Toastify__toast').filter({ hasText: 'Completed “Under a policy”' }).getByRole('button', { name: 'Undo' }).click();
  await page.getByRole('button', { name: 'Complete Under a policy' }).waitFor();

  await page.getByRole('button', { name: 'Edit Under a policy' }).click();
  await page.getByRole('form', { name: 'Edit Under a policy' }).getByRole('button', { name: 'Cancel' }).click();
  await page.getByRole('button', { name: 'Delete Under a policy' }).click();
  await page.getByRole('button', { name: 'Cancel' }).click();

  await page.getByRole('button', { name: 'Board' }).click();
  await page.getByRole('heading', { name: 'In progress' }).waitFor();
  await page.keyboard.press('?');
  await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
  await page.keyboard.press('Escape');
  await page.getByRole('button', { name: 'Dark theme' }).click();
  await page.getByRole('button', { name: 'List' }).click();
  await page.getByRole('heading', { name: 'Under a policy' }).waitFor();

  await page.route('**/api/tasks/*', (route) => route.fulfill({
    status: 429, headers: { 'Retry-After': '30' }, contentType: 'application/json', body: '{"success":false,"message":"Too many requests"}',
  }));
  await page.getByRole('button', { name: 'Complete Under a policy' }).click();
  await page.locator('[data-countdown]').waitFor();
  await page.unroute('**/api/tasks/*');

  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('heading', { name: 'Log in' }).waitFor();
  await page.waitForLoadState('networkidle');
  assert.deepEqual(refused, []);
});
