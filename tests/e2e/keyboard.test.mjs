// Issue 16, deliverables 6 and 7 in headless chromium against a real
// lsf-server: the keyboard shortcuts (n, /, j, k, x, u, e, #, ?), none of
// which fires while typing in a field; and the URL holding the view (filters,
// search, sort, list or board): a reload shows the same view, back and
// forward walk through the views, and a bookmarked view survives logging in.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startServer } from '../support/server.mjs';
import { axeProblems, checkPrerequisites, focusedName, launch, settle, signUp, trackApi, WEB_DIR } from './browser.mjs';

const user = { name: 'Key User', email: `keys.${Date.now()}@example.com`, password: 'keys-pass-123' };

let server;
let browser;
let page;
let api;
const a11y = [];

const titles = () => page.locator('.tasks .task-title').allTextContents();
const filters = () => page.getByRole('search', { name: 'Filter tasks' });
const focusedTask = () => page.evaluate(() => document.activeElement?.closest('[data-task-id]')?.querySelector('.task-title')?.textContent ?? null);

async function expectTitles(expected) {
  await page.waitForFunction((want) => {
    const got = [...document.querySelectorAll('.tasks .task-title')].map((e) => e.textContent);
    return JSON.stringify(got) === JSON.stringify(want) && !document.querySelector('[aria-busy="true"]');
  }, expected).catch(async () => assert.deepEqual(await titles(), expected));
}

async function serverStatus(title) {
  const res = await page.request.get(`${server.url}/api/tasks?search=${encodeURIComponent(title)}`);
  return (await res.json()).tasks.find((t) => t.title === title)?.status;
}

before(async () => {
  checkPrerequisites();
  server = await startServer({ WEB_DIR });
  browser = await launch();
  page = browser.page;
  api = trackApi(page);
  await signUp(page, server, user, [
    { title: 'Buy milk', priority: 'high', tags: ['home'] },
    { title: 'Milk the cow', priority: 'low', tags: ['farm'] },
    { title: 'Call plumber', priority: 'high', tags: ['home'] },
    { title: 'Write report', priority: 'medium', tags: ['work'] },
  ]);
});

after(async () => {
  await browser?.close();
  if (server) assert.equal(await server.close(), 0, 'lsf-server exit code');
});

test('keyboard shortcuts', async (t) => {
  await t.test('n focuses the quick-add line; letters typed there stay letters', async () => {
    await page.goto(`${server.url}/`);
    await expectTitles(['Write report', 'Call plumber', 'Milk the cow', 'Buy milk']);
    await page.locator('#list-title').focus();
    await page.keyboard.press('n');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'quick-add');
    assert.equal(await page.locator('#quick-add').inputValue(), '', 'the n itself is not typed');
    const from = api.length;
    await page.keyboard.type('x j k e # u ? n /');
    await settle(page);
    assert.equal(await page.locator('#quick-add').inputValue(), 'x j k e # u ? n /');
    assert.deepEqual(api.slice(from), [], 'no shortcut ran');
    assert.equal(await page.getByRole('dialog').count(), 0);
    await page.locator('#quick-add').fill('');
  });

  await t.test('j and k move from task to task', async () => {
    await page.locator('#list-title').focus();
    await page.keyboard.press('j');
    assert.equal(await focusedTask(), 'Write report');
    await page.keyboard.press('j');
    await page.keyboard.press('j');
    assert.equal(await focusedTask(), 'Milk the cow');
    await page.keyboard.press('k');
    assert.equal(await focusedTask(), 'Call plumber');
  });

  await t.test('x completes the task in focus, u undoes it', async () => {
    const from = api.length;
    await page.keyboard.press('x');
    await page.locator('.Toastify__toast').filter({ hasText: 'Completed “Call plumber”' }).waitFor();
    assert.deepEqual(api.slice(from).map((r) => [r.method, r.body]), [['PATCH', { status: 'completed' }]]);
    assert.equal(await serverStatus('Call plumber'), 'completed');
    assert.equal(await focusedName(page), 'Complete Milk the cow', 'focus moves on to the next task');
    await page.keyboard.press('k');
    assert.equal(await focusedTask(), 'Call plumber');
    await page.keyboard.press('u');
    await page.getByRole('button', { name: 'Complete Call plumber' }).waitFor();
    await settle(page);
    assert.deepEqual(api.slice(from).map((r) => [r.method, r.body]), [['PATCH', { status: 'completed' }], ['PATCH', { status: 'pending' }]]);
    assert.equal(await serverStatus('Call plumber'), 'pending');
  });

  await t.test('e edits the task in focus; # asks to delete it', async () => {
    await page.getByRole('button', { name: 'Complete Call plumber' }).focus();
    await page.keyboard.press('e');
    const form = page.getByRole('form', { name: 'Edit Call plumber' });
    await form.waitFor();
    assert.equal(await focusedName(page), 'Call plumber', 'the form opens with its title focused');
    await page.keyboard.type(' now');
    assert.equal(await form.getByLabel('Title').inputValue(), 'Call plumber now', 'e typed in the form is an e');
    await form.getByRole('button', { name: 'Cancel' }).click();
    await page.keyboard.press('#');
    await page.getByRole('group', { name: 'Delete Call plumber?' }).waitFor();
    assert.equal(await focusedName(page), 'Cancel');
    await page.keyboard.press('Enter');
    assert.equal(await focusedName(page), 'Delete Call plumber');
  });

  await t.test('/ focuses the search; ? shows the shortcuts, Escape closes them and focus returns', async () => {
    await page.keyboard.press('/');
    assert.equal(await page.evaluate(() => document.activeElement.name), 'search');
    assert.equal(await filters().getByLabel('Search').inputValue(), '');
    await page.getByRole('button', { name: 'Delete Call plumber' }).focus();
    await page.keyboard.press('?');
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await dialog.waitFor();
    const keys = await dialog.locator('dt').allTextContents();
    assert.deepEqual(keys, ['n', '/', 'j', 'k', 'x', 'e', '#', 'u', '?', 'Esc']);
    a11y.push(...(await axeProblems(page)));
    await page.keyboard.press('j');
    assert.equal(await dialog.isVisible(), true, 'shortcuts do not run behind the dialog');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    assert.equal(await focusedName(page), 'Delete Call plumber');
  });
});

