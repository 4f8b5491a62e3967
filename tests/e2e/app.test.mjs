// The web app end to end, in headless chromium against a real lsf-server
// serving web/dist: sign up, verify with the emailed code, create / edit /
// filter / search / complete / delete tasks while the stats follow, load more
// with the cursor, log out, reset the password with the emailed code, log in
// again; a wrong password shows the API's message. Every page is
// photographed at desktop and phone width and checked with axe-core, and the
// whole run happens under the server's Content-Security-Policy with no
// violation reported, while an injected inline script and a frame of the app
// are refused.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startServer } from '../support/server.mjs';
import { axeProblems, checkPrerequisites, launch, shoot, WEB_DIR } from './browser.mjs';

let server;
let browser;
let page;
const a11y = {};
const user = { name: 'Ada Lovelace', email: `ada.${Date.now()}@example.com`, password: 'first-pass-123', newPassword: 'second-pass-456' };

// Screenshot both widths, note axe problems and horizontal overflow at phone width.
async function visit(name) {
  await page.waitForLoadState('networkidle');
  a11y[name] = await axeProblems(page);
  const { overflow } = await shoot(page, name);
  assert.ok(overflow <= 0, `${name}: the page is wider than a phone (${overflow}px)`);
}

const detailsForm = () => page.getByRole('form', { name: 'New task with details' });
const filters = () => page.getByRole('search', { name: 'Filter tasks' });
const taskTitles = () => page.locator('.tasks .task-title');
const stat = (name) => page.locator(`[data-stat="${name}"]`);

// A task through the quick add's full form ("Details").
async function createTask({ title, description = '', priority = 'medium', tags = '' }) {
  await page.getByRole('button', { name: 'Details' }).click();
  const form = detailsForm();
  await form.getByLabel('Title').fill(title);
  await form.getByLabel('Description').fill(description);
  await form.getByLabel('Priority').selectOption(priority);
  await form.getByLabel('Tags').fill(tags);
  await form.getByRole('button', { name: 'Add task' }).click();
  await page.getByRole('heading', { name: title, exact: true }).waitFor();
}

async function expectTitles(expected) {
  await assert.doesNotReject(async () => {
    const deadline = Date.now() + 5000;
    let got;
    while (Date.now() < deadline) {
      got = (await taskTitles().allTextContents()).sort();
      if (JSON.stringify(got) === JSON.stringify([...expected].sort())) return;
      await page.waitForTimeout(100);
    }
    throw new Error(`titles ${JSON.stringify(got)}, expected ${JSON.stringify(expected)}`);
  });
}

async function expectStat(name, value) {
  await page.waitForFunction(([n, v]) => document.querySelector(`[data-stat="${n}"]`)?.textContent === v, [name, String(value)]);
}

before(async () => {
  checkPrerequisites();
  server = await startServer({ WEB_DIR });
  browser = await launch();
  page = browser.page;
});

after(async () => {
  await browser?.close();
  if (server) assert.equal(await server.close(), 0, 'lsf-server exit code');
});

