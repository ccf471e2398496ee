// The availability map in a real browser: Debian's Chromium, headless, against the demo site built
// by `cpts build` and served on 127.0.0.1. SITE_DIR names the built site folder.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { serve, launch, guard, openMap, idleAfter, axeViolations, root } from './helpers.mjs';

const siteDir = process.env.SITE_DIR;
const artifacts = path.join(root, 'test-artifacts');
let server;
let browser;
let page;
let seen;

before(async () => {
  assert.ok(siteDir, 'SITE_DIR must name the built demo site (see scripts/test.sh)');
  server = await serve(siteDir);
  browser = await launch();
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  page = await context.newPage();
  seen = guard(page, server.url);
  await openMap(page, server.url);
});

after(async () => {
  await browser?.close();
  server?.stop();
});

/** The communes the map draws, as { code, statut } from its rendered features. */
function renderedCommunes() {
  return page.evaluate(() => {
    const features = window.carteMap.queryRenderedFeatures({ layers: ['communes'] });
    return [...new Map(features.map((f) => [f.properties.code, f.properties])).values()];
  });
}

test('the map draws its layers: communes with their status, CPTS perimeters, doctors', async () => {
  const counts = await page.evaluate(() => Object.fromEntries(
    ['communes', 'cpts', 'medecins'].map((layer) => [layer, window.carteMap.queryRenderedFeatures({ layers: [layer] }).length]),
  ));
  assert.ok(counts.communes > 300, `communes drawn: ${counts.communes}`);
  assert.ok(counts.cpts >= 3, `CPTS drawn: ${counts.cpts}`);
  assert.ok(counts.medecins > 5, `doctors drawn: ${counts.medecins}`);
  const statuses = new Set((await renderedCommunes()).map((c) => c.statut));
  assert.ok(statuses.has('disponible') && statuses.has('limite') && statuses.has('aucun'), [...statuses].join());
  assert.equal(await page.isHidden('.carte-fixe'), true, 'the SVG gives way to the interactive map');
  // The main towns are named on it, and a tap on a name reaches the commune under it.
  const towns = await page.$$eval('#carte .ville', (labels) => labels.map((l) => {
    const r = l.getBoundingClientRect();
    return {
      name: l.textContent,
      through: getComputedStyle(l).pointerEvents === 'none',
      shown: getComputedStyle(l).visibility === 'visible' && r.width > 0,
      box: [r.left, r.top, r.right, r.bottom],
    };
  }));
  const shown = towns.filter((t) => t.shown);
  const names = shown.map((t) => t.name);
  assert.ok(names.includes('Charleville-Mézières') && names.includes('Sedan'), names.join());
  assert.ok(shown.length >= 6 && towns.every((t) => t.through), JSON.stringify(towns));
  for (const [i, a] of shown.entries()) {
    for (const b of shown.slice(i + 1)) {
      const apart = a.box[2] <= b.box[0] || b.box[2] <= a.box[0] || a.box[3] <= b.box[1] || b.box[3] <= a.box[1];
      assert.ok(apart, `${a.name} overlaps ${b.name}`);
    }
  }
  mkdirSync(artifacts, { recursive: true });
  await page.locator('#carte-zone').screenshot({ path: path.join(artifacts, 'carte.png') });
  await page.screenshot({ path: path.join(artifacts, 'carte-page.png'), fullPage: true });
});

test('clicking a commune shows its status and the next step', async () => {
  // A commune whose middle shows the commune itself, not a doctor's point, inside the window.
  await page.locator('#carte').scrollIntoViewIfNeeded();
  const box = await page.locator('#carte canvas').boundingBox();
  const visible = page.viewportSize().height - box.y - 10;
  const target = await page.evaluate((maxY) => {
    const map = window.carteMap;
    for (const f of map.queryRenderedFeatures({ layers: ['communes'] })) {
      if (f.properties.statut !== 'disponible') continue;
      const ring = f.geometry.type === 'Polygon' ? f.geometry.coordinates[0] : f.geometry.coordinates[0][0];
      const lon = ring.reduce((s, p) => s + p[0], 0) / ring.length;
      const lat = ring.reduce((s, p) => s + p[1], 0) / ring.length;
      const point = map.project([lon, lat]);
      const top = map.queryRenderedFeatures(point, { layers: ['communes', 'medecins'] })[0];
      if (point.y > 10 && point.y < maxY && top && top.layer.id === 'communes' && top.properties.code === f.properties.code) {
        return { x: point.x, y: point.y, ...f.properties };
      }
    }
    return null;
  }, visible);
  assert.ok(target, 'found a commune to click');
  await page.mouse.click(box.x + target.x, box.y + target.y);
  await page.waitForSelector('#carte-panneau:not([hidden])');
  const title = await page.textContent('#carte-panneau-titre');
  assert.ok(title.includes(target.nom), `${title} names ${target.nom}`);
  const text = await page.textContent('#carte-panneau-texte');
  const label = await page.getAttribute('.legende li[data-code="disponible"]', 'data-texte');
  assert.ok(text.includes(label), `panel says "${label}": ${text}`);
  assert.ok(text.includes('03 53 01 20 08'), 'panel gives the phone number');
  const form = await page.getAttribute('#carte-panneau-texte a[href^="/inscription/"]', 'href');
  assert.equal(form, `/inscription/?commune=${target.code}`);
});

test('a filter changes what is shown', async () => {
  const before = await renderedCommunes();
  await idleAfter(page, () => page.check('#carte-filtres input[value="maintenant"]'));
  const after = await renderedCommunes();
  assert.ok(after.length > 0 && after.length < before.length, `${before.length} → ${after.length}`);
  assert.ok(after.every((c) => c.proches === true), 'only communes with a doctor accepting within 10 km');
  assert.match(await page.textContent('#carte-resultats'), /commune\(s\) correspondent/);
  await idleAfter(page, () => page.uncheck('#carte-filtres input[value="maintenant"]'));
  assert.equal((await renderedCommunes()).length, before.length);
});

