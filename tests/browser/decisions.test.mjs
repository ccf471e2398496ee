// Proposals and decisions (issue #6) in a real browser with JavaScript OFF, against `cpts serve`:
// a person registers, the coordinator opens her emailed link, validates the proposed doctor, the
// doctor opens his link and accepts, the patient opens his. Every page is checked with axe-core,
// and nothing leaves 127.0.0.1.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, guard, axeViolations, startServe, fillForm, waitForMail, linkIn, mailFiles } from './helpers.mjs';

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

test('from the form to the doctor accepting, by emailed links, without JavaScript', async () => {
  const { base, data } = served;
  const context = await browser.newContext({ javaScriptEnabled: false });
  const page = await context.newPage();
  const seen = guard(page, base);
  // axe-core needs scripts: each page is checked again in a second context (GET changes nothing).
  const checker = await (await browser.newContext()).newPage();
  const axeOn = async (what) => {
    await checker.goto(page.url());
    assert.deepEqual(await axeViolations(checker), [], what);
  };

  await page.goto(`${base}/inscription/`);
  await fillForm(page, { email: 'lea.dupre@example.fr' });
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  await page.waitForTimeout(3100);
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
  const reference = (await page.textContent('.reference')).trim();

  // The coordinator's page: the request, the proposed doctor and why; buttons, no script.
  const coordination = await waitForMail(data, `${reference}-coordination`);
  await page.goto(linkIn(coordination, base, '/api/demandes/'));
  assert.match(await page.textContent('h1'), new RegExp(reference));
  assert.match(await page.textContent('.proposal'), /Médecin proposé : Dr /);
  assert.match(await page.textContent('.proposal'), /Pourquoi ce médecin/);
  assert.equal(await page.locator('script').count(), 0, 'no script on the page');
  await axeOn('coordinator page');
  await page.selectOption('#qui-valider', '0');
  await Promise.all([page.waitForNavigation(), page.click('button[value=valider]')]);
  assert.match(await page.textContent('h1'), /Proposition validée/);
  // Back on her page: sent to the doctor.
  await page.goBack();
  await page.reload();
  assert.match(await page.textContent('main'), /Proposition validée et envoyée/);

  // The doctor's page: commune, distance, no name until he accepts.
  let doctorMail;
  for (const until = Date.now() + 10000; !doctorMail && Date.now() < until; await new Promise((r) => setTimeout(r, 200))) {
    doctorMail = mailFiles(data).find((f) => f.endsWith('-medecin.eml'));
  }
  assert.ok(doctorMail, 'the doctor is mailed');
  const toDoctor = await waitForMail(data, doctorMail.replace(/\.eml$/, ''));
  await page.goto(linkIn(toDoctor, base, '/api/propositions/'));
  assert.match(await page.textContent('main'), /Commune du patient/);
  assert.doesNotMatch(await page.textContent('main'), /Dupré|06 12/);
  await axeOn('doctor page');
  await Promise.all([page.waitForNavigation(), page.click('button[value=accepter]')]);
  assert.match(await page.textContent('main'), /Dupré-Lefèvre/);
  assert.match(await page.textContent('main'), /06 12 34 56 78/);
  await axeOn('doctor accepted page');

  // The patient's page names the doctor.
  const toPatient = await waitForMail(data, `${reference}-patient`);
  await page.goto(linkIn(toPatient, base, '/api/suivi/'));
  assert.match(await page.textContent('h1'), /Un médecin traitant accepte votre demande/);
  await axeOn('patient page');

  // The overview from the coordinator's mail.
  await page.goto(linkIn(coordination, base, '/api/coordination/'));
  assert.match(await page.textContent('h1'), /Tableau de bord/);
  await axeOn('overview');

  assert.deepEqual(seen.foreign, [], 'no request to another origin');
  await context.close();
});
