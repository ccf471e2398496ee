// On a 390 px phone, following a link of the form's error summary shows the question itself
// (its label or legend) on screen, not only the field under it — with and without JavaScript.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, startServe, fillForm as fill } from './helpers.mjs';

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

/// The top of the question of `selector` (its fieldset's legend or its label) and of the field,
/// relative to the screen.
async function onScreen(page, selector) {
  return page.evaluate((selector) => {
    const field = document.querySelector(selector);
    const question = field.closest('.field');
    const title = question.querySelector('legend') ?? question.querySelector(`label[for="${field.id}"]`);
    const box = (e) => e.getBoundingClientRect();
    return { title: box(title).top, titleBottom: box(title).bottom, field: box(field).bottom, height: window.innerHeight };
  }, selector);
}

for (const javaScriptEnabled of [true, false]) {
  test(`390 px, ${javaScriptEnabled ? 'with' : 'without'} JavaScript: an error link shows its question`, async () => {
    const context = await browser.newContext({ javaScriptEnabled, viewport: { width: 390, height: 844 } });
    const page = await context.newPage();
    await page.goto(`${served.base}/inscription/`);
    await fill(page, { phone: '06 12 34', last_name: 'R2D2' });
    await page.uncheck('#f-consent');
    await page.evaluate(() => {
      document.querySelector('#f-gp_status-none').checked = false;
    });
    await page.waitForTimeout(3100);
    await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
    if (!javaScriptEnabled) {
      // Without a script the first send asks to confirm: the errors come with the second.
      if (await page.locator('.error-summary').count() === 0) {
        await Promise.all([page.waitForNavigation(), page.click('button[type=submit]')]);
      }
    }
    const links = await page.$$eval('.error-summary a', (a) => a.map((l) => l.getAttribute('href')));
    assert.ok(links.includes('#f-gp_status-none') && links.includes('#f-last_name') && links.includes('#f-phone'), links.join(' '));
    assert.match(await page.textContent('.call-help'), /03 53 01 20 08/, 'the number above the errors');
    for (const href of links) {
      await page.evaluate(() => window.scrollTo(0, 0));
      await page.click(`.error-summary a[href="${href}"]`);
      await page.waitForTimeout(100);
      const at = await onScreen(page, href);
      assert.ok(at.title >= 0 && at.titleBottom <= at.height, `${href}: question on screen (${JSON.stringify(at)})`);
      assert.ok(at.field <= at.height, `${href}: field on screen (${JSON.stringify(at)})`);
      if (javaScriptEnabled) {
        assert.equal(await page.evaluate(() => '#' + document.activeElement.id), href, 'the field has the focus');
      }
    }
    await context.close();
  });
}
