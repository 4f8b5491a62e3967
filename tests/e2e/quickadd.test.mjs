// Issue 16, deliverables 1, 3 and 4 in headless chromium against a real
// lsf-server: the first-run empty state; the quick-add line, its syntax shown
// as chips before saving (and a chip kept as text), Details; due dates in
// words, marked by words and a sign besides colour, the full date on hover
// and focus; Hide completed and the Today / Upcoming / Overdue filters; the
// one-click status control, Complete and Undo, each one request; a refused
// change put back. What the app sends is read from the requests, what the
// server holds from the API.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startServer } from '../support/server.mjs';
import { axeProblems, checkPrerequisites, dayFromToday, focusedName, launch, settle, signUp, trackApi, WEB_DIR } from './browser.mjs';

const user = { name: 'Quick Adder', email: `quick.${Date.now()}@example.com`, password: 'quick-pass-123' };

let server;
let browser;
let page;
let api;
const a11y = [];

const line = () => page.getByRole('textbox', { name: 'New task' });
const chip = (kind) => page.locator(`[data-chip="${kind}"]`);
const row = (title) => page.locator('.tasks > .task', { has: page.getByRole('heading', { name: title, exact: true }) });
const titles = () => page.locator('.tasks .task-title').allTextContents();
const toast = (text) => page.locator('.Toastify__toast').filter({ hasText: text });

async function expectTitles(expected) {
  await page.waitForFunction((want) => {
    const got = [...document.querySelectorAll('.tasks .task-title')].map((e) => e.textContent);
    return JSON.stringify(got) === JSON.stringify(want) && !document.querySelector('[aria-busy="true"]');
  }, expected).catch(async () => assert.deepEqual(await titles(), expected));
}

// The /api/ requests (METHOD /path) that action makes, once done() says its result shows.
async function requestsOf(action, done) {
  const from = api.length;
  await action();
  await done();
  await settle(page);
  return api.slice(from);
}

async function serverTask(title) {
  const res = await page.request.get(`${server.url}/api/tasks?search=${encodeURIComponent(title)}&limit=100`);
  return (await res.json()).tasks.find((t) => t.title === title);
}

// The next weekday `dow` (0 Sunday) strictly after today, as yyyy-mm-dd.
function nextWeekday(dow) {
  const today = new Date().getUTCDay();
  return dayFromToday(((dow - today + 7) % 7) || 7);
}

before(async () => {
  checkPrerequisites();
  server = await startServer({ WEB_DIR });
  browser = await launch();
  page = browser.page;
  api = trackApi(page);
  await signUp(page, server, user);
});

after(async () => {
  await browser?.close();
  if (server) assert.equal(await server.close(), 0, 'lsf-server exit code');
});

