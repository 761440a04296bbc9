// The commanders' approvals inbox: the proposed patrols this node's
// nation takes part in and has not answered yet (the patrol's approvals
// per nation), with approve and reject (a reason is required). Each
// nation answers on its own node; the answer reaches the partner by sync.
import { h, clear, toast } from '../../core/dom.js';
import { t, fmtDateTime, nation } from '../../core/i18n.js';
import { approvalsList, awaitsNation, errorText, km, nationsText, patrolHref,
  reasonForm, statusBadge, subnav, typeLabel, windowText } from './common.js';

export function mountInbox(el, ctx) {
  const own = ctx.node.nation;
  let alive = true;
  let seq = 0;
  const cards = new Map();          // patrol id -> {card, fill(p)}
  const list = h('div.pt-inbox');
  const status = h('p.hint', { role: 'status' });
  el.append(h('div.pt-page', h('h1', t('patrols.inbox.title')),
    subnav(ctx, 'inbox'),
    h('p.hint', t('patrols.inbox.intro', { nation: nation(own) })),
    status, list));

  function card(p0) {
    const info = h('div.pt-inbox-info');
    const err = h('p.form-error', { role: 'alert', hidden: true });
    const actions = h('div.buttons');
    const decide = async (action, body) => {
      err.hidden = true;
      for (const b of actions.querySelectorAll('button')) b.disabled = true;
      try {
        const res = await ctx.api.post(`/patrols/${p0.id}/${action}`, body);
        toast(t(`patrols.done.${action}`, { code: res.patrol.code }), 'ok');
        load();
      } catch (ex) {
        err.textContent = errorText(ex);
        err.hidden = false;
        throw ex;
      } finally {
        for (const b of actions.querySelectorAll('button')) b.disabled = false;
      }
    };
    const approve = h('button.primary', { type: 'button',
      dataset: { action: 'approve' },
      onclick: () => decide('approve').catch(() => {}) },
    t('patrols.action.approve'));
    const reject = h('button.danger', { type: 'button',
      dataset: { action: 'reject' }, onclick: () => {
        actions.hidden = true;
        form.hidden = false;
        form.querySelector('textarea').focus();
      } }, t('patrols.action.reject'));
    const form = reasonForm({ action: 'reject',
      label: t('patrols.reason.reject'),
      submitLabel: t('patrols.action.reject_confirm'),
      onSubmit: (reason) => decide('reject', { reason }),
      onCancel: () => {
        form.hidden = true;
        actions.hidden = false;
      } });
    form.hidden = true;
    actions.append(approve, reject);
    const c = h('article.pt-inbox-item.pt-box', { dataset: { id: p0.id } },
      info, actions, form, err);
    const fill = (p) => {
      clear(info,
        h('h2', h('a', { href: patrolHref(p.id) }, p.code), ' ',
          statusBadge(p.status)),
        h('dl.pt-dl',
          h('dt', t('patrols.type')), h('dd', typeLabel(ctx, p.patrol_type)),
          h('dt', t('patrols.window')), h('dd', windowText(p)),
          h('dt', t('patrols.nations')), h('dd', nationsText(p.nations)),
          h('dt', t('patrols.planned_by')), h('dd', p.origin?.name ?
            `${p.origin.name} (${nation(p.origin.nation)})`
            : nation(p.origin?.nation)),
          h('dt', t('patrols.proposed_at')), h('dd', fmtDateTime(p.updated_at)),
          p.objective ? [h('dt', t('patrols.objective')), h('dd', p.objective)]
            : null,
          h('dt', t('patrols.linked_label')), h('dd', t('patrols.linked', {
            units: p.units, legs: p.legs, obs: p.observations })),
          p.geometry?.type === 'LineString' ? [h('dt', t('patrols.route')),
            h('dd', t('patrols.route_points', { n: p.geometry.coordinates.length,
              length: km(lineLength(p.geometry.coordinates)) }))] : null),
        h('h3', t('patrols.approvals')), approvalsList(p));
    };
    fill(p0);
    return { card: c, fill };
  }

  async function load() {
    const my = ++seq;
    try {
      const res = await ctx.api.get(`/patrols?status=proposed&nation=${own}`);
      if (!alive || my !== seq) return;
      const todo = (res.patrols || []).filter((p) => awaitsNation(ctx, p))
        .sort((a, b) => Date.parse(a.window_start) - Date.parse(b.window_start));
      const keep = new Set(todo.map((p) => p.id));
      for (const [id, c] of cards) {
        if (!keep.has(id)) {
          c.card.remove();
          cards.delete(id);
        }
      }
      for (const p of todo) {
        let c = cards.get(p.id);
        if (c) c.fill(p);
        else cards.set(p.id, c = card(p));
        list.append(c.card);
      }
      status.textContent = todo.length ? t('patrols.inbox.count',
        { n: todo.length }) : '';
      list.dataset.count = String(todo.length);
      if (!todo.length) clear(list, h('p.pt-empty', t('patrols.inbox.empty')));
      else list.querySelector('.pt-empty')?.remove();
    } catch (err) {
      if (alive && my === seq) status.textContent = t('patrols.load_error',
        { msg: errorText(err) });
    }
  }

  load();
  const off = ctx.onPatrols(() => load());
  return {
    unmount() {
      alive = false;
      off();
    },
  };
}

// Geodesic enough for a summary line: haversine on a sphere.
function lineLength(coords) {
  const R = 6371008.8;
  const rad = Math.PI / 180;
  let m = 0;
  for (let i = 1; i < coords.length; i++) {
    const [x1, y1] = coords[i - 1];
    const [x2, y2] = coords[i];
    const a = Math.sin((y2 - y1) * rad / 2) ** 2 + Math.cos(y1 * rad) *
      Math.cos(y2 * rad) * Math.sin((x2 - x1) * rad / 2) ** 2;
    m += 2 * R * Math.asin(Math.sqrt(a));
  }
  return m;
}
