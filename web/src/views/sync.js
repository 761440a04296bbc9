// Sync: each peer, its last exchange and result, the records waiting
// each way, blocks pending and quarantined (docs/sync.md), refreshed
// when records arrive and every 30 s; for administrators, "Sync now"
// and bundles (export, import, summary).
import '../../styles/tables.css';
import '../../styles/sync.css';
import { h } from '../core/dom.js';
import { mountStatus } from './sync/status.js';
import { mountBundles } from './sync/bundles.js';

export default {
  id: 'sync',
  perm: 'read',
  nav: true,
  label: 'nav.sync',
  mount(el, ctx) {
    const statusEl = h('div.sync-status');
    const bundlesEl = h('div.sync-bundles');
    el.append(h('div.page.page-wide.sync-page', statusEl,
      ctx.can('peers') ? bundlesEl : null));
    const status = mountStatus(statusEl, ctx);
    if (ctx.can('peers')) {
      const own = ctx.node?.nation;
      const nations = [...new Set([...(ctx.partners || []), own,
        'SN', 'ML'].filter(Boolean))];
      mountBundles(bundlesEl, ctx, { nations,
        onImported: () => status.reload() });
    }
    return { unmount: () => status.unmount() };
  },
};
