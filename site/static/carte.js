// The interactive availability map of /carte/ (issue #3). This small module is loaded on that page
// only; it imports MapLibre GL JS from the same site, and only when WebGL works. Without it the
// SVG map and the table drawn by the server stay on the page and say the same thing.

const box = document.getElementById('carte');
const tools = document.getElementById('carte-outils');
const messageBox = document.getElementById('carte-message');
const panel = document.getElementById('carte-panneau');
const panelTitle = document.getElementById('carte-panneau-titre');
const panelText = document.getElementById('carte-panneau-texte');
const results = document.getElementById('carte-resultats');
const reducedMotion = window.matchMedia('(prefers-reduced-motion: reduce)').matches;

const FRENCH = {
  'Map.Title': 'Carte interactive des disponibilités',
  'NavigationControl.ZoomIn': 'Zoomer',
  'NavigationControl.ZoomOut': 'Dézoomer',
  'NavigationControl.ResetBearing': 'Remettre le nord en haut',
  'Popup.Close': 'Fermer',
  'AttributionControl.ToggleAttribution': 'Afficher ou masquer les sources',
  'ScrollZoomBlocker.CtrlMessage': 'Ctrl + molette pour zoomer',
  'ScrollZoomBlocker.CmdMessage': '⌘ + molette pour zoomer',
  'TouchPanBlocker.Message': 'Déplacez la carte avec deux doigts',
};

/** Statuses as the legend of the page describes them (codes, icons, colours, patterns, labels). */
const statuses = Object.fromEntries(
  [...document.querySelectorAll('.legende li[data-code]')].map((li) => [li.dataset.code, { ...li.dataset }]),
);

/** Element builder: text only, never HTML from data. */
function h(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value !== undefined && value !== null && value !== false) node.setAttribute(name, value);
  }
  for (const child of children.flat()) {
    if (child !== undefined && child !== null && child !== false) node.append(child);
  }
  return node;
}

function say(text) {
  messageBox.textContent = text;
  messageBox.hidden = !text;
}

function webglWorks() {
  try {
    const canvas = document.createElement('canvas');
    return Boolean(canvas.getContext('webgl2') || canvas.getContext('webgl'));
  } catch {
    return false;
  }
}

/** "Saint-Loup Terrier" → "saint-loup-terrier", like the site's URLs and search index. */
export function slug(text) {
  return text
    .toLowerCase()
    .replace(/œ/g, 'oe')
    .replace(/æ/g, 'ae')
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** Key of the search index file: first letter of a name, or first two digits of a postcode. */
export function searchKey(text) {
  const s = slug(text);
  if (!s) return null;
  if (/^[0-9]/.test(s)) {
    const digits = s.match(/^[0-9]{2}/);
    return digits ? digits[0] : null;
  }
  return s[0];
}

/** A 16×16 RGBA tile drawing a status's pattern, for MapLibre's fill-pattern. */
function patternImage(motif, colour) {
  const size = 16;
  const data = new Uint8Array(size * size * 4);
  const ink = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
  for (let y = 0; y < size; y += 1) {
    for (let x = 0; x < size; x += 1) {
      let on;
      if (motif === 'solid') on = true;
      else if (motif === 'stripes') on = (x + y) % 8 < 4;
      else if (motif === 'dots') on = ((x % 8) - 3.5) ** 2 + ((y % 8) - 3.5) ** 2 <= 5;
      else on = x % 8 === y % 8 || x % 8 === 7 - (y % 8);
      data.set(on ? [...ink, 255] : [255, 255, 255, 255], (y * size + x) * 4);
    }
  }
  return { width: size, height: size, data };
}

const EMPTY = { type: 'FeatureCollection', features: [] };

async function json(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`${url} : ${response.status}`);
  return response.json();
}

