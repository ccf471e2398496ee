// Shared set-up of the browser tests: the built site served on 127.0.0.1, Debian's Chromium driven
// headless by playwright-core over the DevTools protocol, and guards on console errors and requests.

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
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
  await page.addScriptTag({ content: source });
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
