// The sync status (GET /api/v1/sync/status, any role): each peer, its
// last exchange and result, the records waiting each way; blocks
// pending a gap and blocks quarantined (a security alert). For
// administrators, GET /api/v1/peers adds failures in a row and the next
// attempt, and "Sync now" (POST /api/v1/sync/run) per peer or for all.
import { h, clear } from '../../core/dom.js';
import { t, fmtNumber, fmtDateTime, fmtTime, nation } from '../../core/i18n.js';
import { errorText } from '../admin/ui.js';

const EVERY = 30000;             // refresh, besides the live events

export function mountStatus(el, ctx) {
  const admin = ctx.can('peers');
  const updated = h('p.hint.sync-updated');
  const alerts = h('div.sync-alerts');
  const stats = h('div.sync-stats');
  const runLine = h('p.sync-run-line', { role: 'status' });
  const table = h('div.table-wrap');
  const runAll = admin ? h('button.primary', { type: 'button', id: 'sync-now',
    onclick: () => run(null) }, t('sync.run_all')) : null;
  el.append(h('div.page-head', h('h1', t('sync.title')), updated),
    h('p.hint', t('sync.intro')), alerts, stats,
    h('div.sync-peers-head', h('h2', t('sync.peers')), runAll), runLine, table);

  let alive = true;
  let last = null;
  let poll = null;
  let gen = 0;

  async function load() {
    const g = ++gen;
    try {
      const [st, peers] = await Promise.all([
        ctx.api.get('/sync/status'),
        admin ? ctx.api.get('/peers').catch(() => null) : null,
      ]);
      if (!alive || g !== gen) return null;
      last = st;
      draw(st, peers);
      updated.textContent = t('sync.updated', { time: fmtTime(new Date()) });
      el.dataset.ready = '1';
      return st;
    } catch (e) {
      if (alive && g === gen)
        updated.textContent = t('sync.load_error', { msg: errorText(e) });
      return null;
    }
  }

  function draw(st, peers) {
    const extra = new Map((peers?.peers || []).map((p) => [p.name, p]));
    const q = st.quarantined_blocks || 0;
    const pending = st.pending_blocks || 0;
    clear(alerts,
      q ? h('div.alert-security', { role: 'alert', id: 'quarantine' },
        h('strong', t('sync.quarantine_title', { n: fmtNumber(q) })),
        t('sync.quarantine_text')) : null,
      pending ? h('p.notice', { id: 'pending' },
        t('sync.pending_text', { n: fmtNumber(pending) })) : null);
    clear(stats,
      stat(t('sync.stat_peers'), st.peers.length, 'peers'),
      stat(t('sync.stat_pending'), pending, 'pending'),
      stat(t('sync.stat_quarantined'), q, 'quarantined', q > 0));
    if (!st.peers.length) {
      clear(table, h('p.hint', admin ? t('sync.no_peers_admin')
        : t('sync.no_peers')));
      return;
    }
    clear(table, h('table.grid.sync-table',
      h('thead', h('tr',
        [t('sync.h_peer'), t('sync.h_nation'), t('sync.h_link'),
          t('sync.h_last'), t('sync.h_result'), t('sync.h_in'),
          t('sync.h_out'), admin ? t('sync.h_actions') : null]
          .filter(Boolean).map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', st.peers.map((p) => row(p, extra.get(p.name))))));
  }

  function stat(label, n, key, bad = false) {
    return h('div.stat', { class: bad ? 'stat-bad' : '', dataset: { stat: key } },
      h('span.stat-n', fmtNumber(n)), h('span.stat-label', label));
  }

  function row(p, x) {
    const never = !p.last_exchange;
    const state = never ? h('span.state.state-none', t('sync.never'))
      : p.ok ? h('span.state.state-ok', t('sync.ok'))
        : h('span.state.state-bad', t('sync.failed'));
    const wait = (n) => (n === null || n === undefined ? '—' : fmtNumber(n));
    return h('tr', { dataset: { peer: p.name, ok: never ? 'none'
      : String(!!p.ok) } },
    h('td', h('strong', p.name)),
    h('td', `${nation(p.nation)} (${p.nation})`),
    h('td', p.url ? h('span.mono', p.url) : h('span.hint', t('sync.bundles_only'))),
    h('td.nowrap', never ? '—' : fmtDateTime(p.last_exchange),
      x?.next_attempt && p.url ? h('div.hint', t('sync.next', {
        at: fmtTime(x.next_attempt) })) : null),
    h('td', state, p.last_result ? h('div.sync-result', p.last_result) : null,
      x?.fails ? h('div.hint', t('sync.fails', { n: x.fails })) : null),
    h('td.num', { dataset: { wait: 'in' } }, wait(p.waiting_in)),
    h('td.num', { dataset: { wait: 'out' } }, wait(p.waiting_out)),
    admin ? h('td', p.url ? h('button', { type: 'button', dataset: {
      action: 'run', peer: p.name }, onclick: () => run(p.name) },
    t('sync.run_one')) : h('span.hint', t('sync.use_bundles'))) : null);
  }

  // Ask for an exchange now, then watch the status until each peer
  // asked for has a newer exchange (or 20 s passed).
  async function run(peer) {
    const before = new Map((last?.peers || []).map((p) => [p.name,
      p.last_exchange]));
    for (const b of el.querySelectorAll('button[data-action=run], #sync-now'))
      b.disabled = true;
    runLine.className = 'sync-run-line';
    try {
      const r = await ctx.api.post('/sync/run', peer ? { peer } : {});
      const names = r?.peers || (peer ? [peer] : []);
      runLine.textContent = t('sync.run_asked', { peers: names.join(', ') });
      const t0 = Date.now();
      clearInterval(poll);
      await new Promise((resolve) => {
        poll = setInterval(async () => {
          const st = await load();
          const done = st && names.every((n) => {
            const p = st.peers.find((x) => x.name === n);
            return !p || (p.last_exchange && p.last_exchange !== before.get(n));
          });
          if (!alive || done || Date.now() - t0 > 20000) {
            clearInterval(poll);
            resolve();
          }
        }, 1000);
      });
      if (!alive) return;
      const st = last;
      const lines = names.map((n) => {
        const p = st?.peers.find((x) => x.name === n);
        if (!p || p.last_exchange === before.get(n))
          return t('sync.run_waiting', { peer: n });
        return t('sync.run_result', { peer: n, state: p.ok ? t('sync.ok')
          : t('sync.failed'), result: p.last_result || '' });
      });
      runLine.textContent = lines.join(' · ');
      runLine.classList.add(st?.peers.every((p) => !names.includes(p.name) ||
        p.ok) ? 'ok-line' : 'form-error');
    } catch (e) {
      runLine.textContent = t('sync.run_error', { msg: errorText(e) });
      runLine.classList.add('form-error');
    } finally {
      for (const b of el.querySelectorAll('button[data-action=run], #sync-now'))
        b.disabled = false;
    }
  }

  load();
  const every = setInterval(load, EVERY);
  let debounce = null;
  const off = ctx.events?.on((type) => {
    if (type !== 'records' && type !== 'reset') return;
    clearTimeout(debounce);
    debounce = setTimeout(load, 1000);
  });

  return {
    reload: load,
    peers: () => last?.peers || [],
    unmount() {
      alive = false;
      clearInterval(every);
      clearInterval(poll);
      clearTimeout(debounce);
      if (off) off();
    },
  };
}
