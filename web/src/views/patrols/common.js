// What the patrol views share: the status badge and colours, the
// patrol's labels from the model, distances and durations, UTC inputs,
// the plan drawn on a map, the sub-navigation, and which decisions the
// role and the status allow (docs/patrols.md: the node checks them all
// again).
import { h } from '../../core/dom.js';
import { t, fmtDateTime, fmtNumber, nation } from '../../core/i18n.js';
import { href } from '../../core/router.js';
import { valueLabel } from '../../core/model.js';
import * as L from '../../map/leaflet.js';

export const STATUSES = ['draft', 'proposed', 'approved', 'rejected',
  'underway', 'completed', 'aborted'];

// The nations' tracks and handover points (flags' main colours, apart
// from the precedence colours of the records).
export const NATION_COLOR = { SN: '#13804a', ML: '#b8650a', MR: '#2a6fb0',
  GN: '#7a3db8' };
export const PLAN_COLOR = '#1d3b53';
export const DAY = 86400000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export const isId = (s) => UUID.test(s || '');
export const patrolHref = (id) => href(`patrols/${id}`);

export function statusBadge(status) {
  return h(`span.pt-status.pt-st-${status}`, { dataset: { status } },
    t(`patrol.status.${status}`));
}

// The model's attribute of patrol.plan (labels of types and nations).
export const planAttr = (ctx, key) => ctx.model.attribute('patrol.plan', key);

export function typeLabel(ctx, type) {
  return valueLabel(planAttr(ctx, 'patrol_type'), type);
}

// The nations a plan may name, from the model (SN, ML, MR, GN).
export function planNations(ctx) {
  const a = planAttr(ctx, 'nations');
  return (a?.values || []).map((v) => v.id);
}

export const nationsText = (list) => (list || []).map(nation).join(', ');

export function windowText(p) {
  return t('patrols.window_text', { start: fmtDateTime(p.window_start),
    end: fmtDateTime(p.window_end) });
}

export function km(m) {
  return t('patrols.km', { n: fmtNumber((m || 0) / 1000,
    { maximumFractionDigits: 1 }) });
}

export function metres(m) {
  return t('patrols.m', { n: fmtNumber(Math.round(m || 0)) });
}

export function duration(s) {
  const min = Math.round((s || 0) / 60);
  const hh = Math.floor(min / 60);
  return hh ? t('patrols.duration_hm', { h: hh, m: String(min % 60)
    .padStart(2, '0') }) : t('patrols.duration_m', { m: min });
}

// "2025-02-20T08:00" of a time, for a datetime-local input read as UTC.
export function inputValue(ms) {
  return new Date(ms).toISOString().slice(0, 16);
}

// The RFC 3339 UTC time of a datetime-local value, or '' when empty.
export function fromInput(v) {
  if (!v) return '';
  return `${v.length === 16 ? `${v}:00` : v}Z`;
}

// Does this node's nation still have to answer the proposal?
export function awaitsNation(ctx, p) {
  const own = ctx.node?.nation;
  return p.status === 'proposed' && (p.nations || []).includes(own) &&
    !p.approvals?.[own]?.approved && !p.approvals?.[own]?.rejected;
}

// What the role may do to this patrol in its status, on this node.
export function allowed(ctx, p) {
  const own = ctx.node?.nation;
  const part = (p.nations || []).includes(own);
  const s = p.status;
  const create = part && ctx.can('create');
  return {
    propose: create && s === 'draft',
    approve: part && ctx.can('approve') && awaitsNation(ctx, p),
    start: create && s === 'approved',
    complete: create && s === 'underway',
    abort: create && (s === 'approved' || s === 'underway'),
    plan: create && !['completed', 'aborted', 'rejected'].includes(s),
    // A new version of the plan: only from the node that planned it,
    // until the patrol sets out (the answer to a rejection).
    amend: create && p.origin?.node === ctx.node?.node &&
      ['draft', 'proposed', 'approved', 'rejected'].includes(s),
    track: create && ['underway', 'completed', 'aborted'].includes(s),
    debrief: create && ['underway', 'completed', 'aborted'].includes(s),
    export: ctx.can('export'),
  };
}

