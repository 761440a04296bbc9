// The audit trail (GET /api/v1/audit, role admin): the latest events,
// newest first, filtered by actor, action and days (UTC); each with its
// sequence number, time, actor and address, action, target, result
// (ok, denied, failed, error) and detail. The chain itself is checked by
// `diboli audit verify` on the node.
import { h, clear } from '../../core/dom.js';
import { t, has, fmtDateTime, fmtNumber } from '../../core/i18n.js';
import { errorText } from './ui.js';

const LIMIT = 200;

const RESULT_CLASS = { ok: 'state-ok', denied: 'state-bad',
  failed: 'state-bad', error: 'state-bad' };

export function mountAudit(el, ctx) {
  const error = h('div.warning', { role: 'alert', hidden: true });
  const list = h('div.table-wrap');
  const count = h('p.hint', { role: 'status' });
  const actor = h('input', { id: 'audit-actor', maxlength: 200,
    autocomplete: 'off', placeholder: t('admin.audit_actor_ph') });
  const action = h('input', { id: 'audit-action', maxlength: 200,
    autocomplete: 'off', list: 'audit-actions',
    placeholder: t('admin.audit_action_ph') });
  const actions = h('datalist', { id: 'audit-actions' });
  const from = h('input', { id: 'audit-from', type: 'date' });
  const to = h('input', { id: 'audit-to', type: 'date' });
  const seen = new Set();

  async function load() {
    error.hidden = true;
    const q = new URLSearchParams({ limit: String(LIMIT) });
    if (actor.value.trim()) q.set('actor', actor.value.trim());
    if (action.value.trim()) q.set('action', action.value.trim());
    if (from.value || to.value) {
      q.set('datetime', `${from.value ? `${from.value}T00:00:00Z` : '..'}/` +
        `${to.value ? `${to.value}T23:59:59.999Z` : '..'}`);
    }
    try {
      const res = await ctx.api.get(`/audit?${q}`);
      draw(res.events || []);
    } catch (e) {
      clear(list);
      count.textContent = '';
      error.textContent = t('admin.refused', { msg: errorText(e) });
      error.hidden = false;
    }
  }

  function draw(events) {
    for (const e of events) {
      if (e.action && !seen.has(e.action)) {
        seen.add(e.action);
        actions.append(h('option', { value: e.action }));
      }
    }
    count.textContent = events.length >= LIMIT
      ? t('admin.audit_latest', { n: fmtNumber(LIMIT) })
      : t('admin.audit_count', { n: fmtNumber(events.length) });
    if (!events.length) {
      clear(list, h('p.hint', t('admin.audit_none')));
      return;
    }
    clear(list, h('table.grid.audit-table',
      h('thead', h('tr', [t('admin.h_id'), t('admin.audit_h_at'),
        t('admin.audit_h_actor'), t('admin.audit_h_action'),
        t('admin.audit_h_target'), t('admin.audit_h_result'),
        t('admin.audit_h_detail')].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', events.map((e) => h('tr', { dataset: { seq: String(e.seq),
        result: e.result || '' } },
      h('td.num', fmtNumber(e.seq)),
      h('td.nowrap', fmtDateTime(e.at)),
      h('td', e.actor || '—', e.addr ? h('div.hint', e.addr) : null),
      h('td', h('code', e.action || '—')),
      h('td.audit-target', e.target || '—'),
      h('td', h(`span.state.${RESULT_CLASS[e.result] || 'state-none'}`,
        has(`admin.audit_result_${e.result}`)
          ? t(`admin.audit_result_${e.result}`) : e.result || '—')),
      h('td.audit-detail', e.detail || ''))))));
  }

  const form = h('form.audit-filters', { autocomplete: 'off' },
    h('label.field', h('span.label', t('admin.audit_actor')), actor),
    h('label.field', h('span.label', t('admin.audit_action')), action,
      actions),
    h('label.field', h('span.label', t('admin.audit_from')), from),
    h('label.field', h('span.label', t('admin.audit_to')), to),
    h('div.buttons', h('button.primary', { type: 'submit' },
      t('admin.audit_apply')), h('button', { type: 'button',
      onclick: () => {
        form.reset();
        load();
      } }, t('admin.audit_clear'))));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    load();
  });

  el.append(h('section.audit-section',
    h('h2', t('admin.audit_title')),
    h('p.hint', t('admin.audit_hint')),
    form, error, count, list));
  load();
  return null;
}
