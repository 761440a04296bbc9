// The small map of a section on the board: an SVG sketch (no tiles, no
// Leaflet: thirteen of them cost nothing) of the section's line in its
// two sides' colours (outer band: this node's side, centre line: the
// partner's, as on the main map), the boundary around it, the
// neighbouring sections, the latest incidents as dots and the two
// nations' codes on their sides.
import { svg } from '../../core/dom.js';
import { LEVEL_COLOR } from '../../map/symbols.js';

const W = 150;
const H = 110;
const PAD = 0.35;            // margin around the section, share of its size

export function sketch(feature, { boundary = [], neighbours = [], own, partner,
  ownLevel, partnerLevel, points = [], title = '' }) {
  const coords = feature?.geometry?.coordinates || [];
  if (coords.length < 2) return null;
  let w = 180, e = -180, s = 90, n = -90;
  for (const [x, y] of coords) {
    w = Math.min(w, x); e = Math.max(e, x);
    s = Math.min(s, y); n = Math.max(n, y);
  }
  const k = Math.cos(((s + n) / 2) * Math.PI / 180);
  // The box in "metres-like" units (longitude shrunk by cos(lat)),
  // padded, then widened to the drawing's aspect.
  let bw = Math.max((e - w) * k, 0.02), bh = Math.max(n - s, 0.02);
  const cx = (w + e) / 2 * k, cy = (s + n) / 2;
  bw *= 1 + 2 * PAD;
  bh *= 1 + 2 * PAD;
  if (bw / bh > W / H) bh = bw * H / W;
  else bw = bh * W / H;
  const scale = W / bw;
  const px = ([x, y]) => [(x * k - cx) * scale + W / 2, (cy - y) * scale + H / 2];
  const path = (cs) => cs.map((c, i) => {
    const [x, y] = px(c);
    return `${i ? 'L' : 'M'}${x.toFixed(1)} ${y.toFixed(1)}`;
  }).join('');

  const kids = [svg('rect', { x: 0, y: 0, width: W, height: H,
    class: 'sk-bg' })];
  for (const b of boundary) kids.push(svg('path', { d: path(b),
    class: 'sk-boundary' }));
  for (const f of neighbours) {
    const cs = f?.geometry?.coordinates;
    if (cs?.length > 1) kids.push(svg('path', { d: path(cs),
      class: 'sk-neighbour' }));
  }
  const d = path(coords);
  kids.push(svg('path', { d, class: 'sk-outer', stroke:
    LEVEL_COLOR[ownLevel] || LEVEL_COLOR.none }));
  kids.push(svg('path', { d, class: 'sk-inner', stroke:
    LEVEL_COLOR[partnerLevel] || LEVEL_COLOR.none }));
  for (const p of points) {
    const [x, y] = px(p);
    if (x >= 0 && x <= W && y >= 0 && y <= H)
      kids.push(svg('circle', { cx: x.toFixed(1), cy: y.toFixed(1), r: 3,
        class: 'sk-incident' }));
  }
  // The boundary runs from the Mauritania tripoint to the Guinea
  // tripoint with Senegal on its right-hand side (west of the Falémé):
  // each nation's code goes on its side, off the middle of the section.
  const nats = feature.properties?.nations || [];
  if (nats.includes('SN') && nats.includes('ML')) {
    const a = px(coords[0]), b = px(coords[coords.length - 1]);
    const len = Math.hypot(b[0] - a[0], b[1] - a[1]) || 1;
    const nx = -(b[1] - a[1]) / len, ny = (b[0] - a[0]) / len;
    const mid = px(coords[Math.floor(coords.length / 2)]);
    const at = (sign) => [
      Math.min(W - 12, Math.max(12, mid[0] + sign * nx * 26)),
      Math.min(H - 6, Math.max(12, mid[1] + sign * ny * 26))];
    for (const [code, sign] of [['SN', 1], ['ML', -1]]) {
      const [x, y] = at(sign);
      kids.push(svg('text', { x: x.toFixed(1), y: y.toFixed(1),
        class: `sk-nation${code === own ? ' sk-own' : ''}`,
        'text-anchor': 'middle' }, document.createTextNode(code)));
    }
  }
  const el = svg('svg', { viewBox: `0 0 ${W} ${H}`, width: W, height: H,
    class: 'sketch', role: 'img', 'aria-label': title }, ...kids);
  if (partner) el.dataset.partner = partner;
  return el;
}
