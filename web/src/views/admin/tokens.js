// Bearer tokens for programs (GET/POST /api/v1/tokens, DELETE
// /api/v1/tokens/{id}): the list with state; create one for a user (it
// is shown once, with a copy button and a plain warning: the node keeps
// only its hash); revoke one.
import { h, clear, toast } from '../../core/dom.js';
import { t, fmtDateTime, fmtNumber } from '../../core/i18n.js';
import { confirmDialog, errorText } from './ui.js';

async function copyText(input) {
  try {
    await navigator.clipboard.writeText(input.value);
    return true;
  } catch {
    // Plain HTTP on a network address is not a secure context: no
    // clipboard API there; the old way still works.
    input.select();
    try {
      return document.execCommand('copy');
    } catch {
      return false;
    }
  }
}

export function mountTokens(el, ctx) {
  const error = h('div.warning', { role: 'alert', hidden: true });
  const list = h('div.table-wrap');
  const shown = h('div', { id: 'new-token-slot' });
  const who = h('select', { id: 'token-login', required: true });
  const label = h('input', { id: 'token-label', maxlength: 200,
    placeholder: t('admin.token_label_ph') });
  const days = h('input', { id: 'token-days', type: 'number', min: 0, max: 3650,
    step: 1, value: '90' });
  const addErr = h('p.form-error', { role: 'alert', hidden: true });
  const addBtn = h('button.primary', { type: 'submit' }, t('admin.token_create'));

  async function load() {
    try {
      const [tk, us] = await Promise.all([ctx.api.get('/tokens'),
        ctx.api.get('/users')]);
      const users = (us.users || []).filter((u) => !u.disabled);
      const keep = who.value;
      clear(who, users.map((u) => h('option', { value: u.login,
        selected: u.login === keep },
      `${u.login} (${t(`role.${u.role}`)})`)));
      draw(tk.tokens || []);
    } catch (e) {
      error.textContent = t('admin.refused', { msg: errorText(e) });
      error.hidden = false;
    }
  }

  function draw(tokens) {
    if (!tokens.length) {
      clear(list, h('p.hint', t('admin.tokens_none')));
      return;
    }
    clear(list, h('table.grid.tokens-table',
      h('thead', h('tr', [t('admin.h_id'), t('admin.h_user'), t('admin.h_label'),
        t('admin.h_created'), t('admin.h_expires'), t('admin.h_used'),
        t('admin.h_state'), t('admin.h_actions')].map((c) =>
        h('th', { scope: 'col' }, c)))),
      h('tbody', tokens.map((k) => h('tr', { dataset: { id: String(k.id),
        state: k.state }, class: k.state === 'active' ? '' : 'row-off' },
      h('td.num', fmtNumber(k.id)),
      h('td', k.login),
      h('td', k.label || '—'),
      h('td.nowrap', fmtDateTime(k.created_at)),
      h('td.nowrap', k.expires_at ? fmtDateTime(k.expires_at)
        : t('admin.never')),
      h('td.nowrap', k.last_used_at ? fmtDateTime(k.last_used_at) : '—'),
      h('td', h(`span.state.${k.state === 'active' ? 'state-ok' : 'state-none'}`,
        t(`admin.token_${k.state}`))),
      h('td', k.state === 'active' ? h('button.danger', { type: 'button',
        dataset: { action: 'revoke' }, onclick: () => revoke(k) },
      t('admin.revoke')) : null))))));
  }

  async function revoke(k) {
    const ok = await confirmDialog({ title: t('admin.revoke_title'),
      message: t('admin.revoke_confirm', { id: k.id, login: k.login,
        label: k.label || '—' }),
      ok: t('admin.revoke') });
    if (!ok) return;
    error.hidden = true;
    try {
      await ctx.api.del(`/tokens/${k.id}`);
      toast(t('admin.revoked', { id: k.id }), 'ok');
    } catch (e) {
      error.textContent = t('admin.refused', { msg: errorText(e) });
      error.hidden = false;
    }
    load();
  }

  // The new token, once: the warning, the value, a copy button; gone
  // when dismissed or when the page changes.
  function showOnce(r) {
    const value = h('input.mono.token-value', { id: 'new-token', readonly: true,
      value: r.token, 'aria-label': t('admin.token_value'), spellcheck: 'false',
      size: 48 });
    const copied = h('span.ok-line', { role: 'status' });
    clear(shown, h('div.token-once', { role: 'alert' },
      h('p.warning', t('admin.token_warning', { login: r.login })),
      h('div.token-row', value,
        h('button.primary', { type: 'button', id: 'copy-token', onclick: async () => {
          copied.textContent = await copyText(value) ? t('admin.copied')
            : t('admin.copy_failed');
        } }, t('admin.copy')), copied),
      h('p.hint', t('admin.token_usage')),
      h('button', { type: 'button', id: 'token-done', onclick: () => {
        value.value = '';
        shown.replaceChildren();
      } }, t('admin.token_done'))));
    value.focus();
    value.select();
  }

  const form = h('form.card', { id: 'add-token', onsubmit: async (e) => {
    e.preventDefault();
    addErr.hidden = true;
    addBtn.disabled = true;
    try {
      const body = { login: who.value, label: label.value.trim() };
      const d = Number(days.value || 0);
      if (d > 0) body.expires_days = d;
      const r = await ctx.api.post('/tokens', body);
      label.value = '';
      showOnce(r);
      load();
    } catch (x) {
      addErr.textContent = t('admin.refused', { msg: errorText(x) });
      addErr.hidden = false;
    } finally {
      addBtn.disabled = false;
    }
  } },
  h('h2', t('admin.token_new')),
  h('p.hint', t('admin.token_intro')),
  h('div.form-grid',
    h('label.field', t('admin.token_for'), who),
    h('label.field', t('admin.token_label'), label),
    h('label.field', t('admin.token_days'), days,
      h('span.hint', t('admin.token_days_hint')))),
  addErr, h('div.buttons', addBtn));

  el.append(h('h2', t('admin.tokens_title')), error, shown, list, form);
  load();
  return {
    unmount() {
      shown.replaceChildren();
    },
  };
}
