// Issue 16, deliverables 8 and 9 in headless chromium against a real
// lsf-server: the phone layout (the tasks on the first screen, the stats and
// the full form collapsed); toasts that never cover a control, are
// deduplicated and bounded and never queue (15 quick creates make none); one
// place for an error; the offline banner while the server cannot be reached,
// with the filters put back to what is on screen, and the way back; the
// loading and "no match" states.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startServer } from '../support/server.mjs';
import { axeProblems, checkPrerequisites, DESKTOP, launch, PHONE, settle, signUp, trackApi, WEB_DIR } from './browser.mjs';

const user = { name: 'Phone User', email: `phone.${Date.now()}@example.com`, password: 'phone-pass-123' };

let server;
let browser;
let page;
let api;
const a11y = [];

const titles = () => page.locator('.tasks .task-title').allTextContents();
const toasts = () => page.locator('.Toastify__toast');
const filters = () => page.getByRole('search', { name: 'Filter tasks' });
const line = () => page.getByRole('textbox', { name: 'New task' });
const count = (text) => page.locator('.count').filter({ hasText: new RegExp(`^${text}$`) }).waitFor();

// Whether el's box is inside the page's scrolling region as seen now, and
// not under anything else (elementFromPoint at its corners and centre).
function unobstructed(locator) {
  return locator.evaluate((el) => {
    const r = el.getBoundingClientRect();
    const s = document.getElementById('scroller').getBoundingClientRect();
    if (r.top < s.top || r.bottom > s.bottom) return `outside the scrolling region (${r.top}-${r.bottom} of ${s.top}-${s.bottom})`;
    const points = [[r.left + 2, r.top + 2], [r.right - 2, r.top + 2], [r.left + 2, r.bottom - 2], [r.right - 2, r.bottom - 2],
      [(r.left + r.right) / 2, (r.top + r.bottom) / 2]];
    for (const [x, y] of points) {
      const hit = document.elementFromPoint(x, y);
      if (!el.contains(hit)) return `covered at ${x},${y} by ${hit?.className || hit?.tagName}`;
    }
    return 'clear';
  });
}

before(async () => {
  checkPrerequisites();
  server = await startServer({ WEB_DIR });
  browser = await launch();
  page = browser.page;
  api = trackApi(page);
  const tasks = [];
  for (let i = 1; i <= 12; i++) tasks.push({ title: `Task ${String(i).padStart(2, '0')}`, description: 'A description long enough to wrap on a phone screen, twice over.' });
  await signUp(page, server, user, tasks);
});

after(async () => {
  await browser?.close();
  if (server) assert.equal(await server.close(), 0, 'lsf-server exit code');
});

