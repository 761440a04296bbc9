// The base map, all of it served by the node: Natural Earth countries
// (cut to West Africa at build time), the node's reference layers
// (boundary, border sections coloured by each side's level, posts, HQs,
// stations, the Dakar–Bamako corridor) and, when the node serves one,
// its offline tile archive. No request leaves the node.
import * as L from './leaflet.js';
import { h } from '../core/dom.js';
import { t, text, getLang, nation } from '../core/i18n.js';
import { LEVEL_COLOR } from './symbols.js';

export const HOME = { center: [14.05, -12.05], zoom: 8 };
const PARTNERS = new Set(['SN', 'ML']);

const PLACE_GLYPH = {
  hq: 'M12 2 L14.6 8.6 L21.6 9 L16.2 13.4 L18 20.4 L12 16.6 L6 20.4 L7.8 13.4 L2.4 9 L9.4 8.6 Z',
  border_post: 'M5 5 H19 V19 H5 Z',
  crossing: 'M3 9 H21 V15 H3 Z',
  station: 'M12 3 C12 3 19 11 19 15 A7 7 0 0 1 5 15 C5 11 12 3 12 3 Z',
  capital: 'M12 4 A8 8 0 1 1 11.99 4 Z',
  town: 'M12 7 A5 5 0 1 1 11.99 7 Z',
  tripoint: 'M12 3 L21 20 H3 Z',
};

function placeIcon(kind) {
  const d = PLACE_GLYPH[kind] || PLACE_GLYPH.town;
  return L.divIcon({
    className: `place place-${kind}`,
    html: `<svg viewBox="0 0 24 24" width="16" height="16" aria-hidden="true"><path d="${d}"/></svg>`,
    iconSize: [16, 16],
    iconAnchor: [8, 8],
  });
}

// Tooltip content as text, never as markup (Leaflet takes strings as HTML).
const tip = (fn) => () => h('span', fn());

function placeName(p) {
  return (getLang() === 'en' ? p.name_en : p.name_fr) || p.name_fr ||
    p.name_en || p.id;
}