test('the URL holds the view', async (t) => {
  await t.test('filters, search and sort go into the URL, one history entry each', async () => {
    await filters().getByLabel('Search').fill('milk');
    await expectTitles(['Milk the cow', 'Buy milk']);
    assert.equal(new URL(page.url()).search, '?q=milk');
    await filters().getByLabel('Sort').selectOption('title');
    await expectTitles(['Buy milk', 'Milk the cow']);
    assert.equal(new URL(page.url()).search, '?q=milk&sort=title');
    await filters().getByLabel('Priority').selectOption('high');
    await expectTitles(['Buy milk']);
    assert.equal(new URL(page.url()).search, '?priority=high&q=milk&sort=title');
  });

  await t.test('a reload shows the same view', async () => {
    await page.reload();
    await expectTitles(['Buy milk']);
    assert.equal(await filters().getByLabel('Search').inputValue(), 'milk');
    assert.equal(await filters().getByLabel('Priority').inputValue(), 'high');
    assert.equal(await filters().getByLabel('Sort').inputValue(), 'title');
  });

  await t.test('back and forward walk through the views, and the controls follow', async () => {
    await page.goBack();
    await expectTitles(['Buy milk', 'Milk the cow']);
    assert.equal(await filters().getByLabel('Priority').inputValue(), '');
    await page.goBack();
    await expectTitles(['Milk the cow', 'Buy milk']);
    assert.equal(await filters().getByLabel('Sort').inputValue(), '-createdAt');
    await page.goBack();
    await expectTitles(['Write report', 'Call plumber', 'Milk the cow', 'Buy milk']);
    assert.equal(await filters().getByLabel('Search').inputValue(), '', 'the search box follows the URL');
    await page.goForward();
    await expectTitles(['Milk the cow', 'Buy milk']);
    assert.equal(await filters().getByLabel('Search').inputValue(), 'milk');
  });

  await t.test('a bookmarked view opens as it was, through the log-in page', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await page.goto(`${server.url}/?view=board&priority=high&q=milk`);
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('[data-column="pending"] .task-title').filter({ hasText: 'Buy milk' }).waitFor();
    assert.equal(new URL(page.url()).search, '?view=board&priority=high&q=milk');
    assert.equal(await page.getByRole('button', { name: 'Board' }).getAttribute('aria-pressed'), 'true');
  });

  await t.test('a made-up URL is a valid view', async () => {
    await page.goto(`${server.url}/?view=grid&status=done&sort=random&due=never&q=${'m'.repeat(300)}`);
    await page.locator('.count').filter({ hasText: '0 tasks' }).waitFor();
    assert.equal(await filters().getByLabel('Status').inputValue(), '');
    assert.equal((await filters().getByLabel('Search').inputValue()).length, 200);
  });

  await t.test('no serious or critical accessibility violations', () => {
    assert.deepEqual(a11y, []);
  });
});