test('searching a commune by name or postcode zooms to it', async () => {
  const initial = await page.evaluate(() => window.carteMap.getBounds().toArray());
  for (const [query, name] of [['Rethel', 'Rethel'], ['08120', 'Bogny-sur-Meuse']]) {
    const zoomBefore = await page.evaluate(() => window.carteMap.getZoom());
    await page.fill('#carte-q', query);
    await idleAfter(page, () => page.click('#carte-recherche button[type=submit]'));
    const view = await page.evaluate(() => ({
      zoom: window.carteMap.getZoom(),
      centre: window.carteMap.getCenter().toArray(),
    }));
    assert.ok(view.zoom > zoomBefore + 1, `${query}: zoom ${zoomBefore} → ${view.zoom}`);
    assert.ok((await page.textContent('#carte-panneau-titre')).includes(name), `${query} shows ${name}`);
    const hit = await page.evaluate(({ c, n }) => {
      const p = window.carteMap.project(c);
      return window.carteMap.queryRenderedFeatures(p, { layers: ['communes'] }).some((f) => f.properties.nom === n);
    }, { c: view.centre, n: name });
    assert.ok(hit, `${name} is at the centre of the map`);
    await idleAfter(page, () => page.evaluate((b) => window.carteMap.fitBounds(b, { duration: 0 }), initial));
  }
});

test('the keyboard moves the map and Enter picks the commune in the middle', async () => {
  await page.focus('#carte canvas');
  await idleAfter(page, () => page.keyboard.press('='));
  await page.keyboard.press('Enter');
  await page.waitForSelector('#carte-panneau:not([hidden])');
  assert.ok((await page.textContent('#carte-panneau-texte')).length > 20);
});

test('no console error and no request leaves 127.0.0.1', async () => {
  assert.deepEqual(seen.errors, []);
  assert.deepEqual(seen.foreign, []);
  assert.ok(seen.requests.some((u) => u.endsWith('/carte/maplibre/maplibre-gl.mjs')), 'MapLibre from the site itself');
  assert.ok(seen.requests.some((u) => u.includes('/carte/maplibre/maplibre-gl-worker.mjs')), 'its worker too');
});

test('without JavaScript, the SVG map and the table show the same statuses as the data', async () => {
  const context = await browser.newContext({ javaScriptEnabled: false });
  const noJs = await context.newPage();
  const requests = guard(noJs, server.url);
  await noJs.goto(`${server.url}/carte/`);
  assert.equal(await noJs.isVisible('.carte-fixe svg'), true, 'the SVG map shows');
  const svg = await noJs.$$eval('.carte-fixe svg path[data-code]', (paths) => paths.map((p) => [p.dataset.code, p.dataset.statut]));
  const table = await noJs.$$eval('table.statuts tr[data-code]', (rows) => rows.map((r) => [r.dataset.code, r.dataset.statut, r.textContent]));
  await context.close();
  const data = await (await fetch(`${server.url}/carte/donnees/communes.geojson`)).json();
  const expected = new Map(data.features.map((f) => [f.properties.code, f.properties.statut]));
  assert.equal(svg.length, expected.size, 'one SVG area per commune');
  assert.equal(table.length, expected.size, 'one table row per commune');
  for (const [code, statut] of svg) assert.equal(statut, expected.get(code), `SVG ${code}`);
  const labels = {
    disponible: 'Acceptent à 10 km environ', limite: 'Possibilités limitées', 'a-confirmer': 'À confirmer', aucun: 'Aucun à 20 km environ',
  };
  for (const [code, statut, text] of table) {
    assert.equal(statut, expected.get(code), `table ${code}`);
    assert.ok(text.includes(labels[statut]), `table ${code} says "${labels[statut]}" in words`);
  }
  assert.ok(!requests.requests.some((u) => u.includes('maplibre')), 'no MapLibre without JavaScript');
  assert.deepEqual(requests.foreign, []);
});

test('without WebGL, the page keeps the SVG map and says why', async () => {
  const context = await browser.newContext();
  await context.addInitScript(() => {
    const original = HTMLCanvasElement.prototype.getContext;
    HTMLCanvasElement.prototype.getContext = function getContext(kind, ...rest) {
      return /webgl/.test(kind) ? null : original.call(this, kind, ...rest);
    };
  });
  const noGl = await context.newPage();
  const requests = guard(noGl, server.url);
  await noGl.goto(`${server.url}/carte/`);
  await noGl.waitForSelector('#carte-message:not([hidden])');
  assert.match(await noGl.textContent('#carte-message'), /WebGL/);
  assert.equal(await noGl.isVisible('.carte-fixe svg'), true);
  assert.ok(!requests.requests.some((u) => u.includes('maplibre-gl')), 'MapLibre is not even downloaded');
  await context.close();
});

test('axe-core finds no WCAG 2.1 A/AA violation on the map, a commune page and a CPTS page', async () => {
  const pages = ['/carte/', '/communes/sedan-08409/', '/cpts/rethelois/'];
  const context = await browser.newContext();
  const p = await context.newPage();
  for (const url of pages) {
    if (url === '/carte/') await openMap(p, server.url);
    else await p.goto(`${server.url}${url}`);
    const violations = await axeViolations(p);
    assert.deepEqual(violations, [], `${url}: ${JSON.stringify(violations, null, 1)}`);
  }
  await context.close();
});
