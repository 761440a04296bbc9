// The records on the map: points clustered with Supercluster (10,000
// points index in a few tens of milliseconds, and only what is in view
// becomes markers), lines and polygons as vectors. A cluster takes the
// colour of its most urgent record. The map element's data-ready says
// how many records are drawn (tests and the benchmark wait for it).
import Supercluster from 'supercluster';
import * as L from './leaflet.js';
import { PREC_COLOR, PREC_RANK, symbolSvg } from './symbols.js';

const RANK_PREC = ['FLASH', 'IMMEDIATE', 'PRIORITY', 'ROUTINE'];
export const CLUSTER_MAX_ZOOM = 13;

export class RecordsLayer {
  constructor(map, { onSelect, label } = {}) {
    this.map = map;
    this.onSelect = onSelect || (() => {});
    this.label = label || ((f) => f.id);
    this.markers = L.layerGroup();
    this.shapes = L.layerGroup();
    this.group = L.layerGroup([this.markers, this.shapes]).addTo(map);
    this.icons = new Map();
    this.byId = new Map();
    this.selected = null;
    this.count = 0;
    this.index = null;
    this._onMove = () => this.draw();
    map.on('moveend', this._onMove);
  }

  remove() {
    this.map.off('moveend', this._onMove);
    this.group.remove();
  }

  icon(root, prec, incident, selected) {
    const k = `${root}|${prec}|${incident}|${selected}`;
    let i = this.icons.get(k);
    if (!i) {
      const size = selected ? 30 : 22;
      i = L.divIcon({
        className: `rec${selected ? ' rec-selected' : ''}`,
        html: symbolSvg(root, prec, { size, incident }),
        iconSize: [size, size],
        iconAnchor: [size / 2, size / 2],
      });
      this.icons.set(k, i);
    }
    return i;
  }

  clusterIcon(count, rank) {
    const k = `c|${count > 999 ? 'k' : count}|${rank}`;
    let i = this.icons.get(k);
    if (!i) {
      const size = count < 10 ? 30 : count < 100 ? 36 : count < 1000 ? 42 : 48;
      const text = count > 999 ? `${Math.round(count / 100) / 10}k` : String(count);
      i = L.divIcon({
        className: `cluster cluster-${RANK_PREC[rank] || 'ROUTINE'}`,
        html: `<span>${text}</span>`,
        iconSize: [size, size],
        iconAnchor: [size / 2, size / 2],
      });
      this.icons.set(k, i);
    }
    return i;
  }

  // features: what passes the filters. Points are indexed; the others
  // drawn as they are.
  setData(features) {
    const points = [];
    this.byId.clear();
    this.shapes.clearLayers();
    for (const f of features) {
      const g = f.geometry;
      if (!g) continue;
      this.byId.set(f.id, f);
      if (g.type === 'Point') {
        points.push({
          type: 'Feature',
          geometry: g,
          properties: {
            id: f.id,
            r: PREC_RANK[f._prec] ?? 3,
            root: f._root,
            inc: f.properties.kind === 'incident',
          },
        });
      } else {
        const color = PREC_COLOR[f._prec] || PREC_COLOR.ROUTINE;
        const layer = L.geoJSON(g, {
          style: { color, weight: 3, opacity: 0.9, fillOpacity: 0.15 },
        });
        layer.on('click', () => this.onSelect(f.id));
        layer.bindTooltip(() => {
          const s = document.createElement('span');
          s.textContent = this.label(f);
          return s;
        }, { sticky: true });
        this.shapes.addLayer(layer);
      }
    }
    this.index = new Supercluster({
      radius: 56,
      maxZoom: CLUSTER_MAX_ZOOM,
      minPoints: 3,
      map: (p) => ({ r: p.r }),
      reduce: (acc, p) => {
        acc.r = Math.min(acc.r, p.r);
      },
    }).load(points);
    this.count = this.byId.size;
    this.draw();
  }

  select(id) {
    this.selected = id;
    this.draw();
  }

  draw() {
    if (!this.index) return;
    const b = this.map.getBounds().pad(0.25);
    const zoom = Math.floor(this.map.getZoom());
    const items = this.index.getClusters([Math.max(-180, b.getWest()),
      Math.max(-85, b.getSouth()), Math.min(180, b.getEast()),
      Math.min(85, b.getNorth())], zoom);
    const layers = [];
    for (const c of items) {
      const [lon, lat] = c.geometry.coordinates;
      const p = c.properties;
      if (p.cluster) {
        const m = L.marker([lat, lon], {
          icon: this.clusterIcon(p.point_count, p.r),
          keyboard: false,
        });
        m.on('click', () => {
          const z = Math.min(this.index.getClusterExpansionZoom(p.cluster_id),
            CLUSTER_MAX_ZOOM + 1);
          this.map.flyTo([lat, lon], z, { duration: 0.4 });
        });
        layers.push(m);
      } else {
        const f = this.byId.get(p.id);
        const sel = p.id === this.selected;
        const m = L.marker([lat, lon], {
          icon: this.icon(p.root, f?._prec || 'ROUTINE', p.inc, sel),
          title: f ? this.label(f) : '',
          zIndexOffset: sel ? 10000 : (3 - p.r) * 100,
          riseOnHover: true,
        });
        m.on('add', () => {
          const el = m.getElement();
          if (el) el.dataset.id = p.id;
        });
        m.on('click', () => this.onSelect(p.id));
        layers.push(m);
      }
    }
    this.markers.clearLayers();
    for (const l of layers) this.markers.addLayer(l);
    const el = this.map.getContainer();
    el.dataset.ready = String(this.count);
    el.dataset.markers = String(layers.length);
  }
}
