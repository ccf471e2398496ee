// A doctor's own page on a phone (issue #15), against `cpts serve`: ask for one's link on the
// handler's page, open the mailed link, send a wrong capacity (the error next to the field, every
// other answer kept), then a good one, then « Rien n'a changé ». At 390 px every page of the path
// has no horizontal scroll, targets of at least 44 px and no axe-core violation.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, guard, startServe, waitForMailStarting, linkIn, assertFits,
} from './helpers.mjs';

// A doctor of the demo roster (content/territory/doctors.csv).
const DOCTOR = { email: 'dr.hugo.marechal@example.org', name: 'Dr Hugo Maréchal' };

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

async function submit(page, selector) {
  await Promise.all([page.waitForNavigation(), page.click(selector)]);
}

test("a doctor's page at 390 px: ask for the link, change the declaration, confirm it", async () => {
  const { base, data } = served;
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  guard(page, base);

  await page.goto(`${base}/api/medecins/lien`);
  await assertFits(page, 'link request');
  await page.fill('#courriel', DOCTOR.email);
  await submit(page, 'button[type=submit]');
  assert.match(await page.textContent('main'), /Si cette adresse est celle d'un médecin de la CPTS/);
  await assertFits(page, 'link requested');

  const link = linkIn(await waitForMailStarting(data, 'lien-medecin-'), base, '/api/medecins/');
  await page.goto(link);
  assert.equal((await page.textContent('h1')).trim(), 'Ma disponibilité');
  assert.match(await page.textContent('main'), new RegExp(DOCTOR.name));
  await assertFits(page, "doctor's page");

  await page.fill('#capacite', '9999');
  await page.check('#public');
  await submit(page, 'form.registration button[type=submit]');
  assert.match(await page.textContent('main'), /Nouveaux patients par an : écrivez un nombre entier/);
  assert.ok(await page.isChecked('#public'), 'answers kept');
  await assertFits(page, 'declaration with an error');

  await page.fill('#capacite', '5');
  await page.check('#statut-non');
  await submit(page, 'form.registration button[type=submit]');
  assert.equal((await page.textContent('h1')).trim(), 'Votre déclaration est enregistrée');
  assert.match(await page.textContent('main'), /vous n'acceptez pas de nouveaux patients/);
  await assertFits(page, 'declaration stored');

  await submit(page, 'a.target');
  await submit(page, 'form.actions button[type=submit]');
  assert.equal((await page.textContent('h1')).trim(), 'Merci : votre déclaration est confirmée');
  await assertFits(page, 'declaration confirmed');
  await context.close();
});
