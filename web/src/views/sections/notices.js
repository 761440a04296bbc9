// The partner's notices (GET /api/v1/notifications, `section`
// permission): when the partner raises its side of a section to medium
// or more, its node sends this nation's commanders a notice by sync.
// Notices carry no "read" mark on the node (docs/sections.md), so this
// browser remembers which ones the user has seen (per node and login,
// in localStorage); the navigation counts the others.
import { h } from '../../core/dom.js';
import { t, getLang, nation, fmtDateTime } from '../../core/i18n.js';
import { href } from '../../core/router.js';
import { levelBadge } from './common.js';

const KEEP = 500;                // seen ids remembered
const SEEN_EVENT = 'diboli:notices-seen';

function key(ctx) {
  return `diboli.notices.seen.${ctx.node?.node || ''}.${ctx.session?.login || ''}`;
}

function seenIds(ctx) {
  try {
    const v = JSON.parse(localStorage.getItem(key(ctx)) || '[]');
    return new Set(Array.isArray(v) ? v : []);
  } catch {
    return new Set();
  }
}

export function unseen(ctx, list) {
  const seen = seenIds(ctx);
  return list.filter((n) => !seen.has(n.id));
}

// Remember every notice of list as seen; the badge follows.
export function markSeen(ctx, list) {
  const seen = seenIds(ctx);
  let added = false;
  for (const n of list) {
    if (!seen.has(n.id)) {
      seen.add(n.id);
      added = true;
    }
  }
  if (!added) return;
  try {
    localStorage.setItem(key(ctx), JSON.stringify([...seen].slice(-KEEP)));
  } catch { /* private mode: the count lasts the visit */ }
  window.dispatchEvent(new Event(SEEN_EVENT));
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
