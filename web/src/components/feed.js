// The feed beside the map: the records that pass the filters, newest
// first; a record that came in live is marked new. Shows 100 at a time.
import { h, clear } from '../core/dom.js';
import { t, fmtDateTime, fmtNumber, nation } from '../core/i18n.js';
import { symbolEl } from '../map/symbols.js';
import { recordSummary } from './format.js';

const PAGE = 100;

export class Feed {
  constructor(el, ctx, { onSelect }) {
    this.el = el;
    this.ctx = ctx;
    this.onSelect = onSelect;
    this.shown = PAGE;
    this.items = [];
    this.selected = null;
    this.count = h('p.feed-count');
    this.list = h('ol.feed-list', { 'aria-label': t('feed.title') });
    this.more = h('button.feed-more', { type: 'button', hidden: true,
      onclick: () => {
        this.shown += PAGE;
        this.render(this.items);
      } }, t('feed.more'));
    el.append(h('h2.side-title', t('feed.title')), this.count, this.list,
      this.more);
  }

  render(items) {
    this.items = items;
    const { model, records } = this.ctx;
    this.count.textContent = t('feed.count', { n: fmtNumber(items.length) });
    const rows = items.slice(0, this.shown).map((f) => {
      const p = f.properties;
      return h('li.feed-item', {
        class: [records.isFresh(f.id) ? 'fresh' : '',
          f.id === this.selected ? 'selected' : ''].join(' '),
        dataset: { id: f.id, category: p.category || '' },
        tabindex: 0,
        onclick: () => this.onSelect(f.id),
        onkeydown: (e) => {
          if (e.key === 'Enter') this.onSelect(f.id);
        },
      },
      symbolEl(f._root, f._prec, { size: 18, incident: p.kind === 'incident' }),
      h('div.feed-body',
        h('div.feed-line',
          h('strong.feed-cat', model.label(p.category)),
          records.isFresh(f.id) ? h('span.tag.tag-new', t('feed.new')) : null),
        h('div.feed-meta', fmtDateTime(p.observed_at), ' · ',
          h('span.prec', { class: `prec-${f._prec}` }, t(`precedence.${f._prec}`)),
          ' · ', nation(p.origin?.nation)),
        h('div.feed-sum', recordSummary(model, f))));
    });
    clear(this.list, rows);
    this.more.hidden = items.length <= this.shown;
    if (!items.length) this.list.append(h('li.feed-empty', t('feed.empty')));
  }

  select(id) {
    this.selected = id;
    for (const li of this.list.children)
      li.classList.toggle('selected', li.dataset.id === id);
  }
}