test('phone layout, toasts, offline and states', async (t) => {
  await t.test('on a phone the tasks come first: the first task is on the first screen, stats and forms collapsed', async () => {
    await page.setViewportSize(PHONE);
    await page.goto(`${server.url}/`);
    await page.waitForFunction(() => document.querySelectorAll('.tasks .task').length === 10);
    const first = page.locator('.tasks .task').first();
    assert.equal(await unobstructed(first.getByRole('heading')), 'clear');
    const top = await first.evaluate((el) => el.getBoundingClientRect().top);
    assert.ok(top < PHONE.height * 0.8, `the first task starts at ${top}px of ${PHONE.height}`);
    assert.equal(await page.locator('.stats details').getAttribute('open'), null, 'the stats are collapsed');
    assert.match(await page.locator('.stats summary').textContent(), /^Overview12 tasks · 0 overdue · 0 due today$/);
    assert.equal(await page.locator('.more-filters').getAttribute('open'), null, 'the filter details are collapsed');
    assert.equal(await page.getByRole('form', { name: 'New task with details' }).count(), 0, 'the full form is closed');
    const wider = await page.evaluate(() => Math.max(...[document.documentElement, document.getElementById('scroller')].map((e) => e.scrollWidth - e.clientWidth)));
    assert.ok(wider <= 0, `the page is ${wider}px wider than the phone`);
    a11y.push(...(await axeProblems(page)));
  });

  await t.test('15 quick creates make no toast, and none comes later', async () => {
    for (let i = 1; i <= 15; i++) {
      await line().fill(`Quick ${i}`);
      await line().press('Enter');
      assert.equal(await toasts().count(), 0);
    }
    await count('27 tasks');
    await page.waitForTimeout(1500);
    assert.equal(await toasts().count(), 0);
    assert.deepEqual((await titles()).slice(0, 3), ['Quick 15', 'Quick 14', 'Quick 13']);
  });

  await t.test('three completes in a row: one toast on a phone, the last Undo; it covers no control', async () => {
    for (const n of [15, 14, 13]) await page.getByRole('button', { name: `Complete Quick ${n}` }).click();
    await toasts().filter({ hasText: 'Completed “Quick 13”' }).waitFor();
    await page.waitForFunction(() => document.querySelectorAll('.Toastify__toast').length === 1, null, { timeout: 2000 })
      .catch(async () => assert.equal(await toasts().count(), 1, (await toasts().allTextContents()).join(' | ')));
    assert.equal(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Complete Quick 12');
    assert.equal(await unobstructed(page.getByRole('button', { name: 'Complete Quick 12' })), 'clear', 'the focused control');
    const overlap = await page.evaluate(() => {
      const dock = document.querySelector('.toast-dock').getBoundingClientRect();
      const region = document.getElementById('scroller').getBoundingClientRect();
      return { dockTop: dock.top, regionBottom: region.bottom, dockHeight: dock.height };
    });
    assert.ok(overlap.dockHeight > 0);
    assert.ok(overlap.dockTop >= overlap.regionBottom, `the toast dock starts at ${overlap.dockTop}, the page ends at ${overlap.regionBottom}`);
    // every control in view is reachable, none under the toast
    const covered = await page.evaluate(() => {
      const region = document.getElementById('scroller').getBoundingClientRect();
      return [...document.querySelectorAll('#scroller button, #scroller input, #scroller select')].filter((el) => {
        const r = el.getBoundingClientRect();
        if (r.height === 0 || r.bottom <= region.top || r.top >= region.bottom) return false;
        const y = Math.min(Math.max((r.top + r.bottom) / 2, region.top + 1), region.bottom - 1);
        const hit = document.elementFromPoint((r.left + r.right) / 2, y);
        return !el.contains(hit) && !hit?.contains(el);
      }).map((el) => el.getAttribute('aria-label') ?? el.textContent);
    });
    assert.deepEqual(covered, []);
    a11y.push(...(await axeProblems(page)));
  });

  await t.test('the same error twice is one toast; on a desktop at most three show, the oldest closing, nothing queued', async () => {
    await page.setViewportSize(DESKTOP);
    await toasts().getByRole('button', { name: 'close' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.Toastify__toast').length === 0);
    let n = 0;
    await page.route('**/api/tasks/*', (route) => {
      if (route.request().method() !== 'PATCH') return route.continue();
      n++;
      const message = n <= 2 ? 'Database is busy' : `Refusal number ${n}`;
      return route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ success: false, message }) });
    });
    await page.getByRole('button', { name: 'Complete Quick 12' }).click();
    await toasts().filter({ hasText: 'Database is busy' }).waitFor();
    await page.getByRole('button', { name: 'Complete Quick 11' }).click();
    while (n < 2) await page.waitForTimeout(50);
    await page.getByRole('button', { name: 'Complete Quick 11' }).waitFor();
    await page.waitForTimeout(300);
    assert.equal(await toasts().filter({ hasText: 'Database is busy' }).count(), 1, 'deduplicated');
    for (const name of ['Quick 10', 'Quick 9', 'Quick 8']) {
      await page.getByRole('button', { name: `Complete ${name}` }).click();
      await page.getByRole('button', { name: `Complete ${name}` }).waitFor();
    }
    await toasts().filter({ hasText: 'Refusal number 5' }).waitFor();
    await page.waitForTimeout(500);
    const shown = await toasts().allTextContents();
    assert.equal(shown.length, 3, shown.join(' | '));
    assert.deepEqual(shown.map((s) => /Refusal number \d|Database is busy/.exec(s)?.[0]), ['Refusal number 5', 'Refusal number 4', 'Refusal number 3']);
    await page.unroute('**/api/tasks/*');
    await page.waitForTimeout(1500);
    assert.ok((await toasts().filter({ hasText: 'Database is busy' }).count()) === 0, 'a closed toast does not come back');
  });

  await t.test('offline: a banner, the filters put back to what is on screen, and one place for the error', async () => {
    await page.locator('.more-filters summary').click(); /* closed since the phone */
    const before = await titles();
    await page.route('**/api/**', (route) => route.abort('connectionrefused'));
    await page.route('**/health*', (route) => route.abort('connectionrefused'));
    await filters().getByLabel('Status').selectOption('completed');
    const banner = page.locator('.offline-banner');
    await banner.waitFor();
    assert.match(await banner.textContent(), /^You are offline\. The server cannot be reached/);
    await page.waitForFunction(() => document.querySelector('select[name="filter-status"]').value === '');
    assert.equal(new URL(page.url()).search, '', 'the URL is back to the view on screen');
    assert.deepEqual(await titles(), before, 'the tasks shown are still those of the filters shown');
    await count(`${27} tasks`);

    await page.getByRole('button', { name: 'Complete Task 12' }).click();
    await page.getByRole('button', { name: 'Complete Task 12' }).waitFor();
    await settle(page);
    assert.equal(await toasts().filter({ hasText: /reach the server/ }).count(), 0, 'the banner alone says it');
    a11y.push(...(await axeProblems(page)));

    await page.unroute('**/api/**');
    await page.unroute('**/health*');
    await page.getByRole('button', { name: 'Try again now' }).click();
    await banner.waitFor({ state: 'detached' });
    await filters().getByLabel('Status').selectOption('completed');
    await page.waitForFunction(() => [...document.querySelectorAll('.tasks .task-title')].map((e) => e.textContent).join() === 'Quick 15,Quick 14,Quick 13');
    assert.equal(new URL(page.url()).search, '?status=completed');
    await filters().getByLabel('Status').selectOption('');
  });

  await t.test('loading shows grey rows where the tasks will be', async () => {
    let release;
    const gate = new Promise((resolve) => { release = resolve; });
    await page.route('**/api/tasks?*', async (route) => {
      await gate;
      return route.continue();
    });
    await page.reload();
    await page.locator('.skeleton .task').first().waitFor();
    assert.equal(await page.locator('.skeleton .task').count(), 4);
    assert.equal(await page.locator('.count').textContent(), 'Loading…');
    release();
    await count('27 tasks');
    assert.equal(await page.locator('.skeleton').count(), 0);
    await page.unroute('**/api/tasks?*');
  });

  await t.test('no match: a message and a way to clear the filters', async () => {
    await filters().getByLabel('Search').fill('zzzz');
    const none = page.locator('.empty-state');
    await none.getByRole('heading', { name: 'No tasks match these filters' }).waitFor();
    a11y.push(...(await axeProblems(page)));
    await none.getByRole('button', { name: 'Clear the filters' }).click();
    await count('27 tasks');
    assert.equal(new URL(page.url()).search, '');
    assert.equal(await filters().getByLabel('Search').inputValue(), '');
  });

  await t.test('no serious or critical accessibility violations', () => {
    assert.deepEqual(a11y, []);
  });
});
