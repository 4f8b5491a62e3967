// The board's requests and the user's place, in headless chromium against a
// real lsf-server: creating, completing, deleting and editing a task each
// make exactly one request to /api/ (counted with page.on('request')), the
// list and the stats follow in place, a task edited on the second page
// stays there and in view, focus moves to the next task after Complete and
// Delete; a create under a search asks for the list again (the client does
// not repeat the server's full-text match); a create carries an
// Idempotency-Key that its retries reuse; a 429 says when to try again and
// counts down; logging out shows the log-in page even when the server
// answers 429 or cannot be reached. The server's idempotency is not relied
// on: only what the app sends is checked.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startServer } from '../support/server.mjs';
import { axeProblems, checkPrerequisites, launch, WEB_DIR } from './browser.mjs';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const user = { name: 'Grace Hopper', email: `grace.${Date.now()}@example.com`, password: 'board-pass-123' };

let server;
let browser;
let page;
const apiRequests = [];
const a11y = [];

const taskTitles = () => page.locator('.tasks .task-title').allTextContents();
const quickAdd = () => page.getByRole('textbox', { name: 'New task' });
const quickForm = () => page.getByRole('form', { name: 'Quick add' });
const filters = () => page.getByRole('search', { name: 'Filter tasks' });
const toasts = () => page.locator('.Toastify__toast');

async function expectStat(name, value) {
  await page.waitForFunction(([n, v]) => document.querySelector(`[data-stat="${n}"]`)?.textContent === v, [name, String(value)]);
}

async function expectChart(name, pattern) {
  const label = await page.getByRole('img', { name: new RegExp(`^${name}`) }).getAttribute('aria-label');
  assert.match(label, pattern);
}

async function expectCount(text) {
  await page.waitForFunction((t) => document.querySelector('.count')?.textContent === t, text);
}

// What the focused element is called: its aria-label, else an input's
// value, else its text.
function focused() {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return 'BODY';
    return el.getAttribute('aria-label') ?? (el.tagName === 'INPUT' ? el.value : el.textContent);
  });
}

// Lets React run the effects of what it just rendered (a reload the old
// board started from an effect would be sent by then): two frames and a
// turn of the event loop.
function settle() {
  return page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, 0)))));
}

// The /api/ requests ("METHOD /path") that action makes, once done() says
// its result shows.
async function requestsOf(action, done) {
  const from = apiRequests.length;
  await action();
  await done();
  await settle();
  return apiRequests.slice(from).map((r) => `${r.method} ${r.path}`);
}

before(async () => {
  checkPrerequisites();
  server = await startServer({ WEB_DIR });
  browser = await launch();
  page = browser.page;
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (url.pathname.startsWith('/api/')) apiRequests.push({ method: req.method(), path: url.pathname, search: url.search, headers: req.headers() });
  });
});

after(async () => {
  await browser?.close();
  if (server) assert.equal(await server.close(), 0, 'lsf-server exit code');
});