test('the web app, end to end', async (t) => {
  await t.test('a visitor lands on the log-in page', async () => {
    const res = await page.goto(`${server.url}/`);
    const csp = res.headers()['content-security-policy'] ?? '';
    assert.match(csp, /default-src 'self'/, `the page runs under a strict policy: ${csp}`);
    assert.match(csp, /frame-ancestors 'none'/, csp);
    await page.waitForURL('**/login');
    await page.getByRole('heading', { name: 'Log in' }).waitFor();
    await visit('login');
  });

  await t.test('a wrong password shows the API message', async () => {
    const api = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: user.email, password: 'wrong-password' }),
    }).then((r) => r.json());
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill('wrong-password');
    await page.getByRole('button', { name: 'Log in' }).click();
    const shown = page.locator('.form-error');
    await shown.waitFor();
    assert.equal(await shown.textContent(), api.message);
    await visit('login-error');
  });

  await t.test('sign up opens the board, with the name and a verify prompt', async () => {
    await page.getByRole('button', { name: 'Create an account' }).click();
    await page.getByLabel('Name').fill(user.name);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await visit('signup');
    await page.getByRole('button', { name: 'Sign up' }).click();
    await page.getByRole('heading', { name: 'New task' }).waitFor();
    assert.match(await page.locator('.user-name').textContent(), /Ada Lovelace/);
    await page.getByRole('button', { name: 'Verify your email' }).waitFor();
    await expectStat('total', 0);
    await visit('board-empty');
  });

  await t.test('the emailed code verifies the account', async () => {
    await page.getByRole('button', { name: 'Verify your email' }).click();
    await page.getByRole('heading', { name: 'Verify your email' }).waitFor();
    const { otp } = await server.sink.waitForOtp(user.email, { match: (m) => /verif/i.test(m.subject) });
    await visit('verify');
    await page.getByLabel('Verification code').fill(otp);
    await page.getByRole('button', { name: 'Verify', exact: true }).click();
    await page.getByRole('heading', { name: 'New task' }).waitFor();
    await page.getByRole('button', { name: 'Verify your email' }).waitFor({ state: 'detached' });
  });

  await t.test('tasks are created; the API validation message shows at its field', async () => {
    await page.getByRole('button', { name: 'Details' }).click();
    const form = detailsForm();
    await form.getByLabel('Title').fill('Dup tags');
    await form.getByLabel('Tags').fill('a, a');
    await form.getByRole('button', { name: 'Add task' }).click();
    const tagsError = form.locator('.field', { has: page.getByLabel('Tags') }).locator('.field-error');
    await tagsError.waitFor();
    assert.equal(await tagsError.textContent(), 'tags must not repeat "a"');
    assert.equal(await form.getByLabel('Tags').getAttribute('aria-invalid'), 'true');
    await form.getByRole('button', { name: 'Cancel' }).click();

    await createTask({ title: 'Buy milk', priority: 'high', tags: 'home, shopping' });
    await createTask({ title: 'Write report', description: 'Quarterly numbers', tags: 'work' });
    await createTask({ title: 'Call plumber', priority: 'low', tags: 'home' });
    await expectTitles(['Buy milk', 'Write report', 'Call plumber']);
    await expectStat('total', 3);
    await visit('board');
  });

  await t.test('a task is edited', async () => {
    await page.getByRole('button', { name: 'Edit Write report' }).click();
    const form = page.getByRole('form', { name: 'Edit Write report' });
    await form.getByLabel('Title').fill('Write the report');
    await form.getByLabel('Priority').selectOption('high');
    await visit('edit');
    await form.getByRole('button', { name: 'Save changes' }).click();
    await expectTitles(['Buy milk', 'Write the report', 'Call plumber']);
  });

  await t.test('filters, tag and debounced search narrow the list', async () => {
    await filters().getByLabel('Priority').selectOption('high');
    await expectTitles(['Buy milk', 'Write the report']);
    await filters().getByLabel('Priority').selectOption('');
    await filters().getByLabel('Tag').fill('home');
    await expectTitles(['Buy milk', 'Call plumber']);
    await filters().getByLabel('Search').fill('plumb');
    await expectTitles(['Call plumber']);
    await visit('filtered');
    await filters().getByLabel('Tag').fill('');
    await filters().getByLabel('Search').fill('');
    await expectTitles(['Buy milk', 'Write the report', 'Call plumber']);
    await filters().getByLabel('Sort').selectOption('title');
    await page.waitForFunction(() => document.querySelector('.tasks .task-title')?.textContent === 'Buy milk');
    assert.deepEqual(await taskTitles().allTextContents(), ['Buy milk', 'Call plumber', 'Write the report']);
  });

  await t.test('completing a task moves the stats', async () => {
    await page.getByRole('button', { name: 'Complete Buy milk' }).click();
    await expectStat('completedLast7Days', 1);
    const chart = page.getByRole('img', { name: /^By status/ });
    assert.match(await chart.getAttribute('aria-label'), /Completed 1/);
    await filters().getByLabel('Status').selectOption('completed');
    await expectTitles(['Buy milk']);
    await filters().getByLabel('Status').selectOption('');
  });

  await t.test('a task is deleted after confirmation', async () => {
    await page.getByRole('button', { name: 'Delete Call plumber' }).click();
    await visit('delete-confirm');
    await page.getByRole('button', { name: 'Yes, delete' }).click();
    await expectTitles(['Buy milk', 'Write the report']);
    await expectStat('total', 2);
  });

  await t.test('"Load more" follows pagination.nextCursor', async () => {
    for (let i = 1; i <= 10; i++) {
      const res = await page.request.post(`${server.url}/api/tasks`, { data: { title: `Bulk ${String(i).padStart(2, '0')}` } });
      assert.equal(res.status(), 201);
    }
    await page.reload();
    await page.getByRole('heading', { name: 'New task' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('.tasks .task').length === 10);
    await page.getByRole('button', { name: 'Load more' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.tasks .task').length === 12);
    assert.equal(await page.getByRole('button', { name: 'Load more' }).count(), 0);
    await expectStat('total', 12);
  });

  await t.test('log out returns to the log-in page', async () => {
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL('**/login');
    const res = await page.request.get(`${server.url}/api/user/data`);
    assert.equal(res.status(), 401);
  });

  await t.test('the password is reset with the emailed code', async () => {
    await page.getByRole('link', { name: 'Forgot your password?' }).click();
    await page.getByRole('heading', { name: 'Reset password' }).waitFor();
    await page.getByLabel('Email').fill(user.email);
    await visit('reset-email');
    await page.getByRole('button', { name: 'Send code' }).click();
    await page.getByLabel('Code').waitFor();
    const { otp } = await server.sink.waitForOtp(user.email, { match: (m) => /reset|password/i.test(m.subject) });
    await page.getByLabel('Code').fill(otp);
    await page.getByLabel('New password').fill(user.newPassword);
    await visit('reset-code');
    await page.getByRole('button', { name: 'Set new password' }).click();
    await page.waitForURL('**/login');
  });

  await t.test('the new password logs in; the old one no longer does', async () => {
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(user.password);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.locator('.form-error').waitFor();
    await page.getByLabel('Password').fill(user.newPassword);
    await page.getByRole('button', { name: 'Log in' }).click();
    await page.getByRole('heading', { name: 'New task' }).waitFor();
    await expectStat('total', 12);
  });

  await t.test('the app ran without a Content-Security-Policy violation', () => {
    assert.deepEqual(browser.cspViolations, []);
  });

  await t.test('the policy refuses an injected inline script and any frame of the app', async () => {
    const ran = await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.injectedRan = true;';
      document.head.append(s);
      return window.injectedRan === true;
    });
    assert.equal(ran, false, 'an inline script ran');
    const framer = await browser.context.newPage();
    try {
      await framer.setContent(`<iframe title="app" src="${server.url}/login"></iframe>`);
      await framer.waitForFunction(() => document.querySelector('iframe') !== null);
      const seen = () => browser.cspViolations.join('\n');
      const deadline = Date.now() + 5000;
      while (!(/script-src/.test(seen()) && /frame-ancestors/.test(seen())) && Date.now() < deadline) await page.waitForTimeout(100);
      assert.match(seen(), /script-src/, 'the refused inline script is reported');
      assert.match(seen(), /frame-ancestors/, 'the refused frame is reported');
      assert.equal(await framer.frames()[1]?.getByRole('heading', { name: 'Log in' }).count(), 0, 'the framed app rendered');
    } finally {
      await framer.close();
    }
  });

  await t.test('no serious or critical accessibility violations', () => {
    const problems = Object.entries(a11y).flatMap(([name, list]) => list.map((p) => `${name}: ${p}`));
    assert.deepEqual(problems, []);
  });
});