/** Which communes and doctors each filter keeps (a feature is shown when any checked filter keeps it). */
const COMMUNE_FILTERS = {
  maintenant: ['==', ['get', 'proches'], true],
  plus_tard: ['==', ['get', 'plus_tard'], true],
  domicile: ['==', ['get', 'domicile'], true],
  prioritaires: ['==', ['get', 'prioritaires'], true],
};
/** What the map says about the doctors near a commune: yes or no, never how many (the commune pages say the same). */
const FACTS = [
  ['prioritaires', 'Certains médecins acceptent seulement les patients prioritaires (maladie de longue durée, 70 ans et plus, C2S…).'],
  ['plus_tard', "Des médecins à 20 km environ accepteront de nouveaux patients plus tard."],
  ['domicile', "Certains médecins font des visites à domicile jusqu'ici."],
  ['a_confirmer', 'Certaines informations sont à confirmer : elles ont plus de trois mois.'],
];
const DOCTOR_FILTERS = {
  maintenant: ['all', ['==', ['get', 'statut'], 'maintenant'], ['!', ['get', 'prioritaires']]],
  plus_tard: ['==', ['get', 'statut'], 'plus-tard'],
  domicile: ['get', 'domicile'],
  prioritaires: ['get', 'prioritaires'],
};

class AvailabilityMap {
  constructor(maplibregl, manifest) {
    this.ml = maplibregl;
    this.manifest = manifest;
    this.communes = new Map();
    this.doctors = [];
    this.loadedTiles = new Set();
    this.checked = [];
    const basemap = box.dataset.fond;
    const style = basemap || {
      version: 8,
      sources: {},
      layers: [{ id: 'fond', type: 'background', paint: { 'background-color': '#f7f7f7' } }],
    };
    this.map = new maplibregl.Map({
      container: box,
      style,
      bounds: manifest.bbox,
      fitBoundsOptions: { padding: 16 },
      maxZoom: 14,
      dragRotate: false,
      pitchWithRotate: false,
      touchPitch: false,
      locale: FRENCH,
      attributionControl: box.dataset.attribution
        ? { compact: false, customAttribution: box.dataset.attribution }
        : false,
    });
    window.carteMap = this.map;
    this.map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
    this.map.on('load', () => this.setUp());
  }