export function createBaseMap(el, ctx) {
  const map = L.map(el, {
    minZoom: 5,
    maxZoom: 17,
    zoomSnap: 0.5,
    worldCopyJump: false,
    attributionControl: true,
  });
  map.attributionControl.setPrefix('Leaflet');
  map.setView(HOME.center, HOME.zoom);
  L.control.scale({ imperial: false }).addTo(map);
  // Places under the records' markers (600), the records on top.
  for (const [name, z] of [['countries', 210], ['reference', 380],
    ['sections', 390], ['places', 590]]) {
    map.createPane(name).style.zIndex = String(z);
  }
  map.getPane('countries').style.pointerEvents = 'none';

  const overlays = {};
  const own = ctx.node?.nation || 'SN';
  let tiles = null;

  // Countries: the node's own asset (preloaded by index.html).
  const countries = L.geoJSON(null, {
    pane: 'countries',
    interactive: false,
    style: (f) => ({
      color: '#9a927f',
      weight: PARTNERS.has(f.id) ? 1.4 : 0.8,
      fillColor: PARTNERS.has(f.id) ? '#f6f1e4' : '#e6e2d6',
      fillOpacity: 1,
    }),
  }).addTo(map);
  const countriesUrl = document.getElementById('countries')?.href;
  const ready = [];
  if (countriesUrl) {
    ready.push(fetch(countriesUrl, { credentials: 'same-origin' })
      .then((r) => r.json()).then((fc) => countries.addData(fc))
      .catch(() => {}));
  }

  // Offline tiles under everything, when the node serves them.
  if (ctx.node?.tiles?.url) {
    const ti = ctx.node.tiles;
    const opts = {
      minZoom: 0,
      maxZoom: 17,
      minNativeZoom: ti.minzoom,
      maxNativeZoom: ti.maxzoom,
      attribution: ti.attribution ? escapeText(ti.attribution) : '',
    };
    if (Array.isArray(ti.bounds))
      opts.bounds = [[ti.bounds[1], ti.bounds[0]], [ti.bounds[3], ti.bounds[2]]];
    if (ti.format !== 'pbf') {
      tiles = L.tileLayer(ti.url, opts).addTo(map);
      countries.setStyle({ fillOpacity: 0.15 });
      overlays[t('map.layer.tiles', { name: escapeText(ti.name || '') })] = tiles;
    }
  }
  overlays[t('map.layer.countries')] = countries;

  const boundary = L.geoJSON(null, {
    pane: 'reference',
    interactive: false,
    style: { color: '#4a3b2c', weight: 2, dashArray: '7 4', opacity: 0.9 },
  }).addTo(map);
  const corridorLines = L.geoJSON(null, {
    pane: 'reference',
    filter: (f) => f.geometry.type !== 'Point',
    style: (f) => ({
      color: f.properties.route === 'south' ? '#8c5a2b' : '#6b3f16',
      weight: 3,
      opacity: 0.75,
    }),
    onEachFeature: (f, layer) => layer.bindTooltip(tip(() =>
      (getLang() === 'en' ? f.properties.name_en : f.properties.name_fr) || f.id),
    { sticky: true }),
  });
  const kmPosts = L.geoJSON(null, {
    pane: 'reference',
    filter: (f) => f.geometry.type === 'Point',
    pointToLayer: (f, ll) => L.circleMarker(ll, {
      pane: 'reference',
      radius: 2.5,
      color: '#6b3f16',
      weight: 1,
      fillColor: '#fff',
      fillOpacity: 1,
    }),
    onEachFeature: (f, layer) => layer.bindTooltip(tip(() =>
      (getLang() === 'en' ? f.properties.name_en : f.properties.name_fr) || f.id)),
  });
  const corridor = L.layerGroup([corridorLines]).addTo(map);
  const syncKm = () => {
    if (map.getZoom() >= 10 && map.hasLayer(corridor)) kmPosts.addTo(corridor);
    else corridor.removeLayer(kmPosts);
  };
  map.on('zoomend overlayadd overlayremove', syncKm);

  // Border sections: the outer band is this node's nation's side, the
  // inner line the partner's (each side sets its own level).
  const sections = L.layerGroup().addTo(map);
  const sectionLayers = new Map();       // id -> {outer, inner, feature}
  let levels = new Map();                // "SEC-02|SN" -> level
  const levelOf = (id, nat) => levels.get(`${id}|${nat}`) || 'none';
  const sectionTip = (f) => {
    const p = f.properties;
    const name = (getLang() === 'en' ? p.name_en : p.name_fr) || p.id;
    const sides = (p.nations || []).map((n) =>
      t('common.label_value', { label: nation(n),
        value: t(`level.${levelOf(p.id, n)}`) })).join(' · ');
    return `${p.id} ${name} — ${sides}`;
  };
  const partnerOf = (f) => (f.properties.nations || [])
    .find((n) => n !== own) || own;
  const styleSections = () => {
    for (const { outer, inner, feature } of sectionLayers.values()) {
      outer.setStyle({ color: LEVEL_COLOR[levelOf(feature.properties.id, own)] });
      inner.setStyle({ color: LEVEL_COLOR[levelOf(feature.properties.id,
        partnerOf(feature))] });
    }
  };

  const places = L.geoJSON(null, {
    pane: 'places',
    pointToLayer: (f, ll) => L.marker(ll, {
      pane: 'places',
      icon: placeIcon(f.properties.kind),
      keyboard: false,
      title: placeName(f.properties),
    }),
    onEachFeature: (f, layer) => {
      // The two HQs are named on the map; the rest on hover.
      const big = f.properties.kind === 'hq';
      layer.bindTooltip(tip(() => (big ? placeName(f.properties)
        : `${placeName(f.properties)} — ${t(`place.${f.properties.kind}`)}`)), {
        permanent: big,
        direction: 'right',
        offset: [8, 0],
        className: big ? 'place-label' : '',
      });
    },
  }).addTo(map);

  const api = ctx.api;
  const layer = (name) => api.get(`/reference/${name}`).catch(() => null);
  ready.push(Promise.all([layer('boundary'), layer('sections'),
    layer('places'), layer('corridor')]).then(([b, s, p, c]) => {
    if (b) boundary.addData(b);
    if (c) {
      corridorLines.addData(c);
      kmPosts.addData(c);
      syncKm();
    }
    if (p) places.addData(p);
    for (const f of s?.features || []) {
      const ll = f.geometry.coordinates.map(([x, y]) => [y, x]);
      const outer = L.polyline(ll, { pane: 'sections', weight: 10, opacity: 0.85,
        lineCap: 'butt', color: LEVEL_COLOR.none });
      const inner = L.polyline(ll, { pane: 'sections', weight: 4, opacity: 1,
        lineCap: 'butt', color: LEVEL_COLOR.none });
      outer.bindTooltip(tip(() => sectionTip(f)), { sticky: true });
      inner.bindTooltip(tip(() => sectionTip(f)), { sticky: true });
      sections.addLayer(outer);
      sections.addLayer(inner);
      sectionLayers.set(f.properties.id, { outer, inner, feature: f });
    }
    styleSections();
  }));

  overlays[t('map.layer.boundary')] = boundary;
  overlays[t('map.layer.sections')] = sections;
  overlays[t('map.layer.places')] = places;
  overlays[t('map.layer.corridor')] = corridor;
  const control = L.control.layers(null, overlays, { collapsed: true,
    position: 'topright' }).addTo(map);

  return {
    map,
    control,
    ready: Promise.all(ready),
    // levels: Map "SECTION|NATION" -> level (from section.status records).
    setSectionLevels(m) {
      levels = m;
      styleSections();
    },
    sectionCount: () => sectionLayers.size,
  };
}

// Text for Leaflet's attribution, which is markup: escape it.
function escapeText(s) {
  const d = h('div');
  d.textContent = s;
  return d.innerHTML;
}

// Remove a map when its view goes. A zoom animation ends on a timer of
// Leaflet's own (250 ms) that would touch the panes remove() takes away:
// stop what can be stopped, and remove after that timer.
export function destroyMap(map) {
  map.stop();
  setTimeout(() => map.remove(), 300);
}