test('the board: one request per change, the user keeps their place', async (t) => {
  await t.test('a user with 12 tasks opens the board', async () => {
    const reg = await page.request.post(`${server.url}/api/auth/register`, { data: user });
    assert.equal(reg.status(), 201, await reg.text());
    for (let i = 1; i <= 12; i++) {
      const res = await page.request.post(`${server.url}/api/tasks`, { data: { title: `Task ${String(i).padStart(2, '0')}` } });
      assert.equal(res.status(), 201);
    }
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => document.querySelectorAll('.tasks .task').length === 10);
    await expectStat('total', 12);
    await expectCount('12 tasks');
  });

  await t.test('creating a task is one request, with an Idempotency-Key; the list and the counts follow', async () => {
    await quickAdd().fill('Fresh task today !high');
    const sent = await requestsOf(
      () => quickAdd().press('Enter'),
      () => expectStat('total', 13),
    );
    assert.deepEqual(sent, ['POST /api/tasks']);
    assert.match(apiRequests.at(-1).headers['idempotency-key'], UUID);
    assert.equal((await taskTitles())[0], 'Fresh task');
    assert.equal((await taskTitles()).length, 11, 'the new task joins the 10 shown; "Load more" still follows');
    await expectCount('13 tasks');
    await expectStat('dueToday', 1);
    await expectChart('By priority', /Low 0, Medium 12, High 1/);
  });

  await t.test('completing a task is one request; the stats follow; focus moves to the next task', async () => {
    const sent = await requestsOf(
      () => page.getByRole('button', { name: 'Complete Fresh task' }).click(),
      () => expectStat('completedLast7Days', 1),
    );
    assert.match(sent.join(), /^PATCH \/api\/tasks\/[0-9a-f-]{36}$/);
    await expectStat('dueToday', 0);
    await expectChart('By status', /Pending 12, In progress 0, Completed 1/);
    assert.equal(await focused(), 'Complete Task 12');
    await expectCount('13 tasks');
  });

  await t.test('deleting a task is one request; focus goes to Cancel, then to the next task', async () => {
    await page.getByRole('button', { name: 'Delete Task 11' }).click();
    assert.equal(await focused(), 'Cancel');
    a11y.push(...(await axeProblems(page)));
    const sent = await requestsOf(
      () => page.getByRole('button', { name: 'Yes, delete' }).click(),
      () => expectStat('total', 12),
    );
    assert.match(sent.join(), /^DELETE \/api\/tasks\/[0-9a-f-]{36}$/);
    assert.ok(!(await taskTitles()).includes('Task 11'));
    await expectCount('12 tasks');
    await expectChart('By status', /Pending 11, In progress 0, Completed 1/);
    assert.equal(await focused(), 'Complete Task 10');
  });

  await t.test('a task edited on the second page stays there, in view, after one request', async () => {
    const more = await requestsOf(
      () => page.getByRole('button', { name: 'Load more' }).click(),
      () => page.waitForFunction(() => document.querySelectorAll('.tasks .task').length === 12),
    );
    assert.deepEqual(more, ['GET /api/tasks']);
    assert.deepEqual(await taskTitles(), ['Fresh task', 'Task 12', 'Task 10', 'Task 09', 'Task 08', 'Task 07', 'Task 06', 'Task 05',
      'Task 04', 'Task 03', 'Task 02', 'Task 01']);
    await page.getByRole('button', { name: 'Edit Task 01' }).click();
    const form = page.getByRole('form', { name: 'Edit Task 01' });
    assert.equal(await focused(), 'Task 01', 'the edit form opens with its title focused');
    await form.getByLabel('Title').fill('Task 01, edited');
    await form.getByLabel('Priority').selectOption('low');
    const sent = await requestsOf(
      () => form.getByRole('button', { name: 'Save changes' }).click(),
      () => page.getByRole('heading', { name: 'Task 01, edited' }).waitFor(),
    );
    assert.match(sent.join(), /^PATCH \/api\/tasks\/[0-9a-f-]{36}$/);
    const titles = await taskTitles();
    assert.equal(titles.length, 12, 'the second page is still shown');
    assert.equal(titles[11], 'Task 01, edited');
    assert.equal(await page.getByRole('button', { name: 'Load more' }).count(), 0);
    const inView = await page.locator('.tasks .task').nth(11).evaluate((el) => {
      const r = el.getBoundingClientRect();
      return r.top >= 0 && r.bottom <= window.innerHeight;
    });
    assert.ok(inView, 'the edited task is in view');
    assert.equal(await focused(), 'Edit Task 01, edited');
    await expectChart('By priority', /Low 1, Medium 10, High 1/);
  });

  await t.test('completing a task the status filter then leaves out takes it out, focus on the next', async () => {
    await filters().getByLabel('Status').selectOption('pending');
    await expectCount('11 tasks');
    const sent = await requestsOf(
      () => page.getByRole('button', { name: 'Complete Task 12' }).click(),
      () => expectCount('10 tasks'),
    );
    assert.equal(sent.length, 1, sent.join());
    assert.ok(!(await taskTitles()).includes('Task 12'));
    assert.equal(await focused(), 'Complete Task 10');
    await expectStat('completedLast7Days', 2);
    await filters().getByLabel('Status').selectOption('');
    await expectCount('12 tasks');
  });

  await t.test('a create under a search asks for the list again: the client cannot tell if it matches', async () => {
    await filters().getByLabel('Search').fill('zebra');
    await expectCount('0 tasks');
    await quickAdd().fill('Zebra crossing');
    const sent = await requestsOf(
      () => quickAdd().press('Enter'),
      () => expectCount('1 task'),
    );
    assert.deepEqual(sent, ['POST /api/tasks', 'GET /api/tasks']);
    assert.deepEqual(await taskTitles(), ['Zebra crossing']);
    await expectStat('total', 13);
    await filters().getByLabel('Search').fill('');
    await expectCount('13 tasks');
  });

  await t.test('a create that got no answer is retried with the same Idempotency-Key, also when the user sends it again', async () => {
    let refused = 0;
    await page.route('**/api/tasks', (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      refused++;
      return route.abort('connectionreset');
    });
    await quickAdd().fill('Sent twice');
    const from = apiRequests.length;
    await quickAdd().press('Enter');
    await quickForm().locator('.form-error').filter({ hasText: '“Sent twice” was not added: Cannot reach the server' }).waitFor();
    assert.equal(await quickAdd().inputValue(), 'Sent twice', 'the line is back, to send again');
    assert.equal(refused, 3, 'the first try and two retries');
    await page.unroute('**/api/tasks');
    await quickAdd().press('Enter');
    await page.getByRole('heading', { name: 'Sent twice' }).waitFor();
    const posts = apiRequests.slice(from).filter((r) => r.method === 'POST');
    assert.equal(posts.length, 4);
    const keys = new Set(posts.map((r) => r.headers['idempotency-key']));
    assert.equal(keys.size, 1, `one key for every try: ${[...keys]}`);
    assert.match([...keys][0], UUID);
    await expectStat('total', 14);

    await quickAdd().fill('Another one');
    await quickAdd().press('Enter');
    await page.getByRole('heading', { name: 'Another one' }).waitFor();
    assert.ok(!keys.has(apiRequests.at(-1).headers['idempotency-key']), 'a new create, a new key');
  });

  await t.test('a 429 says when to try again and counts down; the task is unchanged', async () => {
    const retryAt = new Date(Date.now() + 90_000).toUTCString();
    await page.route('**/api/tasks/*', (route) => route.request().method() !== 'PATCH' ? route.continue() : route.fulfill({
      status: 429,
      headers: { 'Retry-After': retryAt },
      contentType: 'application/json',
      body: JSON.stringify({ success: false, message: 'Too many requests from this IP, please try again later.' }),
    }));
    await page.getByRole('button', { name: 'Complete Task 10' }).click();
    const toast = toasts().filter({ hasText: 'Too many requests' });
    await toast.waitFor();
    const first = await toast.locator('[data-countdown]').textContent();
    assert.match(first, /^Too many requests: try again in (90|8\d) seconds$/);
    const seconds = Number(/(\d+) seconds/.exec(first)[1]);
    await page.waitForFunction((s) => {
      const m = /(\d+) seconds/.exec(document.querySelector('[data-countdown]')?.textContent ?? '');
      return m && Number(m[1]) < s;
    }, seconds);
    assert.match(await toast.locator('.sr-only').textContent(), /^Too many requests: try again in (90|8\d) seconds$/);
    await page.getByRole('button', { name: 'Complete Task 10' }).waitFor();
    a11y.push(...(await axeProblems(page)));
    await page.unroute('**/api/tasks/*');
  });

  await t.test('log out shows the log-in page when the server answers 429', async () => {
    await page.route('**/api/auth/logout', (route) => route.fulfill({
      status: 429,
      headers: { 'Retry-After': '600' },
      contentType: 'application/json',
      body: JSON.stringify({ success: false, message: 'Too many requests from this IP, please try again later.' }),
    }));
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('**/login');
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await toasts().filter({ hasText: 'Logged out on this page, but the server did not confirm it' }).waitFor();
    await page.unroute('**/api/auth/logout');
  });

  await t.test('log out shows the log-in page when the server cannot be reached', async () => {
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'New task' }).waitFor();
    await page.route('**/api/auth/logout', (route) => route.abort('connectionrefused'));
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    assert.match(page.url(), /\/login$/);
    await page.unroute('**/api/auth/logout');
  });

  await t.test('no serious or critical accessibility violations', () => {
    assert.deepEqual(a11y, []);
  });
});
