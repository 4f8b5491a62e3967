// Issue 16's trash and account pages in headless chromium against a real
// lsf-server: Undo of a delete (the toast's button and `u`) restores the
// task with one request, in its place, with the stats; the trash page lists
// deleted tasks and restores one; settings downloads the account's data and
// deletes the account with the password (a wrong one is shown under the
// field), then shows the log-in page; a session that ends mid-way sends the
// user to log in, and back to the page they were on after logging in. What
// the app sends is read from the requests, what the server holds from the API.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, test } from 'node:test';

import { startServer } from '../support/server.mjs';
import { axeProblems, checkPrerequisites, launch, settle, signUp, trackApi, WEB_DIR } from './browser.mjs';

const user = { name: 'Trash Panda', email: `trash.${Date.now()}@example.com`, password: 'trash-pass-123' };

let server;
let browser;
let page;
let api;
const a11y = [];

const row = (title) => page.locator('.tasks > .task', { has: page.getByRole('heading', { name: title, exact: true }) });
const titles = () => page.locator('.tasks .task-title').allTextContents();
const toast = (text) => page.locator('.Toastify__toast').filter({ hasText: text });

async function expectTitles(expected) {
  await page.waitForFunction((want) => {
    const got = [...document.querySelectorAll('.tasks .task-title')].map((e) => e.textContent);
    return JSON.stringify(got) === JSON.stringify(want) && !document.querySelector('[aria-busy="true"]');
  }, expected).catch(async () => assert.deepEqual(await titles(), expected));
}

async function expectStat(name, value) {
  await page.waitForFunction(([n, v]) => document.querySelector(`[data-stat="${n}"]`)?.textContent === v, [name, String(value)]);
}

// The /api/ requests ("METHOD /path") that action makes, once done() says its result shows.
async function requestsOf(action, done) {
  const from = api.length;
  await action();
  await done();
  await settle(page);
  return api.slice(from).map((r) => `${r.method} ${r.path}`);
}

async function deleteFromList(title) {
  await row(title).getByRole('button', { name: `Delete ${title}` }).click();
  await row(title).getByRole('button', { name: 'Yes, delete' }).click();
}

async function serverTotal() {
  const res = await page.request.get(`${server.url}/api/tasks/stats`);
  return (await res.json()).stats.total;
}

before(async () => {
  checkPrerequisites();
  server = await startServer({ WEB_DIR });
  browser = await launch();
  page = browser.page;
  api = trackApi(page);
  await signUp(page, server, user, ['Alpha', 'Bravo', 'Charlie', 'Delta'].map((title) => ({ title })));
});

after(async () => {
  await browser?.close();
  if (server) assert.equal(await server.close(), 0, 'lsf-server exit code');
});