  setUp() {
    const map = this.map;
    for (const [code, s] of Object.entries(statuses)) {
      map.addImage(`m-${code}`, patternImage(s.motif, s.couleur));
    }
    const tiles = this.manifest.tuiles;
    const detailZoom = tiles ? tiles.zoom_min : 0;
    map.addSource('communes', { type: 'geojson', data: EMPTY });
    map.addSource('medecins', { type: 'geojson', data: EMPTY });
    // Data is fetched by the page, never by the worker: every request is the page's own.
    map.addSource('cpts', { type: 'geojson', data: EMPTY });
    if (tiles) {
      map.addSource('apercu', { type: 'geojson', data: EMPTY });
      map.addLayer({
        id: 'apercu',
        type: 'fill',
        source: 'apercu',
        maxzoom: detailZoom,
        paint: { 'fill-pattern': ['concat', 'm-', ['get', 'statut']], 'fill-opacity': 0.8 },
      });
    }
    map.addLayer({
      id: 'communes-contour-toutes',
      type: 'line',
      source: 'communes',
      minzoom: detailZoom,
      paint: { 'line-color': '#8a8a8a', 'line-width': 0.5 },
    });
    map.addLayer({
      id: 'communes',
      type: 'fill',
      source: 'communes',
      minzoom: detailZoom,
      paint: { 'fill-pattern': ['concat', 'm-', ['get', 'statut']] },
    });
    map.addLayer({
      id: 'communes-contour',
      type: 'line',
      source: 'communes',
      minzoom: detailZoom,
      paint: { 'line-color': '#ffffff', 'line-width': 0.6 },
    });
    map.addLayer({
      id: 'cpts',
      type: 'line',
      source: 'cpts',
      paint: { 'line-color': '#1b1b1b', 'line-width': 2 },
    });
    map.addLayer({
      id: 'commune-choisie',
      type: 'line',
      source: 'communes',
      filter: ['==', ['get', 'code'], ''],
      paint: { 'line-color': '#000000', 'line-width': 4 },
    });
    // Doctors: filled disc (accepts now), ring (later), small grey disc (not accepting).
    map.addLayer({
      id: 'medecins',
      type: 'circle',
      source: 'medecins',
      minzoom: detailZoom,
      paint: {
        'circle-radius': ['match', ['get', 'statut'], 'non', 4, 7],
        'circle-color': [
          'match', ['get', 'statut'],
          'maintenant', statuses.disponible?.couleur ?? '#1a6b35',
          'plus-tard', '#ffffff',
          '#5c5c5c',
        ],
        'circle-stroke-color': ['match', ['get', 'statut'], 'plus-tard', statuses.limite?.couleur ?? '#9c4a00', 'maintenant', '#000000', '#ffffff'],
        'circle-stroke-width': ['match', ['get', 'statut'], 'plus-tard', 3, 2],
      },
    });
    map.on('click', (e) => this.pick(e.point, e.lngLat));
    for (const layer of ['communes', 'medecins']) {
      map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
      map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; });
    }
    map.getCanvas().addEventListener('keydown', (e) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        const c = map.getCanvas();
        this.pick({ x: c.clientWidth / 2, y: c.clientHeight / 2 }, map.getCenter());
      }
    });
    map.on('moveend', () => this.loadTiles());
    this.nameTowns();
    this.loadData();
  }

  /** The main towns' names, as HTML on the map (MapLibre's own labels would need a font server). */
  nameTowns() {
    const labels = (this.manifest.villes ?? []).map((town) => {
      const label = h('span', { class: 'ville', 'aria-hidden': 'true' }, town.nom);
      new this.ml.Marker({ element: label, anchor: 'center' }).setLngLat([town.lon, town.lat]).addTo(this.map);
      return label;
    });
    // Largest towns first: a name that would overlap one already shown waits for a closer zoom.
    const declutter = () => {
      const shown = [];
      for (const label of labels) {
        label.style.visibility = 'visible';
        const r = label.getBoundingClientRect();
        const overlaps = shown.some((s) => r.left < s.right + 4 && r.right + 4 > s.left && r.top < s.bottom && r.bottom > s.top);
        if (overlaps) label.style.visibility = 'hidden';
        else shown.push(r);
      }
    };
    this.map.on('moveend', declutter);
    this.map.once('idle', declutter);
  }

  async loadData() {
    try {
      const tiles = this.manifest.tuiles;
      const [cpts, overview] = await Promise.all([
        json(this.manifest.cpts),
        tiles ? json(tiles.apercu) : null,
      ]);
      this.map.getSource('cpts').setData(cpts);
      if (overview) this.map.getSource('apercu').setData(overview);
      if (this.manifest.communes) {
        const [communes, doctors] = await Promise.all([
          json(this.manifest.communes),
          json(this.manifest.medecins),
        ]);
        this.add(communes.features);
        this.add(doctors.features);
        this.refresh();
      } else {
        await this.loadTiles();
      }
      // Ready once the data is drawn: the SVG map gives way to this one.
      this.map.once('idle', () => {
        document.querySelector('.carte-fixe').hidden = true;
        box.dataset.etat = 'pret';
        performance.mark('carte-prete');
      });
    } catch (error) {
      say(`Les données de la carte n'ont pas pu être chargées (${error.message}). La carte simplifiée ci-dessous reste à jour.`);
    }
  }

  add(features) {
    for (const f of features) {
      if (f.geometry.type === 'Point') this.doctors.push(f);
      else this.communes.set(f.properties.code, f);
    }
  }

  refresh() {
    this.map.getSource('communes').setData({ type: 'FeatureCollection', features: [...this.communes.values()] });
    this.map.getSource('medecins').setData({ type: 'FeatureCollection', features: this.doctors });
  }

  /** Large territories: the tiles in view, when together they stay within the budget. */
  async loadTiles() {
    const tiles = this.manifest.tuiles;
    if (!tiles) return;
    if (this.map.getZoom() < tiles.zoom_min) {
      say('Zoomez sur la carte (ou cherchez une commune) pour voir le détail des communes.');
      return;
    }
    const b = this.map.getBounds();
    const [x0, y0] = tileOf(b.getWest(), b.getNorth(), tiles.zoom);
    const [x1, y1] = tileOf(b.getEast(), b.getSouth(), tiles.zoom);
    const wanted = [];
    let bytes = 0;
    for (let x = x0; x <= x1; x += 1) {
      for (let y = y0; y <= y1; y += 1) {
        const key = `${tiles.zoom}/${x}/${y}`;
        if (tiles.tailles[key] !== undefined) {
          bytes += tiles.tailles[key];
          if (!this.loadedTiles.has(key)) wanted.push(key);
        }
      }
    }
    if (bytes > tiles.budget) {
      say('Zoomez encore pour voir le détail des communes.');
      return;
    }
    say('');
    if (wanted.length === 0) return;
    wanted.forEach((key) => this.loadedTiles.add(key));
    const collections = await Promise.all(
      wanted.map((key) => {
        const [z, x, y] = key.split('/');
        return json(tiles.modele.replace('{z}', z).replace('{x}', x).replace('{y}', y));
      }),
    );
    collections.forEach((c) => this.add(c.features));
    this.refresh();
  }

  pick(point, lngLat) {
    const doctor = this.map.queryRenderedFeatures(point, { layers: ['medecins'] })[0];
    if (doctor) {
      this.showDoctor(doctor, lngLat);
      return;
    }
    const commune = this.map.queryRenderedFeatures(point, { layers: ['communes'] })[0];
    if (commune) this.showCommune(commune.properties);
  }

  setFilters(checked) {
    this.checked = checked;
    const any = (table) => (checked.length ? ['any', ...checked.map((c) => table[c])] : null);
    this.map.setFilter('communes', any(COMMUNE_FILTERS));
    this.map.setFilter('medecins', any(DOCTOR_FILTERS));
    const shown = [...this.communes.values()].filter((f) => keeps(f.properties, checked)).length;
    results.textContent = checked.length
      ? `${shown} commune(s) correspondent à ce choix.`
      : 'Toutes les communes sont affichées.';
  }

  /** Next step for a commune: its status, what is known of the doctors near it, then the phone and the form. */
  showCommune(p) {
    const s = statuses[p.statut] ?? {};
    this.map.setFilter('commune-choisie', ['==', ['get', 'code'], p.code]);
    panelTitle.textContent = `${p.nom} (${p.cp})`;
    const facts = FACTS.filter(([key]) => p[key] === true).map(([, text]) => text);
    panelText.replaceChildren(...[
      h('p', { class: 'statut-commune' },
        h('span', { class: `pastille s-${p.statut}`, 'aria-hidden': 'true' }),
        h('span', { class: 'icone', 'aria-hidden': 'true' }, s.icone ?? ''),
        h('strong', {}, s.texte ?? p.statut)),
      facts.length ? h('ul', { class: 'faits' }, facts.map((c) => h('li', {}, c))) : null,
      nextStep(p.code),
      h('p', {}, h('a', { href: p.url }, `Page de ${p.nom}`)),
    ].filter(Boolean));
    panel.hidden = false;
  }

  showDoctor(feature, lngLat) {
    const p = feature.properties;
    const demo = box.dataset.demo ? ' (exemple fictif)' : '';
    const content = h('div', { class: 'popup-medecin' },
      h('p', {}, h('strong', {}, `${p.nom}${demo}`), `, ${p.ville}`),
      h('p', {}, `${p.texte[0].toUpperCase()}${p.texte.slice(1)}.`),
      p.conditions ? h('p', {}, `${p.conditions}.`) : null,
      h('p', { class: 'meta' }, `Mis à jour le ${p.maj}${p.a_confirmer ? ' : information à confirmer' : ''}.`),
      h('p', {}, "Pour devenir son patient, ne l'appelez pas directement : passez par la coordination."),
      nextStep(null),
    );
    new this.ml.Popup({ maxWidth: '20rem', focusAfterOpen: true })
      .setLngLat(feature.geometry.coordinates ?? lngLat)
      .setDOMContent(content)
      .addTo(this.map);
  }

  /** Zooms to a search result and shows its commune. */
  goTo(entry) {
    const [code, name, postcodes, w, s, e, n, status, url] = entry;
    // Close enough to see the commune, and its tile's details on large territories.
    const camera = this.map.cameraForBounds([[w, s], [e, n]], { padding: 40, maxZoom: 12 });
    const detailZoom = this.manifest.tuiles ? this.manifest.tuiles.zoom_min : 0;
    camera.zoom = Math.max(camera.zoom, detailZoom);
    this.map.easeTo({ ...camera, duration: reducedMotion ? 0 : 600 });
    const known = this.communes.get(code);
    this.showCommune(known ? known.properties : { code, nom: name, cp: postcodes, statut: status, url });
    if (!known) {
      this.map.once('idle', () => {
        const later = this.communes.get(code);
        if (later) this.showCommune(later.properties);
      });
    }
  }

  async search(query) {
    const key = searchKey(query);
    if (!key || !this.manifest.recherche_cles.includes(key)) {
      results.textContent = `Aucune commune ne correspond à « ${query} ».`;
      return;
    }
    const entries = await json(`${this.manifest.recherche}${key}.json`);
    const q = slug(query);
    const byPostcode = /^[0-9]/.test(q);
    const matches = entries.filter((entry) => (byPostcode
      ? entry[2].split(', ').some((cp) => cp.startsWith(q))
      : slug(entry[1]).startsWith(q)));
    const exact = matches.filter((entry) => slug(entry[1]) === q || entry[2].split(', ').includes(q));
    const best = exact.length === 1 ? exact : matches;
    if (best.length === 0) {
      results.textContent = `Aucune commune ne correspond à « ${query} ».`;
    } else if (best.length === 1) {
      results.textContent = `${best[0][1]} (${best[0][2]}) : la carte est centrée sur la commune.`;
      this.goTo(best[0]);
    } else {
      results.replaceChildren(
        h('p', {}, `${best.length} communes correspondent :`),
        h('ul', {}, best.slice(0, 12).map((entry) => h('li', {},
          button(`${entry[1]} (${entry[2]})`, () => this.goTo(entry))))),
      );
    }
  }
}

