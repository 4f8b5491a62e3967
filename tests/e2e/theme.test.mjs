// Issue 16, deliverable 10 in headless chromium against a real lsf-server:
// dark mode. The system's prefers-color-scheme picks the theme before the
// app's script runs (public/theme.js, an external script, as the CSP allows
// no inline one), so nothing paints in the wrong theme; the toggle saves a
// choice that wins over the system on the next load; without a choice the
// page follows the system as it changes. And axe finds no violation of any
// impact on any page, in either theme.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startServer } from '../support/server.mjs';
import { axeViolations, checkPrerequisites, dayFromToday, launch, signUp, WEB_DIR } from './browser.mjs';

const LIGHT_BG = 'rgb(243, 244, 246)';
const DARK_BG = 'rgb(15, 23, 42)';
const user = { name: 'Night Owl', email: `owl.${Date.now()}@example.com`, password: 'night-pass-123' };

let server;
let browser;
let page;

// The page as its HTML, stylesheet and theme.js make it, the app's script
// refused: { theme, background, themeAtBody } (themeAtBody: <html
// data-theme> when <body> was first in the document, before any paint).
async function withoutApp(path) {
  await page.route('**/assets/*.js', (route) => route.abort('blockedbyclient'));
  try {
    await page.goto(`${server.url}${path}`, { waitUntil: 'load' });
    return await page.evaluate(() => ({
      theme: document.documentElement.getAttribute('data-theme'),
      background: getComputedStyle(document.documentElement).backgroundColor,
      themeAtBody: window.themeAtBody,
    }));
  } finally {
    await page.unroute('**/assets/*.js');
  }
}

const stored = () => page.evaluate(() => localStorage.getItem('lsf-theme'));

before(async () => {
  checkPrerequisites();
  server = await startServer({ WEB_DIR });
  browser = await launch();
  page = browser.page;
  await page.addInitScript(() => {
    new MutationObserver((_, obs) => {
      if (!document.body) return;
      window.themeAtBody = document.documentElement.getAttribute('data-theme');
      obs.disconnect();
    }).observe(document, { childList: true, subtree: true });
  });
});

after(async () => {
  await browser?.close();
  if (server) assert.equal(await server.close(), 0, 'lsf-server exit code');
});

