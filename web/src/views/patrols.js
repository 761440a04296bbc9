// Joint patrols (docs/patrols.md, docs/web.md "Patrols"): the calendar
// and the list (#/patrols, #/patrols?tab=list), the planner
// (#/patrols/new, then units and legs at #/patrols/ID/plan), the
// commanders' approvals inbox (#/patrols/inbox) and the patrol's page
// (#/patrols/ID). The code is in views/patrols/.
import '../../styles/patrols.css';
import { h } from '../core/dom.js';
import { t } from '../core/i18n.js';
import { parseHash } from '../core/router.js';
import { awaitsNation, isId } from './patrols/common.js';
import { mountIndex } from './patrols/calendar.js';
import { mountPlanner, mountPlanStep } from './patrols/planner.js';
import { mountInbox } from './patrols/inbox.js';
import { mountPatrol } from './patrols/page.js';

export default {
  id: 'patrols',
  perm: 'read',
  nav: true,
  label: 'nav.patrols',

  // For a commander: the proposals this node's nation has not answered.
  badge(ctx, set) {
    if (!ctx.can('approve')) return null;
    const count = () => {
      const n = [...ctx.patrols.values()].filter((p) => awaitsNation(ctx, p))
        .length;
      set(n, t('patrols.badge', { n }));
    };
    count();
    return ctx.onPatrols(count);
  },

  mount(el, ctx, params) {
    const [, a = '', b = ''] = parseHash().path.split('/');
    const forbidden = () => el.append(h('div.page', h('h1', t('nav.patrols')),
      h('p', t('app.forbidden', { role: t(`role.${ctx.session.role}`) }))));
    if (a === '') return mountIndex(el, ctx, params);
    if (a === 'new') {
      if (!ctx.can('create')) return forbidden();
      return mountPlanner(el, ctx, params);
    }
    if (a === 'inbox') {
      if (!ctx.can('approve')) return forbidden();
      return mountInbox(el, ctx, params);
    }
    if (isId(a) && b === 'plan') return mountPlanStep(el, ctx, a);
    if (isId(a) && b === 'edit') {
      if (!ctx.can('create')) return forbidden();
      return mountPlanner(el, ctx, params, a);
    }
    if (isId(a) && b === '') return mountPatrol(el, ctx, a, params);
    el.append(h('div.page', h('h1', t('patrols.not_found_title')),
      h('p', t('patrols.not_found'))));
    return null;
  },
};