test('undo a delete, the trash, settings, and a session that ends', async (t) => {
  await t.test('Undo in the toast restores a deleted task in its place, with one request', async () => {
    await page.goto(`${server.url}/`);
    await expectTitles(['Delta', 'Charlie', 'Bravo', 'Alpha']);
    await expectStat('total', 4);
    await deleteFromList('Charlie');
    await expectTitles(['Delta', 'Bravo', 'Alpha']);
    await expectStat('total', 3);
    const undo = toast('Deleted “Charlie”').getByRole('button', { name: 'Undo' });
    const sent = await requestsOf(() => undo.click(), () => expectTitles(['Delta', 'Charlie', 'Bravo', 'Alpha']));
    assert.deepEqual(sent.filter((r) => !r.endsWith('/stats')), [`POST /api/tasks/${(await taskId('Charlie'))}/restore`]);
    await expectStat('total', 4);
    assert.equal(await serverTotal(), 4);
    a11y.push(...(await axeProblems(page)));
  });

  await t.test('u restores the last deleted task too', async () => {
    await deleteFromList('Bravo');
    await expectTitles(['Delta', 'Charlie', 'Alpha']);
    await page.locator('body').press('u');
    await expectTitles(['Delta', 'Charlie', 'Bravo', 'Alpha']);
    assert.equal(await serverTotal(), 4);
  });

  await t.test('the trash lists a deleted task, and Restore brings it back to the list', async () => {
    await deleteFromList('Alpha');
    await expectTitles(['Delta', 'Charlie', 'Bravo']);
    await page.getByRole('link', { name: 'Trash' }).click();
    await page.getByRole('heading', { name: 'Trash', level: 1 }).waitFor();
    await page.getByText('Deleted tasks are kept for 30 days, then removed for good.').waitFor();
    const item = page.locator('.trash-item', { has: page.getByRole('heading', { name: 'Alpha' }) });
    await item.waitFor();
    assert.match(await item.textContent(), /Deleted today · Removed for good in (29|30) days/);
    a11y.push(...(await axeProblems(page)));
    const sent = await requestsOf(() => item.getByRole('button', { name: 'Restore Alpha' }).click(),
      () => page.getByText('The trash is empty.').waitFor());
    assert.deepEqual(sent, [`POST /api/tasks/${await taskId('Alpha')}/restore`]);
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'trash-title');
    await page.getByRole('link', { name: '← Back to your tasks' }).click();
    await expectTitles(['Delta', 'Charlie', 'Bravo', 'Alpha']);
  });

  await t.test('settings downloads the account as JSON', async () => {
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
    assert.match(await page.locator('.account-facts').textContent(), new RegExp(user.email.replace(/\./g, '\\.')));
    a11y.push(...(await axeProblems(page)));
    const [download] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Download my data' }).click(),
    ]);
    assert.match(download.suggestedFilename(), /^lsf-tasks-export-\d{4}-\d{2}-\d{2}\.json$/);
    const doc = JSON.parse(await readFile(await download.path(), 'utf8'));
    assert.equal(doc.user.email, user.email);
    assert.deepEqual(doc.tasks.map((x) => x.title).sort(), ['Alpha', 'Bravo', 'Charlie', 'Delta']);
    assert.equal(doc.user.password_hash ?? doc.user.passwordHash, undefined);
  });

  await t.test('a session that ends mid-way shows the log-in page, and logging in comes back', async () => {
    await page.goto(`${server.url}/trash`);
    await page.getByRole('heading', { name: 'Trash', level: 1 }).waitFor();
    await browser.context.clearCookies();
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByRole('button', { name: 'Download my data' }).click();
    await page.getByRole('heading', { name: /log in/i }).first().waitFor();
    assert.match(new URL(page.url()).pathname, /^\/login/);
    await toast('Your session has ended').waitFor();
    assert.equal(await page.locator('.Toastify__toast').filter({ hasText: 'Not Authorized' }).count(), 0);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: /^log in$/i }).click();
    await page.getByRole('heading', { name: 'Settings', level: 1 }).waitFor();
  });

  await t.test('deleting the account asks for the password, then shows the log-in page', async () => {
    await page.getByRole('button', { name: 'Delete my account…' }).click();
    const form = page.getByRole('form', { name: 'Delete account' });
    await form.getByLabel('Your password').fill('not-my-password');
    await form.getByRole('button', { name: 'Delete my account for good' }).click();
    await form.getByText('Incorrect password').waitFor();
    assert.equal(await serverTotal(), 4, 'nothing deleted yet');
    a11y.push(...(await axeProblems(page)));
    await form.getByLabel('Your password').fill(user.password);
    const sent = await requestsOf(() => form.getByRole('button', { name: 'Delete my account for good' }).click(),
      () => page.waitForURL((u) => u.pathname === '/login'));
    assert.ok(sent.includes('DELETE /api/user'), sent.join(', '));
    await toast('Your account and all its tasks were deleted').waitFor();
    const login = await page.request.post(`${server.url}/api/auth/login`, { data: { email: user.email, password: user.password } });
    assert.equal((await login.json()).success, false, 'the account is gone');
  });

  assert.deepEqual(a11y, []);
});

async function taskId(title) {
  const res = await page.request.get(`${server.url}/api/tasks?search=${encodeURIComponent(title)}`);
  return (await res.json()).tasks.find((x) => x.title === title)._id;
}
