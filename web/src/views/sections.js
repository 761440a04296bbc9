// Border sections: the board of the thirteen sections (both sides'
// levels, incidents of the last 30 days, a sketch of each), a section's
// page with both sides' full history and, for commanders, the form that
// sets this nation's side and the partner's notices (docs/sections.md).
// #/sections is the board, #/sections?id=SEC-02 a section (&set=1: go
// to the form).
import '../../styles/tables.css';
import '../../styles/sections.css';
import { mountBoard } from './sections/board.js';
import { mountSection } from './sections/page.js';
import { noticesBadge } from './sections/notices.js';

export default {
  id: 'sections',
  perm: 'read',
  nav: true,
  label: 'nav.sections',
  // The partner's notices not seen yet, beside the link (commanders).
  badge: noticesBadge,
  mount(el, ctx, params) {
    if (params.id)
      return mountSection(el, ctx, params.id, { focusForm: params.set === '1' });
    return mountBoard(el, ctx);
  },
};
