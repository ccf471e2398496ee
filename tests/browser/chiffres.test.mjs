// The figures page on a phone (issue #16), against `cpts serve`: a request from a poster's QR code
// (`?src=`), the Sedanais coordinator signs in and opens « Les chiffres ». At 390 px the page (its
// form, the bar chart and every table) has no horizontal scroll, targets of at least 44 px and no
// axe-core violation; the poster's tag is counted; the doctors' supply and the workbook link are there.
// The ACI report fits at 390 px too, and prints without the navigation.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import {
  launch, guard, startServe, fillForm, waitForMailStarting, linkIn, assertFits,
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

async function submit(page) {
  await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
}

test('the figures at 390 px: chart and tables fit, the poster is counted, no axe violation', async () => {
  const { base, data } = served;
  // A request from a poster, through the public form without JavaScript.
  const former = await browser.newContext({ javaScriptEnabled: false });
  const form = await former.newPage();
  await form.goto(`${base}/inscription/?src=affiche-sedan-a4`);
  await fillForm(form, { email: 'lea.dupre@example.fr' });
  await submit(form);
  await form.waitForTimeout(3100);
  await submit(form);
  assert.ok((await form.textContent('.reference')).trim().length > 0);
  await former.close();

  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const seen = guard(page, base);
  await page.goto(`${base}/espace/`);
  await page.fill('#courriel', 'coordination.sedanais@example.org');
  await submit(page);
  await page.goto(linkIn(await waitForMailStarting(data, 'connexion-'), base, '/espace/connexion/'));
  await submit(page);
  assert.equal(new URL(page.url()).pathname, '/espace/');
  await Promise.all([page.waitForNavigation(), page.click('text=Voir les chiffres des demandes')]);
  assert.equal(new URL(page.url()).pathname, '/espace/chiffres');
  await assertFits(page, 'figures page');
  assert.ok(await page.locator('svg rect').count() >= 1, 'the bar chart');
  assert.match(await page.textContent('main'), /affiche « affiche-sedan-a4 »/);
  assert.match(await page.textContent('main'), /Les médecins participants, aujourd'hui/, 'the supply table');
  assert.equal(await page.locator('a[href^="/espace/chiffres/tableaux.xlsx?"]').count(), 1, 'the workbook link');
  await Promise.all([page.waitForNavigation(), page.click('text=Depuis le début')]);
  await assertFits(page, 'since the start');
  // The ACI report of this year (the request is this year's): it fits, and prints without the
  // site's header, footer or the report's own form and links.
  await Promise.all([page.waitForNavigation(), page.click('text=Voir le rapport annuel ACI')]);
  assert.equal(new URL(page.url()).pathname, '/espace/chiffres/rapport-aci');
  await page.selectOption('#annee', String(new Date().getFullYear()));
  await submit(page);
  await assertFits(page, 'ACI report');
  assert.match(await page.textContent('main'), /Document interne/);
  assert.equal(await page.locator('a[href^="/espace/chiffres/rapport-aci.pdf?"]').count(), 1, 'the PDF link');
  await page.emulateMedia({ media: 'print' });
  for (const hidden of ['header.header', 'footer.footer', 'form.search', 'a[href^="/espace/chiffres/rapport-aci.pdf?"]']) {
    assert.equal(await page.locator(hidden).isVisible(), false, `${hidden} is not printed`);
  }
  assert.equal(await page.locator('.aci-report table').first().isVisible(), true, 'the tables are printed');
  await page.emulateMedia({ media: 'screen' });
  assert.deepEqual(seen.foreign, [], 'no request to another origin');
  assert.deepEqual(seen.errors, [], 'no console error');
  await context.close();
});
