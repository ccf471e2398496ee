// Shared set-up of the browser tests: the built site served on 127.0.0.1, Debian's Chromium driven
// headless by playwright-core over the DevTools protocol, and guards on console errors and requests.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '../..');
// The npm packages are installed in site/ (site/package.json).
const require = createRequire(path.join(root, 'site/package.json'));
const { chromium } = require('playwright-core');

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const FLAGS = [
  '--no-sandbox',
  '--enable-unsafe-swiftshader',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

/** Serves `dir` with Python's http.server on a free port of 127.0.0.1. */
export async function serve(dir) {
  const child = spawn('python3', ['-u', '-m', 'http.server', '0', '--bind', '127.0.0.1', '--directory', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const port = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('http.server did not start')), 10000);
    child.stdout.on('data', (chunk) => {
      const m = /port (\d+)/.exec(chunk.toString());
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => reject(new Error(`http.server exited (${code})`)));
  });
  child.stderr.resume();
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

/** A fresh headless Chromium (playwright gives each launch a new temporary profile). */
export function launch() {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS, headless: true });
}

/** Records console errors, page errors and every request that does not go to `origin`. */
export function guard(page, origin) {
  const seen = { errors: [], foreign: [], requests: [] };
  page.on('console', (m) => {
    if (m.type() === 'error') seen.errors.push(m.text());
  });
  page.on('pageerror', (e) => seen.errors.push(String(e)));
  page.on('response', (r) => {
    if (r.status() >= 400) seen.errors.push(`${r.status()} ${r.url()}`);
  });
  const record = (url) => {
    seen.requests.push(url);
    if (!url.startsWith(`${origin}/`) && !url.startsWith('data:') && !url.startsWith('blob:')) {
      seen.foreign.push(url);
    }
  };
  page.on('request', (r) => record(r.url()));
  // MapLibre's web worker: its script address (its data comes from the page).
  page.on('worker', (w) => record(w.url()));
  return seen;
}

/** Opens /carte/ and waits until MapLibre has drawn the data (its `idle` event after loading). */
export async function openMap(page, base) {
  await page.goto(`${base}/carte/`);
  await page.waitForSelector('#carte[data-etat="pret"]', { timeout: 60000 });
}

/** Runs `action`, then waits for MapLibre's next `idle` event. */
export async function idleAfter(page, action) {
  await page.evaluate(() => {
    window.__idle = new Promise((resolve) => window.carteMap.once('idle', resolve));
  });
  await action();
  await page.evaluate(() => window.__idle);
}

