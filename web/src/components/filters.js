// The filters of the map view: categories (the model's first two
// levels), precedence, audience, patrol and patrol status, free text;
// and the legend. The state lives in ctx.mapState, so that it survives
// a visit to another view.
import { h, clear } from '../core/dom.js';
import { t, text, nation } from '../core/i18n.js';
import { PRECEDENCES } from '../core/model.js';
import { symbolEl, LEVEL_COLOR, LEVELS } from '../map/symbols.js';

export const PATROL_STATUSES = ['draft', 'proposed', 'approved', 'rejected',
  'underway', 'completed', 'aborted'];

export function defaultState() {
  return {
    excluded: new Set(),
    precs: new Set(PRECEDENCES),
    audience: 'all',
    patrol: 'all',
    pstatus: 'all',
    q: '',
    win: null,
    preset: '30d',
    follow: true,
  };
}

// Does f pass every filter but time?
export function passes(f, s, ctx) {
  if (s.excluded.size) {
    if (s.excluded.has(f._root)) return false;
    const d1 = ctx.model.atDepth(f._cat, 1);
    if (d1 && s.excluded.has(d1.id)) return false;
  }
  if (!s.precs.has(f._prec)) return false;
  const p = f.properties;
  if (s.audience !== 'all') {
    const n = (p.audience || []).length;
    if (s.audience === 'national' ? n !== 1 : s.audience === 'shared'
      ? n < 2 : f._aud !== s.audience) return false;
  }
  if (s.patrol !== 'all') {
    if (s.patrol === 'any' ? !p.patrol : s.patrol === 'none' ? p.patrol
      : p.patrol !== s.patrol) return false;
  }
  if (s.pstatus !== 'all') {
    const st = p.patrol ? ctx.patrols?.get(p.patrol)?.status : null;
    if (st !== s.pstatus) return false;
  }
  if (s.q) {
    let hay = f._hay;
    if (hay === undefined) {
      hay = [ctx.model.path(f._cat), p.origin?.name || '', f.id,
        ...Object.values(p.attributes || {}).map((v) =>
          (Array.isArray(v) ? v.join(' ') : String(v)))].join(' ').toLowerCase();
      f._hay = hay;
    }
    if (!s.q.toLowerCase().split(/\s+/).every((w) => hay.includes(w)))
      return false;
  }
  return true;
}

export class Filters {
  constructor(el, ctx, state, onChange) {
    this.el = el;
    this.ctx = ctx;
    this.s = state;
    this.onChange = onChange;
    this.countEls = new Map();
    this.build();
  }

  changed() {
    this.onChange();
  }

  build() {
    const { model } = this.ctx;
    const s = this.s;
    const search = h('input.search', { type: 'search', value: s.q,
      placeholder: t('filters.search'), 'aria-label': t('filters.search'),
      oninput: (e) => {
        s.q = e.target.value.trim();
        clearTimeout(this._qt);
        this._qt = setTimeout(() => this.changed(), 200);
      } });
    const cats = model.roots.map((root) => {
      const box = (c, cls) => {
        const input = h('input', { type: 'checkbox', checked: !s.excluded.has(c.id),
          dataset: { cat: c.id },
          onchange: (e) => {
            if (e.target.checked) s.excluded.delete(c.id);
            else s.excluded.add(c.id);
            this.changed();
          } });
        const count = h('span.count');
        this.countEls.set(c.id, count);
        return h(`label.${cls}`, input, ' ', symbolEl(root.id, 'ROUTINE',
          { size: 14 }), ' ', text(c.label), ' ', count);
      };
      return h('details.cat', h('summary', box(root, 'cat-root')),
        h('div.cat-children', root.children.map((c) => box(c, 'cat-child'))));
    });
    const precs = PRECEDENCES.map((p) => h('label.prec-box',
      h('input', { type: 'checkbox', checked: s.precs.has(p), dataset: { prec: p },
        onchange: (e) => {
          if (e.target.checked) s.precs.add(p);
          else s.precs.delete(p);
          this.changed();
        } }), ' ', h('span.prec', { class: `prec-${p}` }, t(`precedence.${p}`))));
    this.audience = h('select', { 'aria-label': t('filters.audience'),
      onchange: (e) => {
        s.audience = e.target.value;
        this.changed();
      } });
    this.patrol = h('select', { 'aria-label': t('filters.patrol'),
      onchange: (e) => {
        s.patrol = e.target.value;
        this.changed();
      } });
    const pstatus = h('select', { 'aria-label': t('filters.patrol_status'),
      onchange: (e) => {
        s.pstatus = e.target.value;
        this.changed();
      } },
    h('option', { value: 'all' }, t('filters.all')),
    PATROL_STATUSES.map((st) => h('option', { value: st, selected: s.pstatus === st },
      t(`patrol.status.${st}`))));
    const reset = h('button.link', { type: 'button', onclick: () => {
      Object.assign(s, { ...defaultState(), win: s.win, preset: s.preset,
        follow: s.follow });
      clear(this.el);
      this.countEls.clear();
      this.build();
      this.changed();
    } }, t('filters.reset'));
    clear(this.el,
      h('h2.side-title', t('filters.title')),
      search,
      h('h3', t('filters.categories')), cats,
      h('h3', t('filters.precedence')), h('div.precs', precs),
      h('label.field', t('filters.audience'), this.audience),
      h('label.field', t('filters.patrol'), this.patrol),
      h('label.field', t('filters.patrol_status'), pstatus),
      reset,
      this.legend());
    this.options([]);
  }

