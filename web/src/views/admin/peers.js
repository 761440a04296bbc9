// Peers and pinned nation keys (GET/POST /api/v1/peers, DELETE
// /api/v1/peers/{name}, GET /api/v1/nations; docs/federation.md): the
// peers with their last exchange; add one with the text of its nation's
// .pub file, pasted or read from a file, whose fingerprint shows before
// anything is sent, to be read over the phone; remove one; the nation
// keys this node trusts.
import { h, clear, toast } from '../../core/dom.js';
import { t, fmtDateTime, nation } from '../../core/i18n.js';
import { confirmDialog, errorText } from './ui.js';
import { parsePub, spacedFingerprint } from './keys.js';

// The nations a peer may be of in the partnership and around it.
const NATIONS = ['ML', 'SN', 'MR', 'GN', 'GM', 'GW', 'BF', 'NE', 'CI'];

export function mountPeers(el, ctx) {
  const error = h('div.warning', { role: 'alert', hidden: true });
  const list = h('div.table-wrap');
  const pins = h('div.table-wrap');
  const added = h('div', { id: 'peer-added', role: 'status' });
  let pinned = new Map();        // nation -> fingerprint

  const fail = (e) => {
    error.textContent = t('admin.refused', { msg: errorText(e) });
    error.hidden = false;
  };

  async function load() {
    try {
      const [p, n] = await Promise.all([ctx.api.get('/peers'),
        ctx.api.get('/nations')]);
      pinned = new Map((n.nations || []).map((x) => [x.nation, x.fingerprint]));
      drawPeers(p.peers || []);
      drawPins(n.nations || []);
      syncKey();
    } catch (e) {
      fail(e);
    }
  }

  function drawPeers(peers) {
    if (!peers.length) {
      clear(list, h('p.hint', t('admin.peers_none')));
      return;
    }
    clear(list, h('table.grid.peers-table',
      h('thead', h('tr', [t('admin.h_peer'), t('admin.h_nation'),
        t('admin.h_url'), t('admin.h_key'), t('admin.h_last'), t('admin.h_added'),
        t('admin.h_actions')].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', peers.map((p) => h('tr', { dataset: { peer: p.name } },
        h('td', h('strong', p.name)),
        h('td', `${nation(p.nation)} (${p.nation})`),
        h('td', p.url ? h('span.mono', p.url)
          : h('span.hint', t('admin.bundles_only'))),
        h('td', p.nation_key ? h('span.fingerprint.fp-small', { dataset: {
          fp: p.nation_key } }, spacedFingerprint(p.nation_key))
          : h('span.hint', t('admin.not_pinned'))),
        h('td', p.last_exchange ? [fmtDateTime(p.last_exchange), ' ',
          p.ok ? h('span.state.state-ok', t('admin.ok'))
            : h('span.state.state-bad', t('admin.failed')),
          p.last_result ? h('div.hint', p.last_result) : null]
          : h('span.hint', t('admin.never_exchanged'))),
        h('td.nowrap', fmtDateTime(p.added)),
        h('td', h('button.danger', { type: 'button', dataset: {
          action: 'remove', peer: p.name }, onclick: () => remove(p) },
        t('admin.remove'))))))));
  }

  function drawPins(nations) {
    if (!nations.length) {
      clear(pins, h('p.hint', t('admin.pins_none')));
      return;
    }
    clear(pins, h('table.grid.pins-table',
      h('thead', h('tr', [t('admin.h_nation'), t('admin.h_fingerprint'),
        t('admin.h_key_full'), t('admin.h_pinned')].map((c) =>
        h('th', { scope: 'col' }, c)))),
      h('tbody', nations.map((n) => h('tr', { dataset: { nation: n.nation } },
        h('td', `${nation(n.nation)} (${n.nation})`, n.own
          ? h('span.hint', ` ${t('admin.own_nation')}`) : null),
        h('td', h('span.fingerprint', { dataset: { fp: n.fingerprint } },
          spacedFingerprint(n.fingerprint))),
        h('td', h('code', n.key)),
        h('td.nowrap', fmtDateTime(n.pinned_at)))))));
  }

  async function remove(p) {
    const ok = await confirmDialog({ title: t('admin.remove_title'),
      message: t('admin.remove_confirm', { name: p.name,
        nation: nation(p.nation) }),
      ok: t('admin.remove') });
    if (!ok) return;
    error.hidden = true;
    try {
      await ctx.api.del(`/peers/${encodeURIComponent(p.name)}`);
      toast(t('admin.removed', { name: p.name }), 'ok');
    } catch (e) {
      fail(e);
    }
    load();
  }

  // Adding a peer.
  const name = h('input', { id: 'peer-name', required: true, maxlength: 64,
    pattern: '[A-Za-z0-9][A-Za-z0-9._\\-]{0,63}', autocomplete: 'off',
    spellcheck: 'false', placeholder: 'ML-Kayes' });
  const own = ctx.node?.nation;
  const nat = h('select', { id: 'peer-nation' }, NATIONS.map((n) =>
    h('option', { value: n, selected: n === (ctx.partners?.[0] ||
      (own === 'ML' ? 'SN' : 'ML')) }, `${nation(n)} (${n})`)));
  const url = h('input', { id: 'peer-url', type: 'url', maxlength: 500,
    placeholder: 'http://10.4.0.2:8080', autocomplete: 'off' });
  const pub = h('textarea', { id: 'peer-pub', rows: 2, spellcheck: 'false',
    class: 'mono', placeholder: 'diboli-nation-pub/1 ML 3f3f…' });
  const pubFile = h('input', { type: 'file', id: 'peer-pub-file',
    accept: '.pub,text/plain' });
  const keyInfo = h('div.key-info', { id: 'peer-key-info', 'aria-live': 'polite' });
  const replace = h('input', { type: 'checkbox', id: 'peer-replace' });
  const replaceBox = h('label.radio', { hidden: true }, replace, ' ',
    t('admin.replace_key'));
  const addErr = h('p.form-error', { role: 'alert', hidden: true });
  const addBtn = h('button.primary', { type: 'submit' }, t('admin.peer_add_submit'));

  function syncKey() {
    const text = pub.value.trim();
    const n = nat.value;
    const held = pinned.get(n);
    replaceBox.hidden = true;
    if (!text) {
      clear(keyInfo, h('p.hint', held
        ? t('admin.key_pinned_already', { nation: nation(n),
          fp: spacedFingerprint(held) })
        : t('admin.key_needed', { nation: nation(n) })));
      return;
    }
    const k = parsePub(text);
    if (!k) {
      clear(keyInfo, h('p.form-error', t('admin.key_unreadable')));
      return;
    }
    clear(keyInfo, h('div.fp-box',
      h('p', t('admin.key_of', { nation: nation(k.nation) })),
      h('p.fingerprint', { id: 'peer-fingerprint', dataset: { fp: k.fingerprint } },
        spacedFingerprint(k.fingerprint)),
      h('p.hint', t('admin.key_phone'))),
    k.nation !== n ? h('p.form-error', t('admin.key_other_nation', {
      file: nation(k.nation), chosen: nation(n) })) : null,
    held && held !== k.fingerprint ? h('p.warning', t('admin.key_differs', {
      nation: nation(n), held: spacedFingerprint(held) })) : null,
    held && held === k.fingerprint ? h('p.ok-line', t('admin.key_same')) : null);
    replaceBox.hidden = !(held && held !== k.fingerprint);
  }
  pub.addEventListener('input', syncKey);
  nat.addEventListener('change', syncKey);
  pubFile.addEventListener('change', async () => {
    const f = pubFile.files[0];
    if (!f) return;
    if (f.size > 4096) {
      clear(keyInfo, h('p.form-error', t('admin.key_unreadable')));
      return;
    }
    pub.value = (await f.text()).trim();
    const k = parsePub(pub.value);
    if (k && NATIONS.includes(k.nation)) nat.value = k.nation;
    syncKey();
  });

  const form = h('form.card', { id: 'add-peer', onsubmit: async (e) => {
    e.preventDefault();
    addErr.hidden = true;
    const text = pub.value.trim();
    const k = text ? parsePub(text) : null;
    if (text && !k) {
      addErr.textContent = t('admin.key_unreadable');
      addErr.hidden = false;
      return;
    }
    const body = { name: name.value.trim(), nation: nat.value };
    if (url.value.trim()) body.url = url.value.trim();
    if (text) body.nation_pub = `${text}\n`;
    if (replace.checked && !replaceBox.hidden) {
      const ok = await confirmDialog({ title: t('admin.replace_title'),
        message: t('admin.replace_confirm', { nation: nation(nat.value),
          fp: spacedFingerprint(k?.fingerprint) }),
        ok: t('admin.replace_ok') });
      if (!ok) return;
      body.replace = true;
    }
    addBtn.disabled = true;
    try {
      const p = await ctx.api.post('/peers', body);
      toast(t('admin.peer_added', { name: p.name }), 'ok');
      clear(added, h('p.ok-line', t('admin.peer_added_fp', { name: p.name,
        nation: nation(p.nation) }), ' ',
      h('span.fingerprint', { dataset: { fp: p.nation_key || '' } },
        spacedFingerprint(p.nation_key))));
      form.reset();
      await load();
    } catch (x) {
      addErr.textContent = t('admin.refused', { msg: errorText(x) });
      addErr.hidden = false;
      if (x.status === 409 && x.field === 'nation_pub') replaceBox.hidden = false;
    } finally {
      addBtn.disabled = false;
    }
  } },
  h('h2', t('admin.peer_add')),
  h('p.hint', t('admin.peer_intro')),
  h('div.form-grid',
    h('label.field', t('admin.peer_name'), name, h('span.hint', t('admin.peer_name_rule'))),
    h('label.field', t('admin.peer_nation'), nat),
    h('label.field', t('admin.peer_url'), url, h('span.hint', t('admin.peer_url_hint'))),
    h('label.field.wide', t('admin.peer_pub'), pub,
      h('span.hint', t('admin.peer_pub_hint')), pubFile),
    h('div.wide', keyInfo, replaceBox)),
  addErr, h('div.buttons', addBtn));

  el.append(h('h2', t('admin.peers_title')), error, added, list, form,
    h('h2', t('admin.pins_title')), h('p.hint', t('admin.pins_intro')), pins);
  load();
  return { unmount() {} };
}
