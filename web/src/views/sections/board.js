// The border sections board: the thirteen sections in order from the
// Mauritania tripoint to the Guinea tripoint (GET /api/v1/sections),
// each with both sides' levels (this node's nation first), the
// incidents of the last 30 days near it, a sketch of it; commanders
// first see the partner's notices. Refreshed when records arrive.
import { h, clear } from '../../core/dom.js';
import { t, fmtNumber, fmtDateTime, nation } from '../../core/i18n.js';
import { href } from '../../core/router.js';
import { symbolEl } from '../../map/symbols.js';
import { sides, sectionNames, dataDate, sideBlock, sectionLines,
  boundaryLine } from './common.js';
import { sketch } from './sketch.js';
import { fetchNotices, noticesPanel, markSeen } from './notices.js';

const LATEST = 3;                // incidents listed per card

export function mountBoard(el, ctx) {
  const commander = ctx.can('section');
  const date = h('p.data-date.hint');
  const notices = h('div.notices-slot');
  const grid = h('ol.board', { 'aria-label': t('sections.board') });
  const status = h('p.form-error', { role: 'alert', hidden: true });
  const page = h('div.page.sections-page', { dataset: { ready: '0' } },
    h('div.page-head', h('h1', t('sections.title')), date),
    h('p.hint', t('sections.legend_sketch', { own: nation(ctx.node?.nation) })),
    status, notices, grid);
  el.append(page);

  let alive = true;
  let timer = null;
  let gen = 0;

  async function load() {
    const g = ++gen;
    try {
      const [board, lines, boundary, list] = await Promise.all([
        ctx.api.get('/sections'),
        sectionLines(ctx.api),
        boundaryLine(ctx.api),
        commander ? fetchNotices(ctx).catch(() => null) : null,
      ]);
      if (!alive || g !== gen) return;
      status.hidden = true;
      date.textContent = dataDate(board);
      if (list) {
        clear(notices, noticesPanel(ctx, list));
        markSeen(ctx, list);
      }
      clear(grid, board.sections.map((s) => card(s, lines, boundary)));
      page.dataset.ready = '1';
      page.dataset.at = board.at;
    } catch (e) {
      if (!alive || g !== gen) return;
      status.textContent = t('sections.load_error', { msg: e.message });
      status.hidden = false;
    }
  }

  function card(s, lines, boundary) {
    const names = sectionNames(s);
    const nats = sides(ctx, s.levels);
    const own = ctx.node?.nation;
    const partner = nats.find((n) => n !== own);
    const f = lines.get(s.id);
    const neighbours = [lines.get(`SEC-${String(s.seq - 1).padStart(2, '0')}`),
      lines.get(`SEC-${String(s.seq + 1).padStart(2, '0')}`)].filter(Boolean);
    const points = s.incidents.latest.map((i) => ctx.records?.get(i.id))
      .filter((r) => r?.geometry?.type === 'Point')
      .map((r) => r.geometry.coordinates);
    const inc = s.incidents;
    const link = href('sections', { id: s.id });
    return h('li.section-card', { dataset: { id: s.id,
      own: s.levels[own]?.level || 'none',
      partner: (partner && s.levels[partner]?.level) || 'none' } },
    h('div.card-head',
      h('a.card-title', { href: link },
        h('span.sec-id', s.id), ' ', h('span.sec-name', names.main)),
      names.other ? h('span.hint.sec-other', names.other) : null,
      h('span.hint.sec-len', t('sections.length', {
        km: fmtNumber(s.length_km, { maximumFractionDigits: 1 }) }))),
    h('div.card-body',
      h('div.card-sides', nats.map((n) => sideBlock(n, s.levels[n], own))),
      f ? h('a.card-map', { href: link, 'aria-label': t('sections.open', {
        id: s.id }) }, sketch(f, { boundary, neighbours, own, partner,
        ownLevel: s.levels[own]?.level, partnerLevel: partner &&
          s.levels[partner]?.level, points,
        title: t('sections.sketch_title', { id: s.id, name: names.main }) }))
        : null),
    h('div.card-incidents', { dataset: { count: String(inc.count) } },
      h('p.inc-count', inc.count
        ? t('sections.incidents', { n: fmtNumber(inc.count) })
        : t('sections.incidents_none')),
      inc.latest.length ? h('ul.inc-list', inc.latest.slice(0, LATEST)
        .map((i) => incidentItem(ctx, i))) : null),
    h('div.card-foot',
      h('a', { href: link }, t('sections.details')),
      commander ? h('a.button-link', { href: href('sections', { id: s.id,
        set: '1' }), dataset: { action: 'set-level' } },
      t('sections.set_level_short')) : null));
  }

  load();
  // Records that arrive (a level, a notice, an incident): the board
  // again, once they have settled.
  const off = ctx.events?.on((type) => {
    if (type !== 'records' && type !== 'reset') return;
    clearTimeout(timer);
    timer = setTimeout(load, 1500);
  });

  return {
    unmount() {
      alive = false;
      clearTimeout(timer);
      if (off) off();
    },
  };
}

// One incident: its symbol, category, time, the nation that signed it;
// a link to its detail on the map.
export function incidentItem(ctx, i) {
  const root = ctx.model.root(i.category);
  return h('li.inc', { dataset: { id: i.id } },
    symbolEl(root, i.precedence, { size: 14, incident: true }), ' ',
    h('a', { href: href('map', { record: i.id }) },
      h('span.inc-cat', ctx.model.label(i.category))),
    h('span.hint', ` ${fmtDateTime(i.observed_at)} · ${nation(i.nation)}`));
}
