// Issue 16, deliverable 5 in headless chromium against a real lsf-server: the
// board view. A column per status, each loading its own status through the
// cursor API, 50 at a time, with its own "Load more"; drag and drop between
// columns; the keyboard way to move a card, each step announced in the live
// region; Undo of a move; the list and the board share the filters and the
// URL. What the app asks is read from its requests, what the server holds
// from the API.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { startServer } from '../support/server.mjs';
import { axeProblems, checkPrerequisites, focusedName, launch, settle, signUp, trackApi, WEB_DIR } from './browser.mjs';

const user = { name: 'Board User', email: `board.${Date.now()}@example.com`, password: 'board-pass-123' };

let server;
let browser;
let page;
let api;
const a11y = [];

const column = (status) => page.locator(`[data-column="${status}"]`);
const card = (title) => page.locator('.cards > .task', { has: page.getByRole('heading', { name: title, exact: true }) });
const cardsIn = (status) => column(status).locator('.cards > .task');
const announced = () => page.locator('#announcer').evaluate((el) => el.textContent.replace(/\u00a0/g, '').trim());
const toast = (text) => page.locator('.Toastify__toast').filter({ hasText: text });
// Dropped near the top of a column: its top is in view with the card's, so
// the mouse does not scroll the page between pick-up and drop. The card is
// scrolled into view first and held still for a few frames: the mouse goes
// down where the card was measured, so a page still settling after "Load
// more" would have it pick up a neighbour.
const dropOn = (status) => ({ target: column(status), options: { targetPosition: { x: 60, y: 40 } } });
async function drag(title, status) {
  const { target, options } = dropOn(status);
  const source = card(title);
  await source.scrollIntoViewIfNeeded();
  await source.evaluate((el) => new Promise((resolve) => {
    let last = '';
    let same = 0;
    const look = () => {
      const r = el.getBoundingClientRect();
      const now = `${r.top},${r.left},${document.getElementById('scroller')?.scrollTop}`;
      same = now === last ? same + 1 : 0;
      last = now;
      if (same >= 3) resolve();
      else requestAnimationFrame(look);
    };
    look();
  }));
  await source.dragTo(target, options);
}

async function expectCards(status, n) {
  await page.waitForFunction(([s, count]) => document.querySelectorAll(`[data-column="${s}"] .cards > .task`).length === count, [status, n]);
}

async function expectAnnounced(text) {
  await page.waitForFunction((want) => document.getElementById('announcer')?.textContent.replace(/\u00a0/g, '').trim() === want, text)
    .catch(async () => assert.equal(await announced(), text));
}

async function serverStatus(title) {
  const res = await page.request.get(`${server.url}/api/tasks?search=${encodeURIComponent(title)}&limit=100`);
  return (await res.json()).tasks.find((t) => t.title === title)?.status;
}

before(async () => {
  checkPrerequisites();
  server = await startServer({ WEB_DIR });
  browser = await launch();
  page = browser.page;
  api = trackApi(page);
  const tasks = [];
  for (let i = 1; i <= 55; i++) tasks.push({ title: `Task ${String(i).padStart(2, '0')}`, priority: i % 11 === 0 ? 'high' : 'medium' });
  tasks.push({ title: 'Started A', status: 'in-progress' }, { title: 'Started B', status: 'in-progress', priority: 'high' });
  tasks.push({ title: 'Finished', status: 'completed' });
  await signUp(page, server, user, tasks);
});

after(async () => {
  await browser?.close();
  if (server) assert.equal(await server.close(), 0, 'lsf-server exit code');
});

