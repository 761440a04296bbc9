// Map and timeline: every record the user may see, by category and
// precedence, clustered when dense; the border sections coloured by the
// two sides' levels; posts, HQs, the corridor, river stations; a time
// slider and filters; the feed beside the map; a record's detail.
import { h } from '../core/dom.js';
import { t, fmtNumber, fmtDate } from '../core/i18n.js';
import { href } from '../core/router.js';
import { createBaseMap, destroyMap } from '../map/basemap.js';
import { RecordsLayer, CLUSTER_MAX_ZOOM } from '../map/records-layer.js';
import { Timeline, PRESETS } from '../components/timeline.js';
import { Feed } from '../components/feed.js';
import { renderDetail } from '../components/detail.js';
import { Filters, defaultState, passes } from '../components/filters.js';

export default {
  id: 'map',
  perm: 'read',
  nav: true,
  label: 'nav.map',

  mount(el, ctx, params) {
    const s = ctx.mapState || (ctx.mapState = defaultState());
    if (params.window && PRESETS.some(([k]) => k === params.window)) {
      s.preset = params.window;
      s.win = null;
    }
    const mapEl = h('div.map', { id: 'map', role: 'region',
      'aria-label': t('map.title'), dataset: { ready: '0' } });
    const status = h('div.map-status', { role: 'status' });
    const tlEl = h('div.timeline');
    const filterEl = h('aside.filters', { 'aria-label': t('filters.title') });
    const feedEl = h('div.feed');
    const detailEl = h('div.detail', { hidden: true });
    const side = h('aside.side', feedEl, detailEl);
    el.append(h('div.mapview', filterEl,
      h('section.mapcol', h('div.mapwrap', mapEl, status), tlEl), side));

    const base = createBaseMap(mapEl, ctx);
    const label = (f) => ctx.model.label(f.properties.category);
    let selected = null;
    const select = (id, { fly = true } = {}) => {
      selected = id;
      layer.select(id);
      feed.select(id);
      history.replaceState(null, '', href('map', id ? { record: id } : null));
      if (!id) {
        detailEl.hidden = true;
        feedEl.hidden = false;
        delete detailEl.dataset.id;
        return;
      }
      const show = (f) => {
        if (selected !== id || !alive) return;
        feedEl.hidden = true;
        detailEl.hidden = false;
        renderDetail(detailEl, ctx, f, {
          onBack: () => select(null),
          onSelect: (other) => select(other),
        });
        const g = f.geometry;
        if (fly && g && g.type === 'Point') {
          const ll = [g.coordinates[1], g.coordinates[0]];
          const z = Math.max(base.map.getZoom(), CLUSTER_MAX_ZOOM + 1);
          base.map.flyTo(ll, z, { duration: 0.6 });
        }
      };
      const f = ctx.records.get(id);
      if (f) show(f);
      else ctx.api.get(`/records/${id}`).then(show).catch(() => select(null));
    };
    const layer = new RecordsLayer(base.map, { onSelect: (id) => select(id, { fly: false }),
      label });
    base.control.addOverlay(layer.group, t('map.layer.records'));
    const feed = new Feed(feedEl, ctx, { onSelect: (id) => select(id) });
    const filters = new Filters(filterEl, ctx, s, () => refresh(true));
    const timeline = new Timeline(tlEl, {
      onWindow: (win, preset) => {
        s.win = win;
        s.preset = preset;
        const end = ctx.records.newestLocated() ?? ctx.records.range()?.[1];
        s.follow = end !== undefined && end !== null && win[1] >= end;
        refresh(false);
      },
    });

    let alive = true;
    let lastVersion = -1;
    function refresh(filtersChanged) {
      const store = ctx.records;
      const all = store.list();
      const range = store.range();
      // The window: the preset ending at the newest record, and
      // following new records while it ends there.
      if (range) {
        const len = PRESETS.find(([k]) => k === s.preset)?.[1];
        const end = store.newestLocated() ?? range[1];
        if (!s.win) {
          s.win = len === undefined || len === Infinity ? [range[0], range[1]]
            : [end - len, end];
          s.follow = true;
        } else if (s.preset === 'all') {
          s.win = [range[0], range[1]];
        } else if (s.follow && end > s.win[1]) {
          const l = s.win[1] - s.win[0];
          s.win = [end - l, end];
        }
      }
      const kept = all.filter((f) => passes(f, s, ctx));
      const win = s.win || [0, Infinity];
      const shown = kept.filter((f) => f._t >= win[0] && f._t <= win[1]);
      if (filtersChanged || store.version !== lastVersion) {
        timeline.setData(kept, range);
        filters.options(all);
      }
      timeline.setWindow(win, false);
      for (const b of timeline.buttons)
        b.setAttribute('aria-pressed', String(b.dataset.preset === s.preset));
      lastVersion = store.version;
      filters.counts(all.filter((f) => f._t >= win[0] && f._t <= win[1]));
      layer.setData(shown);
      feed.render(shown);
      base.setSectionLevels(sectionLevels(all));
      status.replaceChildren(
        t('map.status', { shown: fmtNumber(shown.length), loaded: fmtNumber(all.length) }),
        range ? ` · ${t('map.loaded_since', { date: fmtDate(range[0]) })}` : '',
        store.loading ? ` · ${t('map.loading')}` : '',
        store.error ? ` · ${t('map.error', { msg: store.error.message })}` : '',
        !store.loading && store.next ? h('button.link', { type: 'button',
          onclick: () => store.loadMore() }, t('map.load_older')) : '');
      mapEl.dataset.loading = store.loading ? '1' : '0';
      mapEl.dataset.total = String(all.length);
    }

    const offRecords = ctx.records.on(() => refresh(false));
    const offPatrols = ctx.onPatrols(() => refresh(true));
    refresh(true);
    if (params.record) select(params.record);
    // Leaflet measures its box: once laid out.
    requestAnimationFrame(() => base.map.invalidateSize());

    return {
      update(p) {
        if (p.record && p.record !== selected) select(p.record);
        if (!p.record && selected) select(null);
      },
      unmount() {
        alive = false;
        offRecords();
        offPatrols();
        timeline.destroy();
        layer.remove();
        destroyMap(base.map);
      },
    };
  },
};

// The level each side set for each section: the newest section.status
// record of each (section, nation of the node that signed it).
export function sectionLevels(all) {
  const m = new Map();
  const seen = new Map();
  for (const f of all) {
    if (f._cat !== 'section.status') continue;
    const a = f.properties.attributes || {};
    const k = `${a.section}|${f.properties.origin?.nation}`;
    if (!seen.has(k) || seen.get(k) < f._t) {
      seen.set(k, f._t);
      m.set(k, a.level);
    }
  }
  return m;
}
