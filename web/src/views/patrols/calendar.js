// The patrols' calendar (a month or a week of patrol windows, coloured
// by status, in UTC) and list, with the same filters: status, border
// section (the node's calendar by section), nation and, for the list,
// a period. Filters live in the address (#/patrols?tab=list&status=...),
// replaced without a reload, so that a view can be bookmarked.
import { h, clear } from '../../core/dom.js';
import { t, fmtDate, fmtDateTime, fmtParts, fmtTime, getLang, nation }
  from '../../core/i18n.js';
import { href } from '../../core/router.js';
import { DAY, STATUSES, errorText, nationsText, patrolHref, planNations,
  statusBadge, subnav, typeLabel, windowText } from './common.js';

const ymd = (ms) => new Date(ms).toISOString().slice(0, 10);
const dayStart = (ms) => ms - (((ms % DAY) + DAY) % DAY);
// Monday of the week of ms (UTC).
const monday = (ms) => {
  const d = dayStart(ms);
  return d - ((new Date(d).getUTCDay() + 6) % 7) * DAY;
};
const overlaps = (p, a, b) => Date.parse(p.window_start) < b &&
  Date.parse(p.window_end) > a;

export function mountIndex(el, ctx, params) {
  const tab = params.tab === 'list' ? 'list' : 'calendar';
  const today = dayStart(Date.now());
  const state = {
    status: STATUSES.includes(params.status) ? params.status : '',
    section: params.section || '',
    nation: params.nation || '',
    from: params.from || '',
    to: params.to || '',
    cal: params.cal === 'week' ? 'week' : 'month',
    date: /^\d{4}-\d{2}-\d{2}$/.test(params.date || '') ? params.date
      : ymd(today),
  };
  let alive = true;
  let patrols = null;            // the API's answer for the filters
  let error = null;
  let seq = 0;

  const body = h('div.pt-body');
  const status = h('p.hint', { role: 'status' });
  const sectionSel = h('select', { id: 'pt-f-section', name: 'section' },
    h('option', { value: '' }, t('patrols.filter.all_sections')));
  const filters = h('form.pt-filters', { role: 'search',
    onsubmit: (e) => e.preventDefault() },
  h('label', t('patrols.filter.status'), h('select', { id: 'pt-f-status',
    name: 'status', onchange: (e) => set({ status: e.target.value }, true) },
  h('option', { value: '' }, t('patrols.filter.all_statuses')),
  STATUSES.map((s) => h('option', { value: s, selected: s === state.status },
    t(`patrol.status.${s}`))))),
  h('label', t('patrols.filter.section'), sectionSel),
  h('label', t('patrols.filter.nation'), h('select', { id: 'pt-f-nation',
    name: 'nation', onchange: (e) => set({ nation: e.target.value }, true) },
  h('option', { value: '' }, t('patrols.filter.all_nations')),
  planNations(ctx).map((n) => h('option', { value: n,
    selected: n === state.nation }, nation(n))))),
  tab === 'list' ? [
    h('label', t('patrols.filter.from'), h('input', { id: 'pt-f-from',
      type: 'date', value: state.from,
      onchange: (e) => set({ from: e.target.value }) })),
    h('label', t('patrols.filter.to'), h('input', { id: 'pt-f-to',
      type: 'date', value: state.to,
      onchange: (e) => set({ to: e.target.value }) })),
  ] : null);
  sectionSel.addEventListener('change', (e) => set({ section: e.target.value },
    true));

  el.append(h('div.pt-page', { dataset: { tab } },
    h('h1', t('patrols.title')), subnav(ctx, tab), filters, status, body));

  // The sections of the node's reference layer, for the filter.
  ctx.api.get('/reference/sections').then((fc) => {
    if (!alive) return;
    for (const f of fc.features || []) {
      const p = f.properties;
      const name = (getLang() === 'en' ? p.name_en : p.name_fr) || '';
      sectionSel.append(h('option', { value: p.id,
        selected: p.id === state.section }, `${p.id} ${name}`));
    }
  }).catch(() => {});

  function address() {
    const q = { tab: tab === 'list' ? 'list' : undefined,
      status: state.status, section: state.section, nation: state.nation };
    if (tab === 'list') Object.assign(q, { from: state.from, to: state.to });
    else Object.assign(q, { cal: state.cal === 'week' ? 'week' : undefined,
      date: state.date === ymd(today) ? undefined : state.date });
    history.replaceState(null, '', href('patrols', q));
  }

  function set(patch, reload = false) {
    Object.assign(state, patch);
    address();
    if (reload) load();
    else render();
  }

  async function load() {
    const my = ++seq;
    const q = new URLSearchParams();
    for (const k of ['status', 'section', 'nation'])
      if (state[k]) q.set(k, state[k]);
    status.textContent = t('patrols.loading');
    try {
      const qs = q.toString();
      const res = await ctx.api.get(`/patrols${qs ? `?${qs}` : ''}`);
      if (!alive || my !== seq) return;
      patrols = res.patrols || [];
      error = null;
    } catch (err) {
      if (!alive || my !== seq) return;
      error = err;
    }
    render();
  }

  function render() {
    if (error) {
      status.textContent = t('patrols.load_error', { msg: errorText(error) });
      return;
    }
    if (!patrols) return;
    status.textContent = '';
    if (tab === 'list') renderList();
    else renderCalendar();
  }

  // The list: the windows that meet the period, newest start first.
  function renderList() {
    const a = state.from ? Date.parse(`${state.from}T00:00:00Z`) : -Infinity;
    const b = state.to ? Date.parse(`${state.to}T00:00:00Z`) + DAY : Infinity;
    const rows = patrols.filter((p) => overlaps(p, a, b));
    status.textContent = t('patrols.count', { n: rows.length });
    if (!rows.length) {
      clear(body, h('p.pt-empty', t('patrols.none')));
      return;
    }
    clear(body, h('table.pt-table',
      h('thead', h('tr', ['code', 'type', 'window', 'nations', 'status',
        'approvals', 'linked'].map((k) => h('th', { scope: 'col' },
        t(`patrols.col.${k}`))))),
      h('tbody', rows.map((p) => h('tr', { dataset: { id: p.id,
        status: p.status } },
      h('td', h('a', { href: patrolHref(p.id) }, p.code)),
      h('td', typeLabel(ctx, p.patrol_type)),
      h('td', windowText(p)),
      h('td', nationsText(p.nations)),
      h('td', statusBadge(p.status)),
      h('td', (p.nations || []).map((n) => {
        const ap = p.approvals?.[n] || {};
        const st = ap.rejected ? 'rejected' : ap.approved ? 'approved'
          : 'pending';
        return h(`span.pt-ap.pt-ap-${st}`, { title: t(`patrols.approval_short.${
          st}`, { nation: nation(n) }) }, n);
      })),
      h('td.pt-linked', t('patrols.linked', { units: p.units, legs: p.legs,
        obs: p.observations })))))));
  }

  function chip(p, extra) {
    return h(`a.pt-chip.pt-st-${p.status}`, { href: patrolHref(p.id),
      title: `${p.code} · ${t(`patrol.status.${p.status}`)} · ${windowText(p)}`,
      dataset: { id: p.id } }, h('strong', p.code), extra ? ` ${extra}` : null);
  }

  function renderCalendar() {
    const anchor = Date.parse(`${state.date}T00:00:00Z`) || today;
    const d = new Date(anchor);
    let start, end, title;
    if (state.cal === 'week') {
      start = monday(anchor);
      end = start + 7 * DAY;
      title = t('patrols.cal.week_of', { date: fmtDate(start) });
    } else {
      const first = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
      const next = Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
      start = monday(first);
      end = monday(next - DAY) + 7 * DAY;
      title = fmtParts(first, { month: 'long', year: 'numeric' });
    }
    const step = (k) => {
      const x = state.cal === 'week' ? anchor + k * 7 * DAY
        : Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + k, 1);
      set({ date: ymd(x) });
    };
    const shown = patrols.filter((p) => overlaps(p, start, end));
    const bar = h('div.pt-calbar',
      h('button', { type: 'button', id: 'pt-cal-prev', onclick: () => step(-1),
        'aria-label': t('patrols.cal.prev') }, '‹'),
      h('button', { type: 'button', onclick: () => set({ date: ymd(today) }) },
        t('patrols.cal.today')),
      h('button', { type: 'button', id: 'pt-cal-next', onclick: () => step(1),
        'aria-label': t('patrols.cal.next') }, '›'),
      h('h2.pt-caltitle', title),
      h('div.pt-mode', { role: 'group' }, ['month', 'week'].map((m) =>
        h('button', { type: 'button', 'aria-pressed': String(state.cal === m),
          onclick: () => set({ cal: m }) }, t(`patrols.cal.${m}`)))));
    const days = [];
    for (let x = start; x < end; x += DAY) days.push(x);
    const heads = days.slice(0, 7).map((x) => h('div.pt-dow',
      fmtParts(x, { weekday: 'short' })));
    const cells = days.map((x) => {
      const here = shown.filter((p) => overlaps(p, x, x + DAY));
      const out = state.cal === 'month' &&
        new Date(x).getUTCMonth() !== d.getUTCMonth();
      const cls = ['pt-day', out ? 'pt-out' : '', x === today ? 'pt-today' : '']
        .filter(Boolean).join(' ');
      if (state.cal === 'week') {
        return h('div', { class: cls, dataset: { day: ymd(x) } },
          h('div.pt-daynum', fmtParts(x, { weekday: 'short', day: 'numeric',
            month: 'short' })),
          here.map((p) => {
            const a = Math.max(Date.parse(p.window_start), x);
            const b = Math.min(Date.parse(p.window_end), x + DAY);
            return chip(p, `${fmtTime(a)}–${b === x + DAY ? '24:00'
              : fmtTime(b)}`);
          }));
      }
      const max = 4;
      return h('div', { class: cls, dataset: { day: ymd(x) } },
        h('div.pt-daynum', String(new Date(x).getUTCDate())),
        here.slice(0, max).map((p) => chip(p)),
        here.length > max ? h('div.pt-more', t('patrols.cal.more',
          { n: here.length - max })) : null);
    });
    const grid = h(`div.pt-cal.pt-cal-${state.cal}`, { dataset: {
      from: ymd(start), count: String(shown.length) } }, heads, cells);
    // Nothing in view: where the nearest patrols are.
    let hint = null;
    if (!shown.length && patrols.length) {
      const near = [...patrols].sort((p, q) =>
        Math.abs(Date.parse(p.window_start) - anchor) -
        Math.abs(Date.parse(q.window_start) - anchor))[0];
      hint = h('p.hint', t('patrols.cal.nothing'), ' ',
        h('button.link', { type: 'button', onclick: () => set({
          date: ymd(Date.parse(near.window_start)) }) },
        t('patrols.cal.go_to', { code: near.code,
          date: fmtDateTime(near.window_start) })));
    }
    const legend = h('ul.pt-legend', STATUSES.map((s) => h('li',
      statusBadge(s))));
    clear(body, bar, hint, grid, legend);
  }

  load();
  const offPatrols = ctx.onPatrols(() => load());
  return {
    unmount() {
      alive = false;
      offPatrols();
    },
  };
}