function button(text, onClick) {
  const b = h('button', { type: 'button' }, text);
  b.addEventListener('click', onClick);
  return b;
}

function keeps(p, checked) {
  if (checked.length === 0) return true;
  const has = { maintenant: p.proches === true, plus_tard: p.plus_tard === true, domicile: p.domicile === true, prioritaires: p.prioritaires === true };
  return checked.some((c) => has[c]);
}

/** Phone number and registration form: what to do next, the same everywhere. */
function nextStep(code) {
  const form = code ? `${box.dataset.inscription}?commune=${encodeURIComponent(code)}` : box.dataset.inscription;
  return h('div', { class: 'suite' },
    h('h3', {}, 'Que faire ?'),
    box.dataset.telephone
      ? h('p', {}, 'Appelez le ', h('a', { class: 'phone', href: `tel:${box.dataset.tel}` }, box.dataset.telephone), `, ${box.dataset.horaires}.`)
      : null,
    h('p', {}, 'Ou ', h('a', { href: form }, 'inscrivez-vous en ligne'), ' : la coordination vous proposera un médecin.'),
  );
}

function tileOf(lon, lat, z) {
  const n = 2 ** z;
  const phi = (Math.max(-85, Math.min(85, lat)) * Math.PI) / 180;
  const x = Math.floor(((lon + 180) / 360) * n);
  const y = Math.floor(((1 - Math.log(Math.tan(phi) + 1 / Math.cos(phi)) / Math.PI) / 2) * n);
  return [Math.max(0, Math.min(n - 1, x)), Math.max(0, Math.min(n - 1, y))];
}

function loadStylesheet(href) {
  document.head.append(h('link', { rel: 'stylesheet', href }));
}

async function start() {
  if (!box) return;
  if (!webglWorks()) {
    say("Votre navigateur ne peut pas afficher la carte interactive (WebGL indisponible) : la carte simplifiée ci-dessous donne les mêmes informations.");
    return;
  }
  let maplibregl;
  let manifest;
  try {
    [maplibregl, manifest] = await Promise.all([import(box.dataset.module), json(box.dataset.donnees)]);
  } catch (error) {
    say(`La carte interactive n'a pas pu être chargée (${error.message}) : la carte simplifiée ci-dessous donne les mêmes informations.`);
    return;
  }
  loadStylesheet(box.dataset.css);
  box.hidden = false;
  tools.hidden = false;
  const map = new AvailabilityMap(maplibregl, manifest);
  document.getElementById('carte-recherche').addEventListener('submit', (e) => {
    e.preventDefault();
    map.search(document.getElementById('carte-q').value.trim());
  });
  const boxes = [...document.querySelectorAll('#carte-filtres input[type=checkbox]')];
  for (const input of boxes) {
    input.addEventListener('change', () => map.setFilters(boxes.filter((b) => b.checked).map((b) => b.value)));
  }
}

start();
