// Joining (issue #15 item 4), against `cpts serve`, on a phone at 390 px: a doctor follows the
// link of /medecins/ to the joining form, makes a mistake (his answers are kept, the error is
// next to its field), sends it; the coordinator of his CPTS is told without any personal data,
// signs in, accepts him from her workspace, and he gets his standing link. Every page of the path
// has no horizontal scroll, targets of at least 44 px and no axe-core violation.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, guard, startServe, waitForMailStarting, linkIn, assertFits,
} from './helpers.mjs';

let served;
let browser;

before(async () => {
  served = await startServe();
  browser = await launch();
});

after(async () => {
  await browser?.close();
  served?.stop();
});

async function submit(page, selector = 'button[type=submit]') {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

test('a doctor offers to join, the coordinator accepts him, he gets his link', async () => {
  const { base, data } = served;
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const seen = guard(page, base);

  await page.goto(`${base}/medecins/`);
  await submit(page, 'a[href="/api/medecins/rejoindre"]');
  assert.equal((await page.textContent('h1')).trim(), 'Proposer vos disponibilités');
  await assertFits(page, 'joining form');
  assert.equal(await page.isChecked('#f-public'), false, 'public naming is opt-in');

  await page.fill('#f-name', 'Dr Inès Morel');
  await page.fill('#f-commune', 'Rethel (08300)');
  await page.fill('#f-email', 'ines.morel@example');
  await page.fill('#f-capacity', '12');
  await submit(page);
  assert.match(await page.textContent('#f-email-error'), /adresse de courriel complète/);
  assert.equal(await page.inputValue('#f-name'), 'Dr Inès Morel', 'answers kept');
  await assertFits(page, 'joining form with an error');
  await page.fill('#f-email', 'ines.morel@example.org');
  await submit(page);
  assert.match(await page.textContent('main'), /Votre proposition est enregistrée/);
  await assertFits(page, 'thank-you page');

  const notice = await waitForMailStarting(data, 'rejoindre-');
  assert.doesNotMatch(notice, /Morel|ines\.morel|Rethel/, 'no personal data in the notice');

  // The Rethélois' coordinator signs in and accepts him.
  await page.goto(`${base}/espace/`);
  await page.fill('#courriel', 'coordination.rethelois@example.org');
  await submit(page);
  await page.goto(linkIn(await waitForMailStarting(data, 'connexion-'), base, '/espace/connexion/'));
  await submit(page);
  await submit(page, 'a[href="/espace/medecins"]');
  assert.match(await page.textContent('main'), /Dr Inès Morel/);
  await assertFits(page, 'offers to join');
  await submit(page, 'form[action$="/accepter"] button');
  assert.match(await page.textContent('main'), /Aucune proposition en attente/);
  await assertFits(page, 'offers to join, none left');

  const welcome = await waitForMailStarting(data, 'bienvenue-');
  assert.match(welcome, /\/api\/medecins\/med-[a-z0-9]+\?jeton=/, 'his standing link');

  assert.deepEqual(seen.foreign, [], 'no request to another origin');
  // The only answer of 400 or more: the form sent back with its error (422), which Chromium also
  // logs on the console.
  const expected = (e) => e === `422 ${base}/api/medecins/rejoindre` || /status of 422/.test(e);
  assert.ok(seen.errors.some(expected), 'the form with an error answers 422');
  assert.deepEqual(seen.errors.filter((e) => !expected(e)), [], 'no other error');
  await context.close();
});
