// The partner's notices (GET /api/v1/notifications, `section`
// permission): when the partner raises its side of a section to medium
// or more, its node sends this nation's commanders a notice by sync.
// The node keeps which ones each user has seen (`seen`; POST
// /api/v1/notifications/seen), so the count is the same in every
// browser; the navigation counts the others.
import { h } from '../../core/dom.js';
import { t, getLang, nation, fmtDateTime } from '../../core/i18n.js';
import { href } from '../../core/router.js';
import { levelBadge } from './common.js';

const SEEN_MAX = 500;            // ids in one POST (the node's limit)
const SEEN_EVENT = 'diboli:notices-seen';

// Marked in this page and not yet read back from the node: the badge
// goes at once, without waiting for the next load.
const markedHere = new Set();

export function unseen(ctx, list) {
  return list.filter((n) => !n.seen && !markedHere.has(n.id));
}

// Tell the node that the user has seen every notice of list; the badge
// follows. A failure leaves them unseen (counted again).
export async function markSeen(ctx, list) {
  const ids = unseen(ctx, list).map((n) => n.id);
  if (!ids.length) return;
  ids.forEach((id) => markedHere.add(id));
  window.dispatchEvent(new Event(SEEN_EVENT));
  try {
    for (let i = 0; i < ids.length; i += SEEN_MAX) {
      await ctx.api.post('/notifications/seen',
        { ids: ids.slice(i, i + SEEN_MAX) });
    }
  } catch {
    ids.forEach((id) => markedHere.delete(id));
    window.dispatchEvent(new Event(SEEN_EVENT));
  }
}

export async function fetchNotices(ctx) {
  const r = await ctx.api.get('/notifications');
  return r?.notifications || [];
}

// The badge of the navigation's link: notices not seen yet, kept up to
// date when records arrive (a notice comes by sync like any record).
export function noticesBadge(ctx, set) {
  if (!ctx.can('section')) return null;
  let timer = null;
  let alive = true;
  let last = [];
  const show = () => {
    const n = unseen(ctx, last).length;
    set(n, t('sections.notices_badge', { n }));
  };
  const load = () => fetchNotices(ctx).then((l) => {
    if (!alive) return;
    last = l;
    show();
  }).catch(() => {});
  load();
  const off = ctx.events?.on((type) => {
    if (type !== 'records' && type !== 'reset') return;
    clearTimeout(timer);
    timer = setTimeout(load, 1500);
  });
  window.addEventListener(SEEN_EVENT, show);
  return () => {
    alive = false;
    clearTimeout(timer);
    if (off) off();
    window.removeEventListener(SEEN_EVENT, show);
  };
}

// The message in the page's language: the node writes French, then
// English, then the reason, one per line.
function messageLines(m) {
  const lines = String(m || '').split('\n');
  if (lines.length < 3) return lines;
  return [getLang() === 'en' ? lines[1] : lines[0], ...lines.slice(2)];
}

// The panel at the top of the board, newest first; the first few, the
// rest behind "show all".
export function noticesPanel(ctx, list, { first = 3 } = {}) {
  const fresh = new Set(unseen(ctx, list).map((n) => n.id));
  const item = (n) => h('li.notice-item', { dataset: { id: n.id,
    section: n.section }, class: fresh.has(n.id) ? 'notice-new' : '' },
  h('div.notice-line',
    levelBadge(n.level, { small: true }),
    h('a', { href: href('sections', { id: n.section }) },
      `${n.section} · ${(getLang() === 'en' ? n.name_en : n.name_fr) ||
        n.name_fr || ''}`),
    h('span.hint', t('sections.notice_from', { nation: nation(n.nation),
      node: n.node, at: fmtDateTime(n.at) })),
    fresh.has(n.id) ? h('span.tag.tag-new', t('sections.notice_new')) : null),
  messageLines(n.message).map((l) => h('p.notice-text', l)),
  h('p.hint', n.current ? [t('sections.notice_current'), ' ',
    levelBadge(n.current.level, { small: true }), ' ',
    t('sections.notice_since', { at: fmtDateTime(n.current.set_at) })]
    : t('sections.no_level')));
  const more = list.slice(first);
  const rest = h('ol.notice-list', { hidden: true }, more.map(item));
  const box = h('section.notices', { 'aria-labelledby': 'notices-title',
    dataset: { count: String(list.length), unseen: String(fresh.size) } },
  h('h2', { id: 'notices-title' }, t('sections.notices_title', {
    n: list.length }), fresh.size ? h('span.tag.tag-new',
    t('sections.notices_unseen', { n: fresh.size })) : null),
  list.length ? null : h('p.hint', t('sections.notices_none')),
  h('ol.notice-list', list.slice(0, first).map(item)),
  rest,
  more.length ? h('button.link', { type: 'button', onclick: (e) => {
    rest.hidden = !rest.hidden;
    e.target.textContent = rest.hidden
      ? t('sections.notices_all', { n: list.length })
      : t('sections.notices_fewer');
  } }, t('sections.notices_all', { n: list.length })) : null);
  return box;
}
