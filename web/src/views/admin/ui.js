// Small pieces of the admin and sync views: a confirmation dialog
// before anything destructive, file downloads from an API answer, files
// read from the user's disk, the sentence of an API error.
import { h } from '../../core/dom.js';
import { t } from '../../core/i18n.js';

// A modal question; resolves true when the user confirms.
export function confirmDialog({ title, message, ok, danger = true }) {
  return new Promise((resolve) => {
    const yes = h(danger ? 'button.danger' : 'button.primary', { type: 'button',
      dataset: { confirm: 'ok' }, onclick: () => d.close('ok') }, ok);
    const no = h('button', { type: 'button', dataset: { confirm: 'cancel' },
      onclick: () => d.close('cancel') }, t('common.cancel'));
    const d = h('dialog.confirm', { 'aria-labelledby': 'confirm-title' },
      h('h2', { id: 'confirm-title' }, title),
      message ? h('p', message) : null,
      h('div.buttons', no, yes));
    d.addEventListener('close', () => {
      resolve(d.returnValue === 'ok');
      d.remove();
    });
    document.body.append(d);
    d.showModal();
    no.focus();
  });
}

// The file name of an attachment (Content-Disposition), or fallback.
export function attachmentName(res, fallback) {
  const cd = res.headers.get('Content-Disposition') || '';
  const m = /filename="?([^";]+)"?/i.exec(cd);
  const name = m ? m[1].trim() : '';
  return /^[\w.@+-]{1,200}$/.test(name) ? name : fallback;
}

// Give the browser a file to save.
export function saveBlob(blob, name) {
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

export function base64(buf) {
  const bytes = new Uint8Array(buf);
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

// An API error as one sentence for the page.
export function errorText(err) {
  if (err?.status === 0) return t('common.offline');
  return err?.message || String(err);
}
