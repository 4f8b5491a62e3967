// The e2e tests' browser: Debian's chromium (CHROMIUM, default
// /usr/bin/chromium) driven by playwright-core, headless with a fresh
// profile; screenshots at desktop and phone width into test-artifacts/e2e/,
// axe-core checks that collect serious and critical violations, and every
// Content-Security-Policy violation any page of the browser reports.
import AxeBuilder from '@axe-core/playwright';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts', 'e2e');
export const WEB_DIR = process.env.WEB_DIR || path.join(ROOT, 'web', 'dist');
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 375, height: 740 };

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export function checkPrerequisites() {
  if (!existsSync(CHROMIUM)) throw new Error(`no browser at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM)`);
  if (!existsSync(path.join(WEB_DIR, 'index.html'))) throw new Error(`no web app in ${WEB_DIR}: run npm ci && npm run build in web/`);
}

export async function launch() {
  const profile = await mkdtemp(path.join(tmpdir(), 'lsf-e2e-profile-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: DESKTOP,
    locale: 'en-US',
    timezoneId: 'UTC',
  });
  context.setDefaultTimeout(15000);
  // Chromium logs a refused load or script as "Refused to ..." and a refused
  // framing as "Framing '...' violates ..."; the event catches the rest.
  await context.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      console.error(`CSP violation: ${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} in ${e.documentURI}`));
  });
  const cspViolations = [];
  context.on('console', (msg) => {
    if (/Content Security Policy|Refused to|CSP violation/.test(msg.text())) cspViolations.push(msg.text());
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    cspViolations, // console lines about CSP violations, from every page, in order
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

// The app scrolls inside its shell (#scroller, web/src/App.jsx): for a
// full-page picture the shell is let out to the document's height while it
// is taken (through the CSSOM, which the page's CSP allows), then put back.
async function fullPage(page, file) {
  await page.evaluate(() => {
    for (const el of [document.documentElement, document.body, document.getElementById('root'), document.querySelector('.shell'),
      document.getElementById('scroller')]) {
      if (el) Object.assign(el.style, { height: 'auto', overflow: 'visible' });
    }
  });
  await page.screenshot({ path: file, fullPage: true });
  await page.evaluate(() => {
    for (const el of [document.documentElement, document.body, document.getElementById('root'), document.querySelector('.shell'),
      document.getElementById('scroller')]) {
      if (el) Object.assign(el.style, { height: '', overflow: '' });
    }
  });
}

// Full-page screenshots NAME-desktop.png and NAME-phone.png; the viewport
// returns to desktop width afterwards. overflow: how much wider than a phone
// the page or its scrolling region is.
export async function shoot(page, name) {
  await mkdir(ARTIFACTS, { recursive: true });
  await fullPage(page, path.join(ARTIFACTS, `${name}-desktop.png`));
  await page.setViewportSize(PHONE);
  await fullPage(page, path.join(ARTIFACTS, `${name}-phone.png`));
  const overflow = await page.evaluate(() => {
    const wider = (el) => (el ? el.scrollWidth - el.clientWidth : 0);
    return Math.max(wider(document.documentElement), wider(document.getElementById('scroller')));
  });
  await page.setViewportSize(DESKTOP);
  return { overflow };
}

// axe on the WCAG 2.1 A/AA rules, once short animations have ended: axe
// measures contrast as painted, so a toast still fading in would count as
// faint text. Long ones are timers, not motion (a toast's auto-close runs as
// a CSS animation as long as the toast shows; a spinner's never ends).
async function axeRun(page) {
  await page.waitForFunction(() => document.getAnimations()
    .every((a) => a.playState !== 'running' || a.effect?.getComputedTiming().endTime > 2000));
  return new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
}

// Serious and critical axe violations (WCAG 2.1 A/AA rules) on the page now,
// as "rule: target" strings.
export async function axeProblems(page) {
  const result = await axeRun(page);
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .flatMap((v) => v.nodes.map((n) => `${v.id}: ${n.target.join(' ')} (${v.help})`));
}

// Every request the page makes to /api/: { method, path, search, headers, body }.
export function trackApi(page) {
  const seen = [];
  page.on('request', (req) => {
    const url = new URL(req.url());
    if (!url.pathname.startsWith('/api/')) return;
    let body = null;
    try {
      body = req.postDataJSON();
    } catch {
      /* not JSON */
    }
    seen.push({ method: req.method(), path: url.pathname, search: url.search, params: url.searchParams, headers: req.headers(), body });
  });
  return seen;
}

// What the focused element is called: its aria-label, else an input's
// value, else its text; 'BODY' when nothing has focus.
export function focusedName(page) {
  return page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return 'BODY';
    return el.getAttribute('aria-label') ?? (el.tagName === 'INPUT' ? el.value : el.textContent);
  });
}

// Lets React run the effects of what it just rendered: two frames and a
// turn of the event loop.
export function settle(page) {
  return page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, 0)))));
}

// Sign a user up through the API, in the browser's context (the session
// cookie lands there); tasks: TaskInput bodies created in order.
export async function signUp(page, server, user, tasks = []) {
  const reg = await page.request.post(`${server.url}/api/auth/register`, { data: user });
  if (reg.status() !== 201) throw new Error(`register answered ${reg.status()}: ${await reg.text()}`);
  const made = [];
  for (const t of tasks) {
    const res = await page.request.post(`${server.url}/api/tasks`, { data: t });
    if (res.status() !== 201) throw new Error(`create answered ${res.status()}: ${await res.text()}`);
    made.push((await res.json()).task);
  }
  return made;
}

// "yyyy-mm-dd" n days from today (UTC: the browser runs with timezoneId UTC).
export function dayFromToday(n) {
  return new Date(Date.now() + n * 86400000).toISOString().slice(0, 10);
}

// Every axe violation of the WCAG 2.1 A/AA rules on the page now, whatever
// its impact, as "rule (impact): target" strings.
export async function axeViolations(page) {
  const result = await axeRun(page);
  return result.violations.flatMap((v) => v.nodes.map((n) => `${v.id} (${v.impact}): ${n.target.join(' ')} (${v.help})`));
}
