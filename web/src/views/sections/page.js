// One border section (GET /api/v1/sections/{id}): both sides' current
// levels, a map of it with its latest incidents, the incidents of the
// last 30 days, the full history of both sides' levels; for commanders,
// the form that sets this nation's side (POST .../status).
import { h, clear, toast } from '../../core/dom.js';
import { t, fmtNumber, fmtDateTime, nation } from '../../core/i18n.js';
import { href } from '../../core/router.js';
import * as L from '../../map/leaflet.js';
import { createBaseMap, destroyMap } from '../../map/basemap.js';
import { PREC_COLOR } from '../../map/symbols.js';
import { LEVELS, levelBadge, sides, sectionNames, dataDate, sideBlock }
  from './common.js';
import { incidentItem } from './board.js';

export function mountSection(el, ctx, id, { focusForm = false } = {}) {
  const own = ctx.node?.nation;
  const commander = ctx.can('section');
  const title = h('h1', id);
  const sub = h('p.hint');
  const date = h('p.data-date.hint');
  const status = h('p.form-error', { role: 'alert', hidden: true });
  const levelsBox = h('div.page-sides');
  const formSlot = h('div');
  const incBox = h('div.card-incidents');
  const histBox = h('div.history-box');
  const mapEl = h('div.section-map', { role: 'region',
    'aria-label': t('sections.map') });
  const page = h('div.page.sections-page.section-page',
    { dataset: { id, ready: '0' } },
    h('a.back', { href: href('sections') }, `← ${t('sections.back')}`),
    h('div.page-head', title, date), sub, status,
    h('div.section-top', h('div.section-left', levelsBox, formSlot),
      h('div.section-right', mapEl, h('h2', t('sections.incidents_title')),
        incBox)),
    h('h2', t('sections.history')), histBox);
  el.append(page);

  let alive = true;
  let base = null;
  let markers = null;
  let timer = null;
  let current = null;            // the section as last loaded
  let formDrawn = false;
  let fitted = false;

  async function load() {
    try {
      const [s, board] = await Promise.all([
        ctx.api.get(`/sections/${encodeURIComponent(id)}`),
        ctx.api.get('/sections').catch(() => null),
      ]);
      if (!alive) return;
      current = s;
      status.hidden = true;
      draw(s, board);
      page.dataset.ready = '1';
    } catch (e) {
      if (!alive) return;
      status.textContent = e.status === 404 ? t('sections.not_found', { id })
        : t('sections.load_error', { msg: e.message });
      status.hidden = false;
    }
  }

  function draw(s, board) {
    const names = sectionNames(s);
    title.textContent = `${s.id} · ${names.main}`;
    sub.textContent = [names.other, t('sections.km', {
      from: fmtNumber(s.from_km, { maximumFractionDigits: 1 }),
      to: fmtNumber(s.to_km, { maximumFractionDigits: 1 }),
      km: fmtNumber(s.length_km, { maximumFractionDigits: 1 }) })]
      .filter(Boolean).join(' · ');
    date.textContent = dataDate(s);
    const nats = sides(ctx, s.levels);
    clear(levelsBox, nats.map((n) => sideBlock(n, s.levels[n], own)));
    const inc = s.incidents;
    clear(incBox,
      h('p.inc-count', { dataset: { count: String(inc.count) } }, inc.count
        ? t('sections.incidents', { n: fmtNumber(inc.count) })
        : t('sections.incidents_none')),
      inc.latest.length ? h('ul.inc-list', inc.latest.map((i) =>
        incidentItem(ctx, i))) : null);
    drawHistory(s);
    if (commander && !formDrawn) {
      formDrawn = true;
      formSlot.append(levelForm());
    }
    drawMap(s, board);
  }

  function drawHistory(s) {
    const rows = s.history || [];
    if (!rows.length) {
      clear(histBox, h('p.hint', t('sections.history_none')));
      return;
    }
    clear(histBox, h('table.grid.history-table',
      h('thead', h('tr', [t('sections.h_when'), t('sections.h_side'),
        t('sections.h_level'), t('sections.h_reason'), t('sections.h_node'),
        t('sections.h_audience'), t('sections.h_notices')].map((c) =>
        h('th', { scope: 'col' }, c)))),
      h('tbody', rows.map((r) => h('tr', { dataset: { record: r.record,
        nation: r.nation, level: r.level } },
      h('td.nowrap', fmtDateTime(r.set_at)),
      h('td', nation(r.nation)),
      h('td.nowrap', r.previous ? [levelBadge(r.previous, { small: true }),
        h('span.arrow', { 'aria-label': t('sections.to') }, ' → ')] : null,
      levelBadge(r.level, { small: true })),
      h('td', r.reason),
      h('td', r.node),
      h('td', (r.audience || []).map(nation).join(', ')),
      h('td', r.notices?.length ? t('sections.notices_sent', {
        nations: r.notices.map((n) => nation(n.for_nation)).join(', ') })
        : '—'))))));
  }

  function drawMap(s, board) {
    if (!base) {
      base = createBaseMap(mapEl, ctx);
      markers = L.layerGroup().addTo(base.map);
      requestAnimationFrame(() => base?.map.invalidateSize());
    }
    const levels = new Map();
    for (const x of board?.sections || [s])
      for (const [n, v] of Object.entries(x.levels || {}))
        if (v) levels.set(`${x.id}|${n}`, v.level);
    base.setSectionLevels(levels);
    const cs = s.geometry?.coordinates || [];
    // Fitted once: a reload when records arrive keeps the user's view.
    if (cs.length > 1 && !fitted) {
      fitted = true;
      const b = L.latLngBounds(cs.map(([x, y]) => [y, x]));
      base.map.fitBounds(b.pad(0.25), { animate: false });
    }
    markers.clearLayers();
    for (const i of s.incidents.latest) {
      const put = (f) => {
        if (!alive || f?.geometry?.type !== 'Point') return;
        const [x, y] = f.geometry.coordinates;
        L.circleMarker([y, x], { radius: 7, weight: 2, color: '#1b1b1b',
          fillColor: PREC_COLOR[i.precedence] || PREC_COLOR.ROUTINE,
          fillOpacity: 1 }).bindTooltip(() => h('span',
          `${ctx.model.label(i.category)} — ${fmtDateTime(i.observed_at)}`))
          .on('click', () => {
            location.hash = href('map', { record: i.id });
          }).addTo(markers);
      };
      const f = ctx.records?.get(i.id);
      if (f) put(f);
      else ctx.api.get(`/records/${i.id}`).then(put).catch(() => {});
    }
  }

  // Setting this nation's side: one of the four levels and a reason.
  function levelForm() {
    const cur = () => current?.levels?.[own]?.level || null;
    const note = h('p.notice', { id: 'level-note' });
    const err = h('p.form-error', { role: 'alert', hidden: true });
    const reason = h('textarea', { id: 'level-reason', name: 'reason', rows: 3,
      maxlength: 2000, required: true, 'aria-describedby': 'level-note' });
    const submit = h('button.primary', { type: 'submit' },
      t('sections.set_submit'));
    const choices = h('div.level-choices', { role: 'radiogroup',
      'aria-label': t('sections.level') },
    LEVELS.map((l) => h('label.level-choice', { dataset: { level: l } },
      h('input', { type: 'radio', name: 'level', value: l, required: true,
        checked: l === cur(), onchange: () => syncNote() }),
      levelBadge(l))));
    const partners = () => (current ? sides(ctx, current.levels) : [])
      .filter((n) => n !== own);
    const chosen = () => form.querySelector('input[name=level]:checked')?.value;
    function syncNote() {
      const l = chosen();
      const c = cur();
      const raise = l && LEVELS.indexOf(l) >= 1 &&
        LEVELS.indexOf(l) > LEVELS.indexOf(c);
      note.classList.toggle('notice-raise', !!raise);
      note.textContent = raise
        ? t('sections.will_notify', { nations: partners().map(nation)
          .join(', ') || '—' })
        : t('sections.notify_rule');
    }
    const form = h('form.level-form', { dataset: { section: id },
      onsubmit: async (e) => {
        e.preventDefault();
        err.hidden = true;
        if (!form.reportValidity()) return;
        const text = reason.value.trim();
        if (!text) {
          err.textContent = t('sections.reason_required');
          err.hidden = false;
          reason.focus();
          return;
        }
        submit.disabled = true;
        try {
          const r = await ctx.api.post(`/sections/${encodeURIComponent(id)}/status`,
            { level: chosen(), reason: text });
          reason.value = '';
          toast(r.notices?.length ? t('sections.saved_notified', {
            nations: r.notices.map((n) => nation(n.for_nation)).join(', ') })
            : t('sections.saved'), 'ok', 6000);
          await load();
          for (const i of form.querySelectorAll('input[name=level]'))
            i.checked = i.value === cur();
          syncNote();
        } catch (x) {
          err.textContent = t('sections.save_error', { msg: x.message });
          err.hidden = false;
        } finally {
          submit.disabled = false;
        }
      } },
    h('h2', t('sections.set_title', { nation: nation(own) })),
    h('fieldset', h('legend', t('sections.level')), choices),
    h('label.field', h('span', t('sections.reason'), h('abbr.req', {
      title: t('sections.required') }, ' *')), reason,
    h('span.hint', t('sections.reason_hint'))),
    note, err, h('div.buttons', submit));
    syncNote();
    if (focusForm) requestAnimationFrame(() => {
      form.scrollIntoView({ block: 'start' });
      form.querySelector('input[name=level]:checked, input[name=level]')
        ?.focus();
    });
    return form;
  }

  load();
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
      if (base) destroyMap(base.map);
    },
  };
}
