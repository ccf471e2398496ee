// The registration form in a real browser, with and without JavaScript, against `cpts serve`
// (site + form handler + SQLite + outbox) started on a free port of 127.0.0.1 with a fresh data
// folder. CPTS_BIN names the cpts binary (default: target/debug/cpts, built by scripts/test.sh).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { launch, guard, axeViolations, root } from './helpers.mjs';

const bin = process.env.CPTS_BIN ?? path.join(root, 'target/debug/cpts');
let data;
let server;
let base;
let browser;

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

before(async () => {
  data = mkdtempSync(path.join(os.tmpdir(), 'cpts-serve-'));
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  server = spawn(bin, ['serve', '--content', path.join(root, 'content'), '--port', String(port), '--data', data], {
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
    if (server.exitCode !== null || Date.now() > deadline) throw new Error(`cpts serve did not start:\n${log}`);
    await new Promise((r) => setTimeout(r, 300));
  }
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.kill();
  if (data) rmSync(data, { recursive: true, force: true });
});

/** Fills every required answer; `overrides` replaces text answers by field name. */
async function fill(page, overrides = {}) {
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

function mails() {
  return readdirSync(path.join(data, 'outbox')).filter((f) => f.endsWith('.eml'));
}

test('with JavaScript: errors next to fields with answers kept, then one send, no axe violation', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const seen = guard(page, base);
  await page.goto(`${base}/inscription/`);
  await page.waitForFunction(() => document.querySelector('input[name=token]').value.startsWith('v1.'));
  assert.deepEqual(await axeViolations(page), [], 'form page');
  const before = mails().length;

  await fill(page, { phone: '06 12 34' });
  await page.waitForTimeout(3100); // a person takes more than the minimum fill time
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  assert.match(await page.title(), /^Erreur/);
  assert.match(await page.textContent('.error-summary'), /Il y a un problème/);
  assert.match(await page.textContent('#f-phone-error'), /10 chiffres/);
  assert.equal(await page.locator('.error-summary a[href="#f-phone"]').count(), 1, 'the summary links to the field');
  assert.equal(await page.getAttribute('#f-phone', 'aria-invalid'), 'true');
  assert.equal(await page.inputValue('#f-last_name'), 'Dupré-Lefèvre', 'answers kept');
  assert.equal(await page.inputValue('#f-commune'), 'Sedan (08200)');
  assert.equal(await page.isChecked('#f-ald'), true);
  assert.deepEqual(await axeViolations(page), [], 'form with errors');

  await page.fill('#f-phone', '06 12 34 56 78');
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  assert.match(page.url(), /\/api\/registrations\/[0-9A-Z]{8}\/merci$/);
  assert.match(await page.textContent('.reference'), /^[0-9A-Z]{8}$/);
  assert.deepEqual(await axeViolations(page), [], 'thank-you page');
  assert.equal(mails().length >= before, true);
  assert.deepEqual(seen.foreign, [], 'no request to another origin');
  await context.close();
});

test('without JavaScript: the form asks to confirm once, then gives the reference', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${base}/inscription/`);
  assert.equal(await page.inputValue('input[name=token]'), '', 'no script, no token yet');
  await fill(page, { commune: 'saint menges', phone: '+33 6 98 76 54 32' });
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  assert.match(await page.textContent('.notice'), /Vérifiez vos réponses/);
  assert.equal(await page.inputValue('#f-first_name'), 'Léa', 'answers kept');
  await page.waitForTimeout(3100);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  assert.match(page.url(), /\/merci$/);
  const reference = (await page.textContent('.reference')).trim();
  assert.match(reference, /^[0-9A-Z]{8}$/);
  // The coordinator's mail is written to the outbox.
  const deadline = Date.now() + 10000;
  while (!mails().some((f) => f.startsWith(reference)) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
  }
  assert.ok(mails().some((f) => f.startsWith(reference)), `mail for ${reference}`);
  await context.close();
});

test('someone who only wants to change GP is kindly turned away', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  await page.goto(`${base}/inscription/`);
  await page.check('#f-gp_status-change');
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  assert.match(await page.textContent('h1'), /personnes sans médecin traitant/);
  await context.close();
});
