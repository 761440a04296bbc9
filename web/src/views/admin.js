// Administration (role admin): users and roles, bearer tokens, peers
// and the pinned nation keys, the audit trail (docs/permissions.md,
// docs/federation.md).
// #/admin?tab=users|tokens|peers|audit. Destructive actions ask first; the
// node's refusals (the last active admin, a key already pinned) are
// shown as they are.
import '../../styles/tables.css';
import '../../styles/admin.css';
import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { href } from '../core/router.js';
import { mountUsers } from './admin/users.js';
import { mountTokens } from './admin/tokens.js';
import { mountPeers } from './admin/peers.js';
import { mountAudit } from './admin/audit.js';

const TABS = [
  ['users', 'admin.tab_users', 'users', mountUsers],
  ['tokens', 'admin.tab_tokens', 'tokens', mountTokens],
  ['peers', 'admin.tab_peers', 'peers', mountPeers],
  ['audit', 'admin.tab_audit', 'audit', mountAudit],
];

export default {
  id: 'admin',
  perm: 'users',
  nav: true,
  label: 'nav.admin',
  mount(el, ctx, params) {
    const tabs = TABS.filter(([, , perm]) => ctx.can(perm));
    const tab = tabs.find(([id]) => id === params.tab) || tabs[0];
    const body = h('div.admin-body', { dataset: { tab: tab[0] } });
    el.append(h('div.page.page-wide.admin-page',
      h('h1', t('admin.title')),
      h('nav.tabs', { 'aria-label': t('admin.tabs') }, tabs.map(([id, label]) =>
        h('a.tab', { href: href('admin', { tab: id }), dataset: { tab: id },
          'aria-current': id === tab[0] ? 'page' : null }, t(label)))),
      body));
    return tab[3](body, ctx) || {};
  },
};
