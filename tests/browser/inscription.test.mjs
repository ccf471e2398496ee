// The registration form in a real browser, with and without JavaScript, against `cpts serve`
// (site + form handler + SQLite + outbox) started on a free port of 127.0.0.1 with a fresh data
// folder (helpers.mjs: startServe).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, guard, axeViolations, startServe, mailFiles, fillForm as fill } from './helpers.mjs';

let served;
let base;
let browser;

before(async () => {
  served = await startServe();
  base = served.base;
  browser = await launch();
});

after(async () => {
  await browser?.close();
  served?.stop();
});

function mails() {
  return mailFiles(served.data);
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
  assert.match(page.url(), /\/api\/registrations\/[0-9A-Z]{8}\/merci\?jeton=/);
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
  assert.match(page.url(), /\/merci\?jeton=/);
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
