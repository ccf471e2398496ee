// The public site on a phone (issue #17): at 320, 360 and 390 px wide, the home page, the map and
// a commune page fit the width, show the phone number in the first screen, fold their menu, and
// the no-JS map draws the « aucun » communes' cross-hatch (checked on the screen's pixels).
// SITE_DIR names the built demo site (see scripts/test.sh).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { serve, launch } from './helpers.mjs';

const siteDir = process.env.SITE_DIR;
const WIDTHS = [320, 360, 390];
const HEIGHT = 844;
const PAGES = ['/', '/carte/', '/communes/sedan-08409/', '/communes/givet-08190/'];
let server;
let browser;
let decoder;

before(async () => {
  assert.ok(siteDir, 'SITE_DIR must name the built demo site (see scripts/test.sh)');
  server = await serve(siteDir);
  browser = await launch();
  // A page with JavaScript to read a screenshot's pixels (the pages under test have none).
  decoder = await (await browser.newContext()).newPage();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

async function phone(width) {
  const context = await browser.newContext({ viewport: { width, height: HEIGHT }, javaScriptEnabled: false });
  return { context, page: await context.newPage() };
}

/** The RGBA pixels of a PNG screenshot, decoded by the browser. */
function pixels(png) {
  return decoder.evaluate(async (b64) => {
    const img = new Image();
    img.src = `data:image/png;base64,${b64}`;
    await img.decode();
    const canvas = new OffscreenCanvas(img.width, img.height);
    const ctx = canvas.getContext('2d');
    ctx.drawImage(img, 0, 0);
    return Array.from(ctx.getImageData(0, 0, img.width, img.height).data);
  }, png.toString('base64'));
}

/**
 * A square of the screen, `side` px, drawn by an « aucun » commune of the page's SVG map only (no
 * town name, no outline over it), preferring the commune `code`: { code, x, y } in page pixels.
 */
function aucunSpot(page, code, side) {
  return page.evaluate(({ code, side }) => {
    const paths = [...document.querySelectorAll('.carte-fixe svg path[data-statut="aucun"]')];
    paths.sort((a, b) => (b.dataset.code === code) - (a.dataset.code === code));
    for (const path of paths) {
      path.scrollIntoView({ block: 'center' });
      const box = path.getBoundingClientRect();
      for (let fy = 0.1; fy < 0.9; fy += 0.05) {
        for (let fx = 0.1; fx < 0.9; fx += 0.05) {
          const x = box.left + fx * box.width;
          const y = box.top + fy * box.height;
          const corners = [[x, y], [x + side, y], [x, y + side], [x + side, y + side], [x + side / 2, y + side / 2]];
          if (corners.every(([cx, cy]) => document.elementFromPoint(cx, cy) === path)) {
            return { code: path.dataset.code, x: x + window.scrollX, y: y + window.scrollY };
          }
        }
      }
    }
    return null;
  }, { code, side });
}

for (const width of WIDTHS) {
  test(`${width} px: no horizontal scroll, the number in the first screen, a compact header`, async () => {
    const { context, page } = await phone(width);
    for (const url of PAGES) {
      await page.goto(`${server.url}${url}`);
      const found = await page.evaluate(() => {
        const header = document.querySelector('header').getBoundingClientRect();
        const phones = [...document.querySelectorAll('a.phone')].map((a) => a.getBoundingClientRect())
          .filter((r) => r.width > 0).map((r) => ({ top: r.top, bottom: r.bottom, right: r.right }));
        const doWhat = [...document.querySelectorAll('main h2')].find((h) => h.textContent.trim() === 'Que faire ?');
        const doWhatPhone = doWhat?.nextElementSibling?.querySelector('a.phone')?.getBoundingClientRect();
        return {
          scrollWidth: document.documentElement.scrollWidth,
          clientWidth: document.documentElement.clientWidth,
          header: header.bottom,
          phones,
          doWhatPhone: doWhatPhone && doWhatPhone.bottom,
          menuShown: [...document.querySelectorAll('nav .menu a')].some((a) => a.checkVisibility()),
        };
      });
      assert.ok(found.scrollWidth <= found.clientWidth, `${url} at ${width}: ${found.scrollWidth} px wide`);
      assert.ok(found.phones.length > 0 && found.phones[0].bottom <= HEIGHT, `${url} at ${width}: the number in the first screen`);
      for (const p of found.phones) assert.ok(p.right <= width, `${url} at ${width}: a number overflows (${p.right} px)`);
      assert.ok(found.header <= 260, `${url} at ${width}: the header takes ${found.header} px`);
      assert.equal(found.menuShown, false, `${url} at ${width}: the menu is folded`);
      if (url.startsWith('/communes/')) {
        assert.ok(found.doWhatPhone && found.doWhatPhone <= HEIGHT, `${url} at ${width}: « Que faire ? » and its number at ${found.doWhatPhone} px`);
      }
    }
    // The folded menu opens without JavaScript, with links a finger can hit.
    await page.goto(`${server.url}/`);
    await page.click('nav summary');
    const links = await page.$$eval('nav .menu a', (as) => as.map((a) => a.getBoundingClientRect().height));
    assert.ok(links.length > 3 && links.every((h) => h >= 44), `menu links: ${links}`);
    await context.close();
  });

  test(`${width} px without JavaScript: the map's tools are not shown, the « aucun » communes are drawn`, async () => {
    const { context, page } = await phone(width);
    await page.goto(`${server.url}/carte/`);
    assert.equal(await page.isVisible('#carte-outils'), false, 'no search box or filters that do nothing');
    assert.equal(await page.isVisible('#carte-q'), false);
    assert.equal(await page.isVisible('.carte-fixe svg'), true);
    const labels = await page.$$eval('.carte-fixe svg .villes text', (ts) => ts.map((t) => [t.textContent, t.getBoundingClientRect().toJSON()]));
    assert.ok(labels.some(([name]) => name === 'Charleville-Mézières') && labels.some(([name]) => name === 'Sedan'), `towns named: ${labels.map((l) => l[0])}`);
    for (let i = 0; i < labels.length; i++) {
      for (let j = i + 1; j < labels.length; j++) {
        const [a, b] = [labels[i][1], labels[j][1]];
        const apart = a.right <= b.left || b.right <= a.left || a.bottom <= b.top || b.bottom <= a.top;
        assert.ok(apart, `${labels[i][0]} overlaps ${labels[j][0]}`);
      }
      assert.ok(labels[i][1].height >= 10, `${labels[i][0]}: ${labels[i][1].height} px tall`);
    }
    for (const [url, code] of [['/carte/', '08190'], ['/communes/givet-08190/', '08190']]) {
      await page.goto(`${server.url}${url}`);
      const side = 10;
      const spot = await aucunSpot(page, code, side);
      assert.ok(spot, `${url}: an « aucun » commune shows on the map`);
      const png = await page.screenshot({ clip: { x: spot.x, y: spot.y, width: side, height: side }, fullPage: true });
      const data = await pixels(png);
      let dark = 0;
      for (let i = 0; i < data.length; i += 4) {
        const luminance = 0.2126 * data[i] + 0.7152 * data[i + 1] + 0.0722 * data[i + 2];
        if (luminance < 200) dark += 1;
      }
      const share = dark / (data.length / 4);
      assert.ok(share >= 0.15, `${url} at ${width}: commune ${spot.code} is ${Math.round(share * 100)} % hatched`);
    }
    await context.close();
  });
}

test('printed pages keep the legend swatches', async () => {
  const { context, page } = await phone(390);
  await page.goto(`${server.url}/carte/`);
  await page.emulateMedia({ media: 'print' });
  const adjust = await page.$eval('.pastille.s-aucun', (el) => getComputedStyle(el).printColorAdjust);
  assert.equal(adjust, 'exact');
  assert.equal(await page.isVisible('.carte-fixe svg'), true);
  await context.close();
});
