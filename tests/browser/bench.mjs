// Browser side of the map benchmark (scripts/bench-map.sh): bytes the map page transfers, gzip
// (as a server compressing them would send them), with JavaScript off and with MapLibre, and the
// time from navigation to the map drawn (MapLibre's `idle` after its data), in headless Chromium.
// Prints figures; asserts nothing. SITE_DIR names the built site folder.

import { gzipSync } from 'node:zlib';
import { serve, launch } from './helpers.mjs';

const RUNS = Number(process.env.RUNS ?? 5);
const siteDir = process.env.SITE_DIR;
if (!siteDir) {
  console.error('SITE_DIR must name the built site folder');
  process.exit(2);
}

const server = await serve(siteDir);
const browser = await launch();

/** Loads /carte/ in a fresh context; returns the gzip bytes of everything fetched, and timings. */
async function visit(javaScriptEnabled) {
  const context = await browser.newContext({ javaScriptEnabled, viewport: { width: 1280, height: 800 } });
  const page = await context.newPage();
  const urls = new Set();
  page.on('request', (r) => urls.add(r.url()));
  page.on('worker', (w) => urls.add(w.url()));
  await page.goto(`${server.url}/carte/`);
  let ready = null;
  if (javaScriptEnabled) {
    await page.waitForSelector('#carte[data-etat="pret"]', { timeout: 60000 });
    ready = await page.evaluate(() => performance.getEntriesByName('carte-prete')[0].startTime);
  } else {
    await page.waitForLoadState('load');
  }
  await context.close();
  let gzip = 0;
  let raw = 0;
  for (const url of urls) {
    if (!url.startsWith('http')) continue;
    const body = Buffer.from(await (await fetch(url)).arrayBuffer());
    raw += body.length;
    gzip += gzipSync(body, { level: 6 }).length;
  }
  return { gzip, raw, files: urls.size, ready };
}

const kb = (n) => `${(n / 1000).toFixed(1)} KB`;
const noJs = await visit(false);
console.log(`map page without JavaScript: ${noJs.files} files, ${kb(noJs.gzip)} gzip (${kb(noJs.raw)} raw) — target < 150 KB: ${noJs.gzip < 150000 ? 'target met' : 'TARGET MISSED'}`);
const times = [];
let withJs;
for (let i = 0; i < RUNS; i += 1) {
  withJs = await visit(true);
  times.push(withJs.ready);
}
times.sort((a, b) => a - b);
console.log(`map page with MapLibre: ${withJs.files} files, ${kb(withJs.gzip)} gzip (${kb(withJs.raw)} raw)`);
console.log(`navigation → map drawn (MapLibre idle), headless Chromium with SwiftShader: median ${times[Math.floor(times.length / 2)].toFixed(0)} ms (min ${times[0].toFixed(0)}, max ${times[times.length - 1].toFixed(0)}, ${RUNS} runs, cold cache)`);
await browser.close();
server.stop();
