// Users (GET/POST /api/v1/users, PATCH /api/v1/users/{login}): the list
// with role and state; add one; change a role, disable or enable,
// set a new password. The node refuses to leave itself without an
// active admin (409): that refusal is shown as it is.
import { h, clear, toast } from '../../core/dom.js';
import { t, fmtDateTime } from '../../core/i18n.js';
import { ROLES } from '../../core/roles.js';
import { confirmDialog, errorText } from './ui.js';

export const MIN_PASSWORD = 12;

// Characters, not bytes, as the node counts them.
const chars = (s) => [...s].length;

// What is wrong with a password for login, or ''.
export function passwordProblem(pw, login) {
  if (chars(pw) < MIN_PASSWORD) return t('admin.pw_short', { min: MIN_PASSWORD });
  if (login && pw.toLowerCase() === login.toLowerCase()) return t('admin.pw_login');
  return '';
}

// A password field with its rule and a live count.
function passwordFields(idPrefix) {
  const pw = h('input', { type: 'password', id: `${idPrefix}-password`,
    autocomplete: 'new-password', required: true, maxlength: 1024 });
  const again = h('input', { type: 'password', id: `${idPrefix}-password2`,
    autocomplete: 'new-password', required: true, maxlength: 1024 });
  const count = h('span.hint.pw-count', { 'aria-live': 'polite' });
  const sync = () => {
    const n = chars(pw.value);
    count.textContent = t('admin.pw_count', { n, min: MIN_PASSWORD });
    count.classList.toggle('pw-ok', n >= MIN_PASSWORD);
  };
  pw.addEventListener('input', sync);
  sync();
  return {
    pw,
    again,
    fields: [
      h('label.field', t('admin.password'), pw,
        h('span.hint', t('admin.pw_rule', { min: MIN_PASSWORD })), count),
      h('label.field', t('admin.password_again'), again),
    ],
    problem(login) {
      return passwordProblem(pw.value, login) ||
        (pw.value !== again.value ? t('admin.pw_mismatch') : '');
    },
  };
}

// The sentence of a refusal; the last-admin rule in plain words.
function refusal(err, login) {
  if (err?.status === 409 && (err.field === 'role' || err.field === 'disabled'))
    return t('admin.last_admin', { login, msg: err.message });
  return t('admin.refused', { msg: errorText(err) });
}