// The links under the page title: calendar, list, approvals, plan.
export function subnav(ctx, active) {
  const items = [
    ['calendar', href('patrols'), t('patrols.tab.calendar')],
    ['list', href('patrols', { tab: 'list' }), t('patrols.tab.list')],
    ctx.can('approve') ? ['inbox', href('patrols/inbox'),
      t('patrols.tab.inbox')] : null,
    ctx.can('create') ? ['new', href('patrols/new'), t('patrols.tab.new')]
      : null,
  ].filter(Boolean);
  const nav = h('nav.pt-tabs', { 'aria-label': t('patrols.tabs') },
    items.map(([id, link, label]) => h('a', { href: link, dataset: { tab: id },
      class: id === active ? 'active' : null,
      'aria-current': id === active ? 'page' : null }, label)));
  if (ctx.can('approve')) {
    const n = [...ctx.patrols.values()].filter((p) => awaitsNation(ctx, p))
      .length;
    if (n) nav.querySelector('[data-tab=inbox]').append(' ',
      h('span.pt-count', String(n)));
  }
  return nav;
}

const toLatLngs = (ring) => ring.map(([x, y]) => [y, x]);

// The planned route (dashed line) or area (outlined polygon).
export function planLayer(geom, opts = {}) {
  if (!geom) return null;
  const style = { color: PLAN_COLOR, weight: 4, opacity: 0.9,
    dashArray: '9 6', ...opts };
  if (geom.type === 'LineString')
    return L.polyline(toLatLngs(geom.coordinates), style);
  if (geom.type === 'Polygon')
    return L.polygon(geom.coordinates.map(toLatLngs), { ...style, weight: 3,
      fillColor: PLAN_COLOR, fillOpacity: 0.1 });
  return null;
}

// A handover point: the leg's order in a circle of its lead nation.
export function legMarker(leg) {
  const [x, y] = leg.geometry.coordinates;
  // The label is an element: Leaflet would take a string as markup.
  const m = L.marker([y, x], {
    icon: L.divIcon({ className: `pt-leg pt-leg-${leg.lead_nation}`,
      html: h('span', String(leg.seq)), iconSize: [22, 22],
      iconAnchor: [11, 11] }),
    keyboard: false,
  });
  m.bindTooltip(() => h('span', t('patrols.leg_tip', { seq: leg.seq,
    nation: nation(leg.lead_nation) })));
  return m;
}

// The text of an API error, for a person.
export function errorText(err) {
  if (err?.status === 0) return t('common.offline');
  return err?.message || String(err);
}

// A form asking for a reason (reject, abort): onSubmit(reason) returns
// a promise; the form stays until it resolves.
export function reasonForm({ action, label, submitLabel, onSubmit, onCancel }) {
  const input = h('textarea', { name: 'reason', rows: 2, maxlength: 1000,
    required: true, dataset: { reason: action } });
  const err = h('p.form-error', { role: 'alert', hidden: true });
  const submit = h('button.danger', { type: 'submit' }, submitLabel);
  const form = h('form.pt-reason', { dataset: { action } },
    h('label.field', label, input, h('span.hint', t('patrols.reason_hint'))),
    err, h('div.buttons', submit, h('button', { type: 'button',
      onclick: () => onCancel() }, t('common.cancel'))));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const reason = input.value.trim();
    if (!reason) {
      err.textContent = t('patrols.reason_required');
      err.hidden = false;
      return;
    }
    submit.disabled = true;
    try {
      await onSubmit(reason);
    } catch (ex) {
      err.textContent = errorText(ex);
      err.hidden = false;
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}

// The approvals of the current plan version, one line per nation.
export function approvalsList(p) {
  return h('ul.pt-approvals', (p.nations || []).map((n) => {
    const a = p.approvals?.[n] || {};
    const state = a.rejected ? 'rejected' : a.approved ? 'approved'
      : 'pending';
    const what = a.rejected
      ? t('patrols.approval.rejected', { at: fmtDateTime(a.rejected_at) })
      : a.approved ? t('patrols.approval.approved', { at: fmtDateTime(a.at) })
        : t('patrols.approval.pending');
    return h('li', { dataset: { nation: n, state } },
      h(`span.pt-mark.pt-mark-${state}`, { 'aria-hidden': 'true' },
        state === 'approved' ? '✓' : state === 'rejected' ? '✗' : '…'), ' ',
      h('strong', nation(n)), ' ', what,
      a.rejected && a.reason ? h('span.pt-reason-text', ` — ${a.reason}`)
        : null);
  }));
}