test('the board view', async (t) => {
  await t.test('a column per status, each loading its own status with the cursor API, 50 at a time', async () => {
    const from = api.length;
    await page.goto(`${server.url}/?view=board`);
    await expectCards('pending', 50);
    await expectCards('in-progress', 2);
    await expectCards('completed', 1);
    const lists = api.slice(from).filter((r) => r.path === '/api/tasks');
    assert.deepEqual(lists.map((r) => `${r.params.get('status')} limit=${r.params.get('limit')} cursor=${r.params.has('cursor')}`).sort(),
      ['completed limit=50 cursor=false', 'in-progress limit=50 cursor=false', 'pending limit=50 cursor=false']);
    assert.deepEqual(await page.locator('.column-title').allTextContents(),
      ['Pending, 55 tasks', 'In progress, 2 tasks', 'Completed, 1 task']);
    assert.equal(await column('in-progress').getByRole('button', { name: /^Load more/ }).count(), 0);
    a11y.push(...(await axeProblems(page)));

    const more = api.length;
    await column('pending').getByRole('button', { name: 'Load more pending tasks' }).click();
    await expectCards('pending', 55);
    await settle(page);
    const next = api.slice(more).filter((r) => r.path === '/api/tasks');
    assert.equal(next.length, 1);
    assert.equal(next[0].params.get('status'), 'pending');
    assert.equal(next[0].params.get('limit'), '50');
    assert.ok(next[0].params.get('cursor'), 'the second page is asked with the cursor');
    assert.equal(await column('pending').getByRole('button', { name: /^Load more/ }).count(), 0);
    const titles = await cardsIn('pending').locator('.task-title').allTextContents();
    assert.equal(titles[0], 'Task 55');
    assert.equal(titles[54], 'Task 01');
    assert.equal(new Set(titles).size, 55);
  });

  await t.test('drag and drop moves a card to another column with one request, and Undo moves it back', async () => {
    const from = api.length;
    await drag('Task 55', 'in-progress');
    await expectCards('in-progress', 3);
    await expectCards('pending', 54);
    await toast('Moved “Task 55” to In progress').waitFor();
    const sent = api.slice(from).filter((r) => r.path.startsWith('/api/tasks/'));
    assert.deepEqual(sent.map((r) => [r.method, r.body]), [['PATCH', { status: 'in-progress' }]]);
    assert.equal(await serverStatus('Task 55'), 'in-progress');
    await expectAnnounced('Moved “Task 55” to In progress');
    assert.deepEqual(await page.locator('.column-title').allTextContents(),
      ['Pending, 54 tasks', 'In progress, 3 tasks', 'Completed, 1 task']);

    await toast('Moved “Task 55” to In progress').getByRole('button', { name: 'Undo' }).click();
    await expectCards('pending', 55);
    assert.equal(await cardsIn('pending').first().locator('.task-title').textContent(), 'Task 55', 'back in its place');
    assert.equal(await serverStatus('Task 55'), 'pending');
  });

  await t.test('a card dropped on the completed column is completed', async () => {
    await drag('Started A', 'completed');
    await expectCards('completed', 2);
    assert.equal(await serverStatus('Started A'), 'completed');
  });

  await t.test('the keyboard moves a card: Space picks it up, arrows choose a column, Space drops; each step is announced', async () => {
    const move = card('Task 54').getByRole('button', { name: 'Move Task 54' });
    await move.focus();
    const from = api.length;
    await page.keyboard.press('Space');
    await expectAnnounced('Picked up “Task 54” in Pending. Left and right arrow keys choose a column, Space or Enter drops it there, Escape cancels.');
    assert.equal(await move.getAttribute('aria-pressed'), 'true');
    await page.keyboard.press('ArrowLeft');
    await expectAnnounced('No column further left; over Pending');
    await page.keyboard.press('ArrowRight');
    await expectAnnounced('Over In progress');
    assert.match(await column('in-progress').getAttribute('class'), /drop-target/);
    await page.keyboard.press('ArrowRight');
    await expectAnnounced('Over Completed');
    await page.keyboard.press('ArrowLeft');
    await expectAnnounced('Over In progress');
    assert.deepEqual(api.slice(from), [], 'nothing is sent before the drop');
    await page.keyboard.press('Space');
    await expectAnnounced('Moved “Task 54” to In progress');
    await expectCards('in-progress', 2);
    assert.equal(await column('in-progress').locator('.task-title', { hasText: 'Task 54' }).count(), 1);
    assert.equal(await focusedName(page), 'Move Task 54', 'focus follows the card to its column');
    await settle(page);
    assert.deepEqual(api.slice(from).map((r) => [r.method, r.body]), [['PATCH', { status: 'in-progress' }]]);
    assert.equal(await serverStatus('Task 54'), 'in-progress');
  });

  await t.test('Escape cancels a keyboard move, and nothing is sent', async () => {
    const from = api.length;
    await page.keyboard.press('Enter');
    await expectAnnounced('Picked up “Task 54” in In progress. Left and right arrow keys choose a column, Space or Enter drops it there, Escape cancels.');
    await page.keyboard.press('ArrowRight');
    await expectAnnounced('Over Completed');
    await page.keyboard.press('Escape');
    await expectAnnounced('Move cancelled; “Task 54” stays in In progress');
    assert.equal(await card('Task 54').getByRole('button', { name: 'Move Task 54' }).getAttribute('aria-pressed'), 'false');
    await settle(page);
    assert.deepEqual(api.slice(from), []);
    assert.equal(await column('in-progress').locator('.task-title', { hasText: 'Task 54' }).count(), 1);
  });

  await t.test('the list and the board share the filters, and the URL holds both', async () => {
    await page.getByRole('search', { name: 'Filter tasks' }).getByLabel('Priority').selectOption('high');
    await expectCards('pending', 5);
    await expectCards('in-progress', 1);
    assert.equal(new URL(page.url()).search, '?view=board&priority=high');
    await page.getByRole('button', { name: 'List' }).click();
    await page.waitForFunction(() => document.querySelectorAll('.page-list .tasks .task').length === 6);
    assert.equal(new URL(page.url()).search, '?priority=high');
    assert.deepEqual(await page.locator('.tasks .task-title').allTextContents(),
      ['Started B', 'Task 55', 'Task 44', 'Task 33', 'Task 22', 'Task 11']);
    await page.goBack();
    await expectCards('in-progress', 1);
    assert.equal(new URL(page.url()).search, '?view=board&priority=high');
  });

  await t.test('no serious or critical accessibility violations', () => {
    assert.deepEqual(a11y, []);
  });
});
