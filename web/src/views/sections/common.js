// What the board and the section page share: the level badge (colour,
// four pips and the word, so that the level never rests on colour
// alone), the order of the sides, the names, and the sections' lines of
// the node's reference (fetched once per visit).
import { h } from '../../core/dom.js';
import { t, getLang, nation, fmtDateTime } from '../../core/i18n.js';

export const LEVELS = ['low', 'medium', 'high', 'critical'];

// The badge of a level (null or unknown: "not set").
export function levelBadge(level, { small = false } = {}) {
  const l = LEVELS.includes(level) ? level : 'none';
  const n = LEVELS.indexOf(l) + 1;
  return h(`span.lvl.lvl-${l}${small ? '.lvl-small' : ''}`,
    { dataset: { level: l } },
    h('span.lvl-pips', { 'aria-hidden': 'true' },
      [1, 2, 3, 4].map((i) => h(i <= n ? 'span.pip.on' : 'span.pip'))),
    h('span.lvl-word', t(`level.${l}`)));
}

// The nations of a section's sides: this node's first, then the others
// (SN and ML always; any other that set a level here).
export function sides(ctx, levels) {
  const own = ctx.node?.nation;
  const others = Object.keys(levels || {}).filter((n) => n !== own).sort();
  return own ? [own, ...others] : others;
}

// The name in the page's language, and the other when it differs.
export function sectionNames(s) {
  const en = getLang() === 'en';
  const main = (en ? s.name_en : s.name_fr) || s.name_fr || s.name_en || s.id;
  const other = (en ? s.name_fr : s.name_en) || '';
  return { main, other: other && other !== main ? other : '' };
}

// "Situation au …; incidents du … au …": the date of the data.
export function dataDate(board) {
  return t('sections.data_date', { at: fmtDateTime(board.at),
    from: fmtDateTime(board.from), days: board.window_days ?? 30,
    km: (board.buffer_m ?? 5000) / 1000 });
}

// One side of a section: badge, reason, since when, by which node.
export function sideBlock(nat, side, own) {
  return h('div.side-level', { dataset: { nation: nat,
    level: side?.level || 'none' } },
  h('div.side-head', h('span.side-nation', nation(nat),
    nat === own ? h('span.hint', ` ${t('sections.this_side')}`) : null),
  levelBadge(side?.level)),
  side ? [
    h('p.side-reason', side.reason || ''),
    h('p.hint', t('sections.set_at', { at: fmtDateTime(side.set_at),
      node: side.node || '—' })),
  ] : h('p.hint', t('sections.no_level')));
}

// The border sections' lines (GeoJSON features by id), once per visit.
let lines = null;
let boundary = null;
export function sectionLines(api) {
  if (!lines) {
    lines = api.get('/reference/sections').then((fc) => new Map(
      (fc?.features || []).map((f) => [f.properties?.id || f.id, f])))
      .catch(() => {
        lines = null;
        return new Map();
      });
  }
  return lines;
}
export function boundaryLine(api) {
  if (!boundary) {
    boundary = api.get('/reference/boundary').then((fc) => {
      const out = [];
      for (const f of fc?.features || []) {
        const g = f.geometry;
        if (g?.type === 'LineString') out.push(g.coordinates);
        else if (g?.type === 'MultiLineString') out.push(...g.coordinates);
      }
      return out;
    }).catch(() => {
      boundary = null;
      return [];
    });
  }
  return boundary;
}