export function mountUsers(el, ctx) {
  const me = ctx.session.login;
  const error = h('div.warning', { role: 'alert', id: 'users-error', hidden: true });
  const list = h('div.table-wrap');
  let users = [];

  const fail = (err, login) => {
    error.textContent = refusal(err, login);
    error.hidden = false;
    error.scrollIntoView({ block: 'nearest' });
  };

  async function load() {
    try {
      users = (await ctx.api.get('/users')).users || [];
      draw();
    } catch (e) {
      fail(e);
    }
  }

  async function patch(u, body, done) {
    error.hidden = true;
    try {
      await ctx.api.patch(`/users/${encodeURIComponent(u.login)}`, body);
      toast(done, 'ok');
      await load();
      return true;
    } catch (e) {
      fail(e, u.login);
      await load();
      return false;
    }
  }

  function draw() {
    clear(list, h('table.grid.users-table',
      h('thead', h('tr', [t('admin.h_login'), t('admin.h_name'), t('admin.h_role'),
        t('admin.h_state'), t('admin.h_last_login'), t('admin.h_created'),
        t('admin.h_actions')].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', users.map(row))));
  }

  function row(u) {
    const role = h('select', { 'aria-label': t('admin.role_of', { login: u.login }),
      dataset: { field: 'role' } }, ROLES.map((r) => h('option', { value: r,
      selected: r === u.role }, t(`role.${r}`))));
    role.addEventListener('change', async () => {
      const to = role.value;
      const ok = await confirmDialog({ title: t('admin.role_confirm_title'),
        message: t('admin.role_confirm', { login: u.login,
          from: t(`role.${u.role}`), to: t(`role.${to}`) }),
        ok: t('admin.role_confirm_ok'), danger: false });
      if (!ok) {
        role.value = u.role;
        return;
      }
      await patch(u, { role: to }, t('admin.role_done', { login: u.login,
        role: t(`role.${to}`) }));
    });
    const pwSlot = h('div.pw-slot');
    const toggle = h('button', { type: 'button', dataset: { action: u.disabled
      ? 'enable' : 'disable' }, class: u.disabled ? '' : 'danger',
    onclick: async () => {
      if (!u.disabled) {
        const ok = await confirmDialog({ title: t('admin.disable_title'),
          message: t('admin.disable_confirm', { login: u.login }),
          ok: t('admin.disable') });
        if (!ok) return;
      }
      await patch(u, { disabled: !u.disabled }, t(u.disabled
        ? 'admin.enabled_done' : 'admin.disabled_done', { login: u.login }));
    } }, u.disabled ? t('admin.enable') : t('admin.disable'));
    const reset = h('button', { type: 'button', dataset: { action: 'password' },
      onclick: () => {
        if (pwSlot.firstChild) {
          pwSlot.replaceChildren();
          return;
        }
        pwSlot.append(passwordForm(u, () => pwSlot.replaceChildren()));
        pwSlot.querySelector('input')?.focus();
      } }, t('admin.reset_password'));
    return h('tr', { dataset: { login: u.login, role: u.role,
      disabled: String(u.disabled) }, class: u.disabled ? 'row-off' : '' },
    h('td', h('strong', u.login), u.login === me
      ? h('span.hint', ` ${t('admin.you')}`) : null),
    h('td', u.name || '—'),
    h('td', role),
    h('td', u.disabled ? h('span.state.state-bad', t('admin.state_disabled'))
      : h('span.state.state-ok', t('admin.state_active'))),
    h('td.nowrap', u.last_login ? fmtDateTime(u.last_login) : '—'),
    h('td.nowrap', fmtDateTime(u.created_at)),
    h('td', h('div.row-actions', toggle, reset), pwSlot));
  }

  function passwordForm(u, close) {
    const p = passwordFields(`pw-${u.login}`);
    const err = h('p.form-error', { role: 'alert', hidden: true });
    return h('form.pw-form', { onsubmit: async (e) => {
      e.preventDefault();
      const bad = p.problem(u.login);
      if (bad) {
        err.textContent = bad;
        err.hidden = false;
        return;
      }
      const ok = await confirmDialog({ title: t('admin.reset_title'),
        message: t('admin.reset_confirm', { login: u.login }),
        ok: t('admin.reset_ok') });
      if (!ok) return;
      if (await patch(u, { password: p.pw.value },
        t('admin.reset_done', { login: u.login }))) close();
    } }, p.fields, err, h('div.row-actions',
      h('button.primary', { type: 'submit' }, t('admin.reset_ok')),
      h('button', { type: 'button', onclick: close }, t('common.cancel'))));
  }

  // Adding a user.
  const login = h('input', { id: 'new-login', required: true, maxlength: 64,
    pattern: '[a-z0-9._\\-]{2,64}', autocomplete: 'off', spellcheck: 'false' });
  const name = h('input', { id: 'new-name', maxlength: 200, autocomplete: 'off' });
  const role = h('select', { id: 'new-role' }, ROLES.map((r) => h('option',
    { value: r, selected: r === 'reporter' }, t(`role.${r}`))));
  const p = passwordFields('new');
  const addErr = h('p.form-error', { role: 'alert', hidden: true });
  const addBtn = h('button.primary', { type: 'submit' }, t('admin.add_user_submit'));
  const form = h('form.card', { id: 'add-user', onsubmit: async (e) => {
    e.preventDefault();
    addErr.hidden = true;
    const bad = p.problem(login.value.trim());
    if (bad) {
      addErr.textContent = bad;
      addErr.hidden = false;
      p.pw.focus();
      return;
    }
    addBtn.disabled = true;
    try {
      const l = login.value.trim();
      await ctx.api.post('/users', { login: l, name: name.value.trim(),
        role: role.value, password: p.pw.value });
      toast(t('admin.user_added', { login: l, role: t(`role.${role.value}`) }), 'ok');
      form.reset();
      p.pw.dispatchEvent(new Event('input'));
      await load();
    } catch (x) {
      addErr.textContent = t('admin.refused', { msg: errorText(x) });
      addErr.hidden = false;
    } finally {
      addBtn.disabled = false;
    }
  } },
  h('h2', t('admin.add_user')),
  h('div.form-grid',
    h('label.field', t('admin.login'), login, h('span.hint', t('admin.login_rule'))),
    h('label.field', t('admin.name'), name, h('span.hint', t('admin.name_hint'))),
    h('label.field', t('admin.role'), role),
    p.fields),
  addErr, h('div.buttons', addBtn));

  el.append(h('h2', t('admin.users_title')), h('p.hint', t('admin.users_intro')),
    error, list, form);
  load();
  return { unmount() {} };
}
