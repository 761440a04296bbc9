// The login page: a session cookie (HttpOnly, SameSite=Strict) and the
// CSRF token the API client keeps for writes.
import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';

export function renderLogin(el, ctx, { onDone, message, langSwitch }) {
  const login = h('input', { id: 'login', name: 'login', autocomplete: 'username',
    required: true, autofocus: true, maxlength: 64 });
  const password = h('input', { id: 'password', name: 'password', type: 'password',
    autocomplete: 'current-password', required: true, maxlength: 1024 });
  const err = h('p.form-error', { role: 'alert', hidden: !message }, message || '');
  const button = h('button.primary', { type: 'submit' }, t('login.submit'));
  const form = h('form.login', {
    onsubmit: async (e) => {
      e.preventDefault();
      err.hidden = true;
      button.disabled = true;
      try {
        const s = await ctx.api.login(login.value.trim(), password.value);
        password.value = '';
        onDone(s);
      } catch (x) {
        err.textContent = x.status === 401 ? t('login.wrong')
          : x.status === 429 ? t('login.throttled', { msg: x.message })
            : x.status === 0 ? t('common.offline') : x.message;
        err.hidden = false;
        password.select();
      } finally {
        button.disabled = false;
      }
    },
  },
  h('h1', h('span.logo', 'diboli')),
  h('p.tagline', t('app.tagline')),
  h('label.field', t('login.login'), login),
  h('label.field', t('login.password'), password),
  err, button);
  el.replaceChildren(h('main.login-page', h('div.login-top', langSwitch), form,
    h('p.hint', t('login.offline_note'))));
  login.focus();
}
