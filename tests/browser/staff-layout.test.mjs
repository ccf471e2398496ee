// Staff pages on a phone (issue #13): at 390 px the coordinator's overview and request page have
// no horizontal scroll, every link and button is at least 44 px tall, and axe-core finds nothing.
// Against `cpts serve`, the request entered through the public form.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, guard, axeViolations, startServe, fillForm, waitForMail, linkIn, layout } from './helpers.mjs';

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

test('the overview and a request page at 390 px: no horizontal scroll, 44 px targets, no axe violation', async () => {
  const { base, data } = served;
  // The request, through the public form (without JavaScript, as decisions.test.mjs does).
  const former = await browser.newContext({ javaScriptEnabled: false });
  const form = await former.newPage();
  await form.goto(`${base}/inscription/`);
  await fillForm(form, { email: 'lea.dupre@example.fr' });
  await Promise.all([form.waitForNavigation(), form.click('button[type=submit]')]);
  await form.waitForTimeout(3100);
  await Promise.all([form.waitForNavigation(), form.click('button[type=submit]')]);
  const reference = (await form.textContent('.reference')).trim();
  await former.close();

  // The coordinator's phone (scripts on for axe-core; the pages have none of their own).
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  const seen = guard(page, base);
  const coordination = await waitForMail(data, `${reference}-coordination`);

  for (const [what, prefix] of [['request page', '/api/demandes/'], ['overview', '/api/coordination/']]) {
    await page.goto(linkIn(coordination, base, prefix));
    const found = await layout(page);
    assert.ok(found.scrollWidth <= found.clientWidth, `${what}: ${found.scrollWidth} px wide in ${found.clientWidth} px`);
    assert.deepEqual(found.small, [], `${what}: targets under 44 px`);
    assert.deepEqual(await axeViolations(page), [], `${what}: axe-core`);
  }
  // The request page: the person's phone one tap away, the timeline, why this level.
  await page.goto(linkIn(coordination, base, '/api/demandes/'));
  assert.ok(await page.locator('a.button[href^="tel:"]').count() >= 1, 'a tel: button');
  assert.match(await page.textContent('main'), /Pourquoi ce niveau de priorité/);
  assert.match(await page.textContent('.timeline'), /Demande enregistrée/);

  assert.deepEqual(seen.foreign, [], 'no request to another origin');
  assert.deepEqual(seen.errors, [], 'no console error');
  await context.close();
});