test('dark mode', async (t) => {
  await t.test('the system\'s dark preference is applied before the page has a body, without the app', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    assert.deepEqual(await withoutApp('/login'), { theme: 'dark', background: DARK_BG, themeAtBody: 'dark' });
    await page.emulateMedia({ colorScheme: 'light' });
    assert.deepEqual(await withoutApp('/login'), { theme: 'light', background: LIGHT_BG, themeAtBody: 'light' });
  });

  await t.test('the toggle saves the choice, which wins over the system on the next load', async () => {
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`${server.url}/login`);
    const toggle = page.getByRole('button', { name: 'Dark theme' });
    assert.equal(await toggle.getAttribute('aria-pressed'), 'true');
    await toggle.click();
    assert.equal(await toggle.getAttribute('aria-pressed'), 'false');
    assert.equal(await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor), LIGHT_BG);
    assert.equal(await stored(), 'light');
    assert.deepEqual(await withoutApp('/login'), { theme: 'light', background: LIGHT_BG, themeAtBody: 'light' });
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(`${server.url}/login`);
    await page.getByRole('button', { name: 'Dark theme' }).click();
    assert.equal(await stored(), 'dark');
    assert.deepEqual(await withoutApp('/login'), { theme: 'dark', background: DARK_BG, themeAtBody: 'dark' });
  });

  await t.test('without a saved choice the page follows the system as it changes', async () => {
    await page.evaluate(() => localStorage.removeItem('lsf-theme'));
    await page.emulateMedia({ colorScheme: 'light' });
    await page.goto(`${server.url}/login`);
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    assert.equal(await page.evaluate(() => document.documentElement.getAttribute('data-theme')), 'light');
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.waitForFunction(() => document.documentElement.getAttribute('data-theme') === 'dark');
    assert.equal(await page.getByRole('button', { name: 'Dark theme' }).getAttribute('aria-pressed'), 'true');
  });

  await t.test('no axe violation of any impact on any page, in either theme', async () => {
    const found = [];
    const check = async (name) => {
      await page.waitForLoadState('networkidle');
      for (const v of await axeViolations(page)) found.push(`${name}: ${v}`);
    };
    let signedUp = false;
    for (const theme of ['light', 'dark']) {
      await page.emulateMedia({ colorScheme: theme });
      await page.evaluate(() => localStorage.removeItem('lsf-theme'));
      await page.context().clearCookies();
      await page.goto(`${server.url}/login`);
      await page.getByRole('heading', { name: 'Log in' }).waitFor();
      await check(`${theme} log in`);
      await page.getByRole('button', { name: 'Create an account' }).click();
      await check(`${theme} sign up`);
      await page.goto(`${server.url}/reset-password`);
      await page.getByRole('heading', { name: 'Reset password' }).waitFor();
      await check(`${theme} reset password`);

      if (!signedUp) {
        await signUp(page, server, user);
        signedUp = true;
        await page.goto(`${server.url}/`);
        await page.locator('.first-run').waitFor();
        await check(`${theme} first run`);
        for (const data of [
          { title: 'Late task', dueDate: dayFromToday(-3), priority: 'high', tags: ['work'] },
          { title: 'Today task', dueDate: dayFromToday(0), status: 'in-progress' },
          { title: 'Soon task', dueDate: dayFromToday(2), priority: 'low', description: 'With a description' },
          { title: 'Done task', dueDate: dayFromToday(-1), status: 'completed' },
        ]) await page.request.post(`${server.url}/api/tasks`, { data });
      } else {
        const res = await page.request.post(`${server.url}/api/auth/login`, { data: { email: user.email, password: user.password } });
        assert.equal(res.status(), 200);
      }
      await page.goto(`${server.url}/`);
      await page.getByRole('heading', { name: 'Late task' }).waitFor();
      await page.getByRole('textbox', { name: 'New task' }).fill('Plan trip friday #travel !high');
      await page.locator('[data-chip="due"]').waitFor();
      await page.getByRole('button', { name: 'Complete Soon task' }).click();
      await page.locator('.undo-toast').waitFor();
      await page.getByRole('button', { name: 'Status of Late task: Pending. Set to In progress' }).focus(); /* full date shown */
      await check(`${theme} list`);
      await page.getByRole('button', { name: 'Details' }).click();
      await check(`${theme} details form`);
      await page.getByRole('button', { name: 'Cancel' }).click();
      await page.getByRole('button', { name: 'Edit Late task' }).click();
      await check(`${theme} edit form`);
      await page.getByRole('form', { name: 'Edit Late task' }).getByRole('button', { name: 'Cancel' }).click();
      await page.getByRole('button', { name: 'Reopen Soon task' }).click();
      await page.getByRole('button', { name: 'Board' }).click();
      await page.locator('[data-column="completed"]').waitFor();
      await page.getByRole('button', { name: 'Move Late task' }).click();
      await check(`${theme} board`);
      await page.keyboard.press('Escape');
      await page.keyboard.press('?');
      await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
      await check(`${theme} shortcuts`);
      await page.keyboard.press('Escape');
      await page.route('**/api/**', (route) => route.abort('connectionrefused'));
      await page.route('**/health*', (route) => route.abort('connectionrefused'));
      await page.getByRole('button', { name: 'List' }).click();
      await page.locator('.offline-banner').waitFor();
      await check(`${theme} offline`);
      await page.unroute('**/api/**');
      await page.unroute('**/health*');
      await page.getByRole('button', { name: 'Try again now' }).click();
      await page.locator('.offline-banner').waitFor({ state: 'detached' });
      await page.goto(`${server.url}/verify`);
      await page.getByRole('heading', { name: 'Verify your email' }).waitFor();
      await check(`${theme} verify`);
    }
    assert.deepEqual(found, []);
  });
});