/** Runs axe-core with the WCAG 2.1 A/AA rules and returns the violations. */
export async function axeViolations(page) {
  const source = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  // Evaluated over the DevTools protocol: an inline <script> tag would be refused by the pages'
  // Content-Security-Policy (no 'unsafe-inline'), as it should.
  await page.evaluate(source);
  return page.evaluate(async () => {
    const result = await window.axe.run(document, {
      runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
    });
    return result.violations.map((v) => ({
      id: v.id,
      help: v.help,
      nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')),
    }));
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts `cpts serve` (site + form handler + SQLite + outbox) on a free port of 127.0.0.1 with a
 * fresh data folder; CPTS_BIN names the binary (default: target/debug/cpts, built by
 * scripts/test.sh). Resolves once /api/health answers.
 */
export async function startServe() {
  const bin = process.env.CPTS_BIN ?? path.join(root, 'target/debug/cpts');
  const data = mkdtempSync(path.join(os.tmpdir(), 'cpts-serve-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const server = spawn(bin, ['serve', '--content', path.join(root, 'content'), '--port', String(port), '--data', data], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let log = '';
  server.stderr.on('data', (c) => { log += c; });
  const deadline = Date.now() + 180000;
  for (;;) {
    try {
      const r = await fetch(`${base}/api/health`);
      if (r.ok) break;
    } catch { /* not up yet */ }
    if (server.exitCode !== null || Date.now() > deadline) {
      server.kill();
      throw new Error(`cpts serve did not start:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    base,
    data,
    stop() {
      server.kill();
      rmSync(data, { recursive: true, force: true });
    },
  };
}

/** Names of the .eml files in the outbox of `data`. */
export function mailFiles(data) {
  try {
    return readdirSync(path.join(data, 'outbox')).filter((f) => f.endsWith('.eml'));
  } catch {
    return [];
  }
}

/** Waits (at most 10 s) for the mail `id` and returns its text part, decoded. */
export async function waitForMail(data, id) {
  const file = `${id}.eml`;
  return mailText(data, await waitForFile(data, (f) => f === file, `no mail ${id}`));
}

/** Waits (at most 10 s) for a mail whose id starts with `prefix` (e.g. `connexion-`, the
 * sign-in mails, whose id ends with a random part) and returns its text part, decoded. */
export async function waitForMailStarting(data, prefix) {
  return mailText(data, await waitForFile(data, (f) => f.startsWith(prefix), `no mail ${prefix}…`));
}

async function waitForFile(data, wanted, what) {
  const deadline = Date.now() + 10000;
  for (;;) {
    const file = mailFiles(data).find(wanted);
    if (file) return file;
    if (Date.now() > deadline) throw new Error(`${what} in ${mailFiles(data).join(', ')}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** The text part of the outbox's mail `file`, decoded. */
function mailText(data, file) {
  const raw = readFileSync(path.join(data, 'outbox', file), 'utf8');
  const part = raw.split(/\r?\n--/).find((p) => /Content-Type: text\/plain/i.test(p)) ?? raw;
  const [head, ...rest] = part.split(/\r?\n\r?\n/);
  const body = rest.join('\n\n');
  if (/Content-Transfer-Encoding: base64/i.test(head)) {
    return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  if (/Content-Transfer-Encoding: quoted-printable/i.test(head)) {
    const joined = body.replace(/=\r?\n/g, '');
    const bytes = [];
    for (let i = 0; i < joined.length; i++) {
      const hex = joined.slice(i + 1, i + 3);
      if (joined[i] === '=' && /^[0-9A-F]{2}$/i.test(hex)) {
        bytes.push(parseInt(hex, 16));
        i += 2;
      } else {
        bytes.push(...Buffer.from(joined[i], 'utf8'));
      }
    }
    return Buffer.from(bytes).toString('utf8');
  }
  return body;
}

/** The text part of every mail of the outbox of `data`, decoded (to check what no mail says). */
export function mailTexts(data) {
  return mailFiles(data).map((f) => mailText(data, f));
}

/** The first link of a mail's text that starts with `prefix` (a path), made absolute on `base`. */
export function linkIn(text, base, prefix) {
  const line = text.split(/\r?\n/).map((l) => l.trim()).find((l) => l.startsWith('http') && new URL(l).pathname.startsWith(prefix));
  if (!line) throw new Error(`no link to ${prefix} in:\n${text}`);
  const url = new URL(line);
  return `${base}${url.pathname}${url.search}`;
}

/** Fills every required answer of /inscription/; `overrides` replaces text answers by field name. */
export async function fillForm(page, overrides = {}) {
  const text = {
    last_name: 'Dupré-Lefèvre',
    first_name: 'Léa',
    birth_date: '14/07/1950',
    phone: '06 12 34 56 78',
    commune: 'Sedan (08200)',
    ...overrides,
  };
  await page.check('#f-gp_status-none');
  await page.check('#f-filled_by-patient');
  for (const [field, value] of Object.entries(text)) await page.fill(`#f-${field}`, value);
  await page.check('#f-call_time-morning');
  await page.check('#f-max_distance-20');
  await page.check('#f-home_visits-no');
  await page.check('#f-without_gp_since-1to2y');
  await page.check('#f-reason-retired');
  await page.check('#f-ald');
  await page.check('#f-consent');
}

/**
 * A staff page on a phone (issue #13): its width overflow and every visible link, button, input,
 * select or text area shorter than 44 px (the skip link aside, which shows only when focused). A
 * radio button's or a checkbox's target is the box with its label: a tap on either ticks it.
 */
export async function layout(page) {
  return page.evaluate(() => {
    const root = document.documentElement;
    const small = [];
    for (const el of document.querySelectorAll('a[href], button, select, textarea, input:not([type=hidden])')) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 && box.height === 0) continue;
      if (el.classList.contains('skip')) continue;
      const tickable = el.type === 'radio' || el.type === 'checkbox';
      const height = Math.max(box.height, ...(tickable ? [...el.labels].map((l) => l.getBoundingClientRect().height) : []));
      if (height < 44) small.push(`${el.tagName.toLowerCase()} « ${el.textContent.trim().slice(0, 40) || el.name || el.id} » ${Math.round(height)} px`);
    }
    return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, small };
  });
}

/** The page fits 390 px, its targets are 44 px tall, and axe-core finds nothing (`what` names it). */
export async function assertFits(page, what) {
  const found = await layout(page);
  assert.ok(found.scrollWidth <= found.clientWidth, `${what}: ${found.scrollWidth} px wide in ${found.clientWidth} px`);
  assert.deepEqual(found.small, [], `${what}: targets under 44 px`);
  assert.deepEqual(await axeViolations(page), [], `${what}: axe-core`);
}