test('quick add, due dates that speak, status and undo', async (t) => {
  await t.test('a first-run user is shown how to add a task', async () => {
    await page.goto(`${server.url}/`);
    const empty = page.locator('.first-run');
    await empty.getByRole('heading', { name: 'No tasks yet' }).waitFor();
    assert.match(await empty.textContent(), /Pay rent tomorrow #home !high/);
    a11y.push(...(await axeProblems(page)));
    await empty.getByRole('button', { name: 'Add your first task' }).click();
    assert.equal(await page.evaluate(() => document.activeElement.id), 'quick-add');
  });

  await t.test('the syntax shows as chips while typing, and becomes the task\'s fields with one request', async () => {
    await line().fill('Pay rent tomorrow #home !high');
    assert.match(await chip('due').textContent(), /^Due tomorrow \((Mon|Tue|Wed|Thu|Fri|Sat|Sun), [A-Z][a-z]{2} \d{1,2}\)×$/);
    assert.equal(await chip('tag').textContent(), '#home×');
    assert.equal(await chip('priority').textContent(), 'High priority×');
    assert.equal(await page.locator('.chips-title').textContent(), 'Adds “Pay rent” with');
    a11y.push(...(await axeProblems(page)));
    const sent = await requestsOf(() => line().press('Enter'), () => row('Pay rent').waitFor());
    assert.deepEqual(sent.map((r) => `${r.method} ${r.path}`), ['POST /api/tasks']);
    assert.deepEqual(sent[0].body, { title: 'Pay rent', tags: ['home'], priority: 'high', dueDate: dayFromToday(1) });
    assert.equal(await line().inputValue(), '', 'the line is cleared');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'quick-add', 'and keeps focus for the next one');
    assert.equal(await chip('due').count(), 0);
    const saved = await serverTask('Pay rent');
    assert.equal(saved.dueDate, `${dayFromToday(1)}T00:00:00.000Z`);
    assert.equal(saved.priority, 'high');
    assert.deepEqual(saved.tags, ['home']);
    assert.match(await row('Pay rent').locator('.task-meta').textContent(), /High priority.*Due tomorrow.*#home/);
  });

  await t.test('a chip can keep its word as text', async () => {
    await line().fill('Watch Tomorrow Never Dies #films');
    assert.match(await chip('due').textContent(), /^Due tomorrow/);
    await page.getByRole('button', { name: 'Keep “Tomorrow” as text' }).click();
    assert.equal(await chip('due').count(), 0);
    assert.equal(await page.locator('.chips-title').textContent(), 'Adds “Watch Tomorrow Never Dies” with');
    const sent = await requestsOf(() => line().press('Enter'), () => row('Watch Tomorrow Never Dies').waitFor());
    assert.deepEqual(sent[0].body, { title: 'Watch Tomorrow Never Dies', tags: ['films'] });
  });

  await t.test('a line of syntax alone asks for a title, and sends nothing', async () => {
    const sent = await requestsOf(async () => {
      await line().fill('#home tomorrow');
      await line().press('Enter');
    }, () => page.locator('.quick-form .form-error').waitFor());
    assert.deepEqual(sent, []);
    assert.equal(await page.locator('.quick-form .form-error').textContent(), 'Add a title to go with the date, tags or priority');
    await line().fill('');
  });

  await t.test('Details opens the full form with what the line says filled in', async () => {
    await line().fill('Call the bank fri #money !low');
    await page.getByRole('button', { name: 'Details' }).click();
    const form = page.getByRole('form', { name: 'New task with details' });
    assert.equal(await form.getByLabel('Title').inputValue(), 'Call the bank');
    assert.equal(await form.getByLabel('Priority').inputValue(), 'low');
    assert.equal(await form.getByLabel('Tags').inputValue(), 'money');
    assert.equal(await form.getByLabel('Due date').inputValue(), nextWeekday(5));
    assert.equal(await focusedName(page), 'Call the bank', 'the form opens on its title');
    await form.getByLabel('Description').fill('Ask about the fee');
    const sent = await requestsOf(() => form.getByRole('button', { name: 'Add task' }).click(), () => row('Call the bank').waitFor());
    assert.deepEqual(sent[0].body, {
      title: 'Call the bank', description: 'Ask about the fee', status: 'pending', priority: 'low', dueDate: nextWeekday(5), tags: ['money'],
    });
    await line().waitFor();
  });

  await t.test('due dates are words: late and today are marked by words and a sign, not colour alone', async () => {
    for (const data of [
      { title: 'Late one', dueDate: dayFromToday(-2) },
      { title: 'Due now', dueDate: dayFromToday(0) },
      { title: 'Soon', dueDate: dayFromToday(3) },
      { title: 'Done late', dueDate: dayFromToday(-2), status: 'completed' },
      { title: 'Far off', dueDate: dayFromToday(20) },
    ]) assert.equal((await page.request.post(`${server.url}/api/tasks`, { data })).status(), 201);
    await page.reload();
    await row('Far off').waitFor();
    const due = async (title) => {
      const d = row(title).locator('.due');
      return {
        text: await d.locator('time').textContent(),
        state: await d.getAttribute('data-due'),
        sign: await d.evaluate((el) => {
          const flag = el.querySelector('.due-flag');
          return flag ? getComputedStyle(flag, '::before').content : null;
        }),
      };
    };
    assert.deepEqual(await due('Late one'), { text: '2 days late', state: 'overdue', sign: '"⚠"' });
    assert.deepEqual(await due('Due now'), { text: 'Due today', state: 'today', sign: '"◆"' });
    assert.deepEqual(await due('Soon'), { text: 'Due in 3 days', state: 'soon', sign: null });
    assert.deepEqual(await due('Done late'), { text: 'Was due 2 days ago', state: 'done', sign: null });
    assert.deepEqual(await due('Far off'), { text: 'Due in 2 weeks', state: 'later', sign: null });
  });

  await t.test('the full date shows on hover and while the task has focus, and is read with the date', async () => {
    const full = new Date(`${dayFromToday(-2)}T00:00:00Z`).toLocaleDateString('en-US', {
      timeZone: 'UTC', weekday: 'long', year: 'numeric', month: 'long', day: 'numeric',
    });
    const tip = row('Late one').locator('.due-full');
    const width = () => tip.evaluate((el) => el.getBoundingClientRect().width);
    assert.ok((await width()) <= 1, 'hidden at first');
    assert.equal((await tip.textContent()).trim(), `, ${full}`);
    await row('Late one').locator('.due time').hover();
    assert.ok((await width()) > 50, 'shown on hover');
    await page.mouse.move(0, 0);
    assert.ok((await width()) <= 1);
    await row('Late one').getByRole('button', { name: 'Complete Late one' }).focus();
    assert.ok((await width()) > 50, 'shown while the task has focus');
    await line().focus();
  });

  await t.test('Overdue, Today and Upcoming show open tasks due then; the URL says which', async () => {
    const due = page.getByRole('group', { name: 'Due' });
    const sent = await requestsOf(() => due.getByRole('button', { name: 'Overdue' }).click(), () => expectTitles(['Late one']));
    assert.deepEqual(sent.map((r) => `${r.method} ${r.path} ${r.params.get('status')}`).sort(),
      ['GET /api/tasks in-progress', 'GET /api/tasks pending'], 'one list per open status');
    assert.ok(sent.every((r) => r.params.get('dueBefore') === `${dayFromToday(0)}T00:00:00.000Z`));
    assert.match(page.url(), /[?&]due=overdue(&|$)/);
    assert.equal(await due.getByRole('button', { name: 'Overdue' }).getAttribute('aria-pressed'), 'true');
    await due.getByRole('button', { name: 'Today' }).click();
    await expectTitles(['Due now']);
    await due.getByRole('button', { name: 'Upcoming' }).click();
    await expectTitles(['Far off', 'Soon', 'Call the bank', 'Pay rent']);
    await page.locator('.count').filter({ hasText: '4 tasks' }).waitFor();
    await due.getByRole('button', { name: 'All' }).click();
    await expectTitles(['Far off', 'Done late', 'Soon', 'Due now', 'Late one', 'Call the bank', 'Watch Tomorrow Never Dies', 'Pay rent']);
  });

  await t.test('Hide completed leaves completed tasks out', async () => {
    await page.getByRole('checkbox', { name: 'Hide completed' }).check();
    await expectTitles(['Far off', 'Soon', 'Due now', 'Late one', 'Call the bank', 'Watch Tomorrow Never Dies', 'Pay rent']);
    assert.match(page.url(), /[?&]hide=completed(&|$)/);
    await page.getByRole('checkbox', { name: 'Hide completed' }).uncheck();
    await expectTitles(['Far off', 'Done late', 'Soon', 'Due now', 'Late one', 'Call the bank', 'Watch Tomorrow Never Dies', 'Pay rent']);
  });

  await t.test('one click on the status control moves a task on, with one request; Undo puts it back', async () => {
    const control = () => row('Soon').locator('[data-action="status"]');
    assert.equal(await control().getAttribute('aria-label'), 'Status of Soon: Pending. Set to In progress');
    const sent = await requestsOf(() => control().click(), () => toast('Moved “Soon” to In progress').waitFor());
    assert.deepEqual(sent.map((r) => [r.method, r.body]), [['PATCH', { status: 'in-progress' }]]);
    assert.equal(await control().getAttribute('aria-label'), 'Status of Soon: In progress. Set to Completed');
    assert.equal(await focusedName(page), 'Status of Soon: In progress. Set to Completed', 'focus stays on the control');
    assert.equal((await serverTask('Soon')).status, 'in-progress');
    const undo = await requestsOf(
      () => toast('Moved “Soon” to In progress').getByRole('button', { name: 'Undo' }).click(),
      () => page.waitForFunction(() => /Status of Soon: Pending/.test(document.querySelector('[aria-label^="Status of Soon"]')?.getAttribute('aria-label'))),
    );
    assert.deepEqual(undo.map((r) => [r.method, r.body]), [['PATCH', { status: 'pending' }]]);
    assert.equal((await serverTask('Soon')).status, 'pending');
  });

  await t.test('Complete under the "pending" filter takes the task out; Undo brings it back in its place', async () => {
    await page.getByRole('search', { name: 'Filter tasks' }).getByLabel('Status').selectOption('pending');
    await expectTitles(['Far off', 'Soon', 'Due now', 'Late one', 'Call the bank', 'Watch Tomorrow Never Dies', 'Pay rent']);
    await row('Soon').getByRole('button', { name: 'Complete Soon' }).click();
    await expectTitles(['Far off', 'Due now', 'Late one', 'Call the bank', 'Watch Tomorrow Never Dies', 'Pay rent']);
    assert.equal(await focusedName(page), 'Complete Due now', 'focus moves to the next task');
    const done = await serverTask('Soon');
    assert.equal(done.status, 'completed');
    assert.ok(done.completedAt);
    await toast('Completed “Soon”').getByRole('button', { name: 'Undo' }).click();
    await expectTitles(['Far off', 'Soon', 'Due now', 'Late one', 'Call the bank', 'Watch Tomorrow Never Dies', 'Pay rent']);
    const back = await serverTask('Soon');
    assert.equal(back.status, 'pending');
    assert.equal(back.completedAt, null);
    await page.getByRole('search', { name: 'Filter tasks' }).getByLabel('Status').selectOption('');
  });

  await t.test('a refused change is put back, and says why', async () => {
    await page.route('**/api/tasks/*', (route) => (route.request().method() !== 'PATCH' ? route.continue() : route.fulfill({
      status: 404, contentType: 'application/json', body: JSON.stringify({ success: false, message: 'Task not found' }),
    })));
    await row('Far off').getByRole('button', { name: 'Complete Far off' }).click();
    await toast('Task not found').waitFor();
    await row('Far off').getByRole('button', { name: 'Complete Far off' }).waitFor();
    assert.equal(await row('Far off').locator('[data-action="status"]').getAttribute('aria-label'), 'Status of Far off: Pending. Set to In progress');
    await page.unroute('**/api/tasks/*');
  });

  await t.test('no serious or critical accessibility violations', () => {
    assert.deepEqual(a11y, []);
  });
});