  // The audience and patrol choices, from what is loaded.
  options(features) {
    const s = this.s;
    const auds = [...new Set(features.map((f) => f._aud))].filter(Boolean).sort();
    clear(this.audience,
      h('option', { value: 'all' }, t('filters.all')),
      h('option', { value: 'national', selected: s.audience === 'national' },
        t('filters.audience_national')),
      h('option', { value: 'shared', selected: s.audience === 'shared' },
        t('filters.audience_shared')),
      auds.map((a) => h('option', { value: a, selected: s.audience === a },
        a.split(',').map(nation).join(', '))));
    const patrols = [...(this.ctx.patrols?.values() || [])]
      .sort((a, b) => String(a.code).localeCompare(String(b.code)));
    clear(this.patrol,
      h('option', { value: 'all' }, t('filters.all')),
      h('option', { value: 'any', selected: s.patrol === 'any' }, t('filters.patrol_any')),
      h('option', { value: 'none', selected: s.patrol === 'none' }, t('filters.patrol_none')),
      patrols.map((p) => h('option', { value: p.id, selected: s.patrol === p.id },
        `${p.code} (${t(`patrol.status.${p.status}`)})`)));
  }

  // Counts by category of what is in the window (other filters aside).
  counts(features) {
    const n = new Map();
    for (const f of features) {
      n.set(f._root, (n.get(f._root) || 0) + 1);
      const d1 = this.ctx.model.atDepth(f._cat, 1);
      if (d1) n.set(d1.id, (n.get(d1.id) || 0) + 1);
    }
    for (const [id, el] of this.countEls) el.textContent = `(${n.get(id) || 0})`;
  }

  legend() {
    const { model } = this.ctx;
    return h('details.legend', { open: true }, h('summary', t('legend.title')),
      h('ul.legend-list',
        model.roots.map((r) => h('li', symbolEl(r.id, 'ROUTINE', { size: 14 }),
          ' ', text(r.label))),
        h('li', symbolEl('security', 'ROUTINE', { size: 14, incident: true }), ' ',
          t('legend.incident'))),
      h('ul.legend-list', ['FLASH', 'IMMEDIATE', 'PRIORITY', 'ROUTINE'].map((p) =>
        h('li', h('span.swatch', { class: `bg-${p}` }), ' ', t(`precedence.${p}`)))),
      h('p.legend-sub', t('legend.sections', { own: nation(this.ctx.node?.nation) })),
      h('ul.legend-list', [...LEVELS, 'none'].map((l) =>
        h('li', h('span.swatch', { class: `lv-${l}`, title: LEVEL_COLOR[l] }), ' ',
          t(`level.${l}`)))));
  }
}
