// A record in full: attributes with labels and units, MGRS and decimal
// coordinates, audience, origin node, the history of its versions
// (GET /api/v1/records/{id} with "history"), and what the role may do.
import { h, clear, toast } from '../core/dom.js';
import { t, text, fmtDateTime, nation } from '../core/i18n.js';
import { spaceMgrs, toMgrs, fmtLatLon } from '../core/geo.js';
import { go } from '../core/router.js';
import { symbolEl } from '../map/symbols.js';
import { attrValue, audienceText } from './format.js';

function row(label, ...value) {
  return [h('dt', label), h('dd', ...value)];
}

export function renderDetail(el, ctx, f, { onBack, onSelect }) {
  const { model } = ctx;
  const p = f.properties || {};
  const cat = model.get(p.category);
  const prec = p.precedence || 'ROUTINE';
  const root = model.root(p.category);
  const history = h('ol.history');
  const actions = h('div.detail-actions');
  const body = h('dl.detail-list');

  const fill = (feat) => {
    const q = feat.properties;
    const attrs = cat ? cat.attributes.filter((a) =>
      q.attributes && q.attributes[a.key] !== undefined) : [];
    const unknown = Object.keys(q.attributes || {})
      .filter((k) => !cat || !cat.attributes.some((a) => a.key === k));
    const g = feat.geometry;
    let where = [t('detail.no_location')];
    if (g && g.type === 'Point') {
      const [lon, lat] = g.coordinates;
      where = [h('span.mgrs', spaceMgrs(q.mgrs || toMgrs(lat, lon))),
        h('br'), h('span.latlon', fmtLatLon(lat, lon))];
    } else if (g) {
      where = [t(`geometry.${g.type}`)];
    }
    const patrol = q.patrol ? (ctx.patrols?.get(q.patrol)?.code || q.patrol)
      : null;
    clear(body,
      row(t('detail.observed_at'), fmtDateTime(q.observed_at)),
      attrs.map((a) => row(text(a.label), attrValue(a, q.attributes[a.key]))),
      unknown.map((k) => row(k, attrValue(null, q.attributes[k]))),
      row(t('detail.location'), ...where),
      row(t('detail.audience'), audienceText(q.audience),
        (q.audience || []).length > 1 ? h('span.hint', ` (${t('detail.shared')})`)
          : h('span.hint', ` (${t('detail.national')})`)),
      row(t('detail.origin'), `${q.origin?.name || '—'} (${nation(q.origin?.nation)})`),
      patrol ? row(t('detail.patrol'), patrol) : null,
      q.reason ? row(t('detail.reason'), q.reason) : null,
      row(t('detail.id'), h('code', feat.id)));
  };

  const fillHistory = (feat) => {
    const vs = feat.properties.history || [];
    clear(history, vs.map((v) => h('li', { class: v.id === feat.id ? 'current' : '' },
      h('button.link', { type: 'button', disabled: v.id === feat.id,
        onclick: () => onSelect(v.id) },
      fmtDateTime(v.observed_at)), ' — ', t(`status.${v.status}`),
      v.reason ? ` : ${v.reason}` : '')));
    if (!vs.length) history.append(h('li', t('detail.no_history')));
  };

  const own = p.origin?.node && p.origin.node === ctx.node?.node;
  const mayChange = ctx.can('change') && own && p.status === 'current' &&
    !model.isDomain(p.category);
  if (mayChange) {
    const reason = h('textarea', { rows: 2, maxlength: 1000,
      'aria-label': t('detail.retract_reason') });
    const confirm = h('div.retract', { hidden: true },
      h('label', t('detail.retract_reason'), reason),
      h('button.danger', { type: 'button', onclick: async () => {
        if (!reason.value.trim()) {
          reason.focus();
          return;
        }
        try {
          await ctx.api.post(`/records/${f.id}/retract`,
            { reason: reason.value.trim() });
          toast(t('detail.retracted'), 'ok');
          ctx.records.upsert({ ...f, properties: { ...p, status: 'retracted' } });
          onBack();
        } catch (e) {
          toast(e.message, 'error', 8000);
        }
      } }, t('detail.retract_confirm')));
    actions.append(
      h('button', { type: 'button', dataset: { action: 'supersede' },
        onclick: () => go('report', { supersede: f.id }) }, t('detail.supersede')),
      h('button.danger', { type: 'button', dataset: { action: 'retract' },
        onclick: () => {
          confirm.hidden = false;
          reason.focus();
        } }, t('detail.retract')),
      confirm);
  }

  clear(el,
    h('button.link.back', { type: 'button', onclick: onBack }, `← ${t('detail.back')}`),
    h('h2.detail-title', symbolEl(root, prec, { size: 22, incident: p.kind === 'incident' }),
      h('span', cat ? text(cat.label) : (p.category || t('record.unknown_category')))),
    h('p.detail-path', model.path(p.category)),
    h('p.tags', h('span.prec', { class: `prec-${prec}` }, t(`precedence.${prec}`)),
      ' ', h('span.tag', t(`status.${p.status || 'current'}`)),
      p.kind ? [' ', h('span.tag', t(`kind.${p.kind}`))] : null),
    body,
    h('h3', t('detail.history')), history,
    actions);
  fill(f);
  fillHistory(f);
  el.dataset.id = f.id;
  // The full record, with its history.
  ctx.api.get(`/records/${f.id}`).then((full) => {
    if (el.dataset.id !== f.id) return;
    fill(full);
    fillHistory(full);
  }).catch(() => {});
}
