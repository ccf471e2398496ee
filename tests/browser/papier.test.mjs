// The printable paper registration forms in a real browser: on screen an ordinary accessible page
// at 390 px, printed (DevTools protocol Page.printToPDF with the page's own CSS size) a short A4
// document. SITE_DIR names the built demo site (see scripts/test.sh).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch, guard, axeViolations } from './helpers.mjs';

const siteDir = process.env.SITE_DIR;
const FORMS = ['portes-du-luxembourg-et-du-sedanais', 'rethelois', 'vouzinois'];
// A4 in PostScript points (1/72 inch): 210 mm × 297 mm.
const A4 = [595.28, 841.89];
let server;
let browser;

before(async () => {
  assert.ok(siteDir, 'SITE_DIR must name the built demo site (see scripts/test.sh)');
  server = await serve(siteDir);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

/** The size of each page of a PDF, from its /MediaBox entries (one per page object). */
function pageSizes(pdf) {
  const text = pdf.toString('latin1');
  const pages = [...text.matchAll(/\/Type\s*\/Page(?!s)[\s\S]*?(?=endobj)/g)];
  return pages.map((p) => {
    const box = /\/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]/.exec(p[0]);
    return box ? [Number(box[3]) - Number(box[1]), Number(box[4]) - Number(box[2])] : null;
  });
}

test('the paper form at 390 px: no axe violation, no horizontal scroll, no request elsewhere', async () => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 } });
  const page = await context.newPage();
  const seen = guard(page, server.url);
  for (const id of FORMS) {
    await page.goto(`${server.url}/inscription/papier/${id}/`);
    assert.deepEqual(await axeViolations(page), [], id);
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 390, `${id}: ${width} px wide`);
    assert.equal(await page.locator('button, datalist, input[type=hidden]').count(), 0, 'nothing to send');
    assert.match(await page.textContent('.paper-send'), /Envoyez ou déposez ce formulaire à/);
  }
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(seen.foreign, []);
  await context.close();
});

test('printed, each paper form is at most 3 A4 pages, without the menu', async () => {
  const context = await browser.newContext();
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  for (const id of FORMS) {
    await page.goto(`${server.url}/inscription/papier/${id}/`);
    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.locator('header.header').isVisible(), false, 'no header when printed');
    assert.equal(await page.locator('footer.footer').isVisible(), false, 'no footer when printed');
    await page.emulateMedia({ media: null });
    const { data } = await cdp.send('Page.printToPDF', { preferCSSPageSize: true, printBackground: true });
    const sizes = pageSizes(Buffer.from(data, 'base64'));
    assert.ok(sizes.length >= 1 && sizes.length <= 3, `${id}: ${sizes.length} pages`);
    for (const size of sizes) {
      assert.ok(size, 'each page has a size');
      assert.ok(Math.abs(size[0] - A4[0]) < 2 && Math.abs(size[1] - A4[1]) < 2, `${id}: page of ${size} pt, not A4`);
    }
    console.log(`${id}: ${sizes.length} A4 page(s)`);
  }
  await context.close();
});
