// A patrol's page (#/patrols/ID): the header (code, type, status,
// window, nations, approvals per nation), the decisions the role and the
// status allow, the map (planned route or area, handover points, the
// tracks at the map's zoom, the linked observations), units, legs, the
// computed debrief (GET .../summary), the nations' debriefs, the tracks
// with their upload (GPX or GeoJSON) and GPX export. Kept live: a record
// of the patrol arriving (here or from the partner) reloads it.
import { h, clear, toast } from '../../core/dom.js';
import { t, fmtDateTime, fmtNumber, getLang, nation } from '../../core/i18n.js';
import { go, href } from '../../core/router.js';
import * as L from '../../map/leaflet.js';
import { createBaseMap, destroyMap } from '../../map/basemap.js';
import { symbolSvg } from '../../map/symbols.js';
import { DAY, NATION_COLOR, allowed, approvalsList, duration,
  errorText, km, legMarker, metres, nationsText, planLayer, reasonForm,
  statusBadge, subnav, typeLabel, windowText } from './common.js';
import { legsBlock, unitsBlock } from './planner.js';

const ACTIONS = ['propose', 'approve', 'reject', 'start', 'complete', 'abort'];

export function mountPatrol(el, ctx, id) {
  let p = null;
  let alive = true;
  let fitted = false;
  let trackSeq = 0;
  let trackZoom = null;
  let tracks = null;                // the FeatureCollection shown

  const title = h('h1.pt-title');
  const status = h('p.hint', { role: 'status' }, t('patrols.loading'));
  const head = h('dl.pt-dl.pt-headlist');
  const approvals = h('div.pt-approvals-box');
  const actionErr = h('p.form-error', { role: 'alert', hidden: true });
  const buttons = {};
  const actionBar = h('div.pt-actions');
  const forms = {};
  for (const a of ACTIONS) {
    buttons[a] = h(`button.${a === 'reject' || a === 'abort' ? 'danger'
      : 'primary'}`, { type: 'button', dataset: { action: a }, hidden: true,
      onclick: () => (forms[a] ? openForm(a) : decide(a).catch(() => {})) },
    t(`patrols.action.${a}`));
    actionBar.append(buttons[a]);
  }
  const planLink = h('a.button', { href: href(`patrols/${id}/plan`),
    hidden: true, dataset: { action: 'plan' } }, t('patrols.action.plan'));
  const amendLink = h('a.button', { href: href(`patrols/${id}/edit`),
    hidden: true, dataset: { action: 'amend' } }, t('patrols.action.amend'));
  actionBar.append(planLink, amendLink);
  for (const a of ['reject', 'abort']) {
    forms[a] = reasonForm({ action: a, label: t(`patrols.reason.${a}`),
      submitLabel: t(`patrols.action.${a}_confirm`),
      onSubmit: (reason) => decide(a, { reason }).then(() => closeForms()),
      onCancel: () => closeForms() });
    forms[a].hidden = true;
  }
  function openForm(a) {
    closeForms();
    actionBar.hidden = true;
    forms[a].hidden = false;
    forms[a].querySelector('textarea').focus();
  }
  function closeForms() {
    for (const f of Object.values(forms)) {
      f.hidden = true;
      f.reset();
    }
    actionBar.hidden = false;
  }

  const mapEl = h('div.pt-map.pt-patrolmap', { dataset: { tracks: '0',
    observations: '0' }, 'aria-label': t('patrols.map') });
  const legend = h('ul.pt-maplegend');
  const units = h('div.pt-units');
  const legs = h('div.pt-legs');
  const decisions = h('div.pt-decisions');
  const summaryBox = h('div.pt-summary');
  const debriefList = h('div.pt-debriefs');
  const trackList = h('div.pt-tracklist');

  // This nation's debrief.
  const dText = h('textarea', { id: 'pt-debrief', name: 'text', rows: 4,
    maxlength: 20000, required: true });
  const dErr = h('p.form-error', { role: 'alert', hidden: true });
  const debriefForm = h('form.pt-debrief-form', { hidden: true },
    h('label.field', t('patrols.debrief_add', { nation: nation(ctx.node.nation) }),
      dText, h('span.hint', t('patrols.no_personal_data'))),
    dErr, h('div.buttons', h('button.primary', { type: 'submit' },
      t('patrols.debrief_submit'))));
  debriefForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    dErr.hidden = true;
    try {
      await ctx.api.post(`/patrols/${id}/debrief`, { text: dText.value.trim() });
      debriefForm.reset();
      toast(t('patrols.debrief_saved'), 'ok');
      load();
    } catch (err) {
      dErr.textContent = errorText(err);
      dErr.hidden = false;
    }
  });

  // A track of this nation: a GPX file or GeoJSON.
  const file = h('input', { id: 'pt-track-file', type: 'file', required: true,
    accept: '.gpx,.geojson,.json,application/gpx+xml,application/geo+json,' +
      'application/json' });
  const upErr = h('p.form-error', { role: 'alert', hidden: true });
  const upReport = h('div.pt-upload-report');
  const upSubmit = h('button.primary', { type: 'submit' },
    t('patrols.track_submit'));
  const uploadForm = h('form.pt-upload-form', { hidden: true },
    h('label.field', t('patrols.track_add', { nation: nation(ctx.node.nation) }),
      file, h('span.hint', t('patrols.track_hint'))),
    upErr, h('div.buttons', upSubmit), upReport);
  uploadForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    upErr.hidden = true;
    const f = file.files?.[0];
    if (!f) return;
    upSubmit.disabled = true;
    try {
      const body = await f.text();
      const gpx = /\.gpx$/i.test(f.name) || body.trimStart().startsWith('<');
      const res = await ctx.api.raw('POST', `/patrols/${id}/track`, { body,
        type: gpx ? 'application/gpx+xml' : 'application/json' });
      const up = await res.json();
      uploadForm.reset();
      clear(upReport, uploadReport(up));
      toast(t('patrols.track_saved'), 'ok');
      load();
    } catch (err) {
      upErr.textContent = errorText(err);
      upErr.hidden = false;
    } finally {
      upSubmit.disabled = false;
    }
  });
  const exportLink = h('a.button', { href: `/api/v1/patrols/${id}/tracks.gpx`,
    download: 'tracks.gpx', hidden: true, id: 'pt-export-gpx' },
  t('patrols.export_gpx'));

  const page = h('div.pt-page.pt-patrol', { dataset: { id } },
    title, subnav(ctx, null), status,
    h('div.pt-top', head, approvals),
    actionErr, actionBar, forms.reject, forms.abort,
    h('div.pt-split',
      h('div.pt-mapcol', mapEl, legend),
      h('div.pt-sidecol',
        h('section.pt-box', h('h2', t('patrols.units')), units),
        h('section.pt-box', h('h2', t('patrols.legs')), legs),
        h('section.pt-box', h('h2', t('patrols.decisions')), decisions))),
    h('section.pt-box', h('h2', t('patrols.summary.title')), summaryBox),
    h('div.pt-split2',
      h('section.pt-box', h('h2', t('patrols.debriefs')), debriefList,
        debriefForm),
      h('section.pt-box', h('h2', t('patrols.tracks')), trackList,
        uploadForm, h('div.buttons', exportLink))));
  el.append(page);

  // The map: plan, handover points, tracks, observations.
  const base = createBaseMap(mapEl, ctx);
  const map = base.map;
  map.createPane('pt-tracks').style.zIndex = '420';
  const planGroup = L.layerGroup().addTo(map);
  const trackLayer = L.geoJSON(null, {
    pane: 'pt-tracks',
    style: (f) => ({ color: NATION_COLOR[f.properties.nation] || '#444',
      weight: 3.5, opacity: 0.9 }),
    onEachFeature: (f, layer) => layer.bindTooltip(() => h('span',
      t('patrols.track_tip', { name: f.properties.name || '',
        length: km(f.properties.length_m) })), { sticky: true }),
  }).addTo(map);
  const obsGroup = L.layerGroup().addTo(map);
  requestAnimationFrame(() => map.invalidateSize());

  async function decide(action, body) {
    actionErr.hidden = true;
    for (const b of Object.values(buttons)) b.disabled = true;
    try {
      const res = await ctx.api.post(`/patrols/${id}/${action}`, body);
      toast(t(`patrols.done.${action}`, { code: res.patrol.code }), 'ok');
      render(res.patrol);
      loadSummary();
    } catch (err) {
      actionErr.textContent = errorText(err);
      actionErr.hidden = false;
      throw err;
    } finally {
      for (const b of Object.values(buttons)) b.disabled = false;
    }
  }

  function render(next) {
    p = next;
    const may = allowed(ctx, p);
    page.dataset.status = p.status;
    document.title = `diboli — ${p.code}`;
    clear(title, p.code, ' ', statusBadge(p.status));
    const dd = (k, v) => (v === null || v === undefined || v === '' ? null
      : [h('dt', t(k)), h('dd', v)]);
    clear(head,
      dd('patrols.type', typeLabel(ctx, p.patrol_type)),
      dd('patrols.window', windowText(p)),
      dd('patrols.nations', nationsText(p.nations)),
      dd('patrols.audience', nationsText(p.audience)),
      dd('patrols.planned_by', p.origin?.name
        ? `${p.origin.name} (${nation(p.origin.nation)})` : null),
      dd('patrols.objective', p.objective),
      dd('patrols.version', t('patrols.version_text', { n: p.versions,
        at: fmtDateTime(p.updated_at) })),
      dd('patrols.observations', String(p.observations ?? 0)));
    clear(approvals, h('h2', t('patrols.approvals')), approvalsList(p));
    buttons.propose.hidden = !may.propose;
    buttons.approve.hidden = buttons.reject.hidden = !may.approve;
    buttons.start.hidden = !may.start;
    buttons.complete.hidden = !may.complete;
    buttons.abort.hidden = !may.abort;
    planLink.hidden = !may.plan;
    amendLink.hidden = !may.amend;
    if (!may.approve) forms.reject.hidden = true;
    if (!may.abort) forms.abort.hidden = true;
    if (forms.reject.hidden && forms.abort.hidden) actionBar.hidden = false;
    clear(units, unitsBlock(p));
    clear(legs, legsBlock(p));
    clear(decisions, decisionsBlock(p));
    clear(debriefList, debriefsBlock(p));
    debriefForm.hidden = !may.debrief;
    uploadForm.hidden = !may.track;

    planGroup.clearLayers();
    const pl = planLayer(p.geometry);
    if (pl) {
      pl.bindTooltip(() => h('span', t('patrols.planned_tip', { code: p.code })),
        { sticky: true });
      pl.addTo(planGroup);
      if (!fitted) {
        map.fitBounds(pl.getBounds(), { padding: [30, 30], maxZoom: 12 });
        fitted = true;
      }
    }
    for (const l of p.legs || []) if (l.geometry) legMarker(l).addTo(planGroup);
    clear(legend,
      h('li', h('span.pt-key.pt-key-plan'), t(p.geometry?.type === 'Polygon'
        ? 'patrols.key.area' : 'patrols.key.route')),
      p.nations.map((n) => h('li', h(`span.pt-key.pt-key-${n}`),
        t('patrols.key.track', { nation: nation(n) }))),
      h('li', h('span.pt-key.pt-key-leg'), t('patrols.key.leg')),
      h('li', h('span.pt-key.pt-key-obs'), t('patrols.key.obs')));
  }

  async function loadTracks() {
    const z = Math.max(5, Math.min(18, Math.round(map.getZoom())));
    if (z === trackZoom && tracks) return;
    const my = ++trackSeq;
    try {
      const fc = await ctx.api.get(`/patrols/${id}/tracks?zoom=${z}`);
      if (!alive || my !== trackSeq) return;
      trackZoom = z;
      tracks = fc;
      trackLayer.clearLayers();
      trackLayer.addData(fc);
      mapEl.dataset.tracks = String(fc.features.length);
      mapEl.dataset.trackZoom = String(z);
      clear(trackList, tracksBlock(fc));
      exportLink.hidden = !(allowed(ctx, p || {}).export && fc.features.length);
      exportLink.download = `${p?.code || 'patrol'}.gpx`;
    } catch (err) {
      if (alive) clear(trackList, h('p.form-error', errorText(err)));
    }
  }
  map.on('zoomend', () => loadTracks());

  // The records linked to the patrol: those the page holds, and those of
  // the patrol's window (a day either side) when some are missing.
  async function loadObservations() {
    const linked = (f) => f.properties?.patrol === id &&
      !String(f.properties.category || '').startsWith('patrol.');
    const found = new Map();
    for (const f of ctx.records?.list() || []) if (linked(f)) found.set(f.id, f);
    if (found.size < (p.observations || 0)) {
      const a = new Date(Date.parse(p.window_start) - DAY).toISOString();
      const b = new Date(Date.parse(p.window_end) + DAY).toISOString();
      try {
        const fc = await ctx.api.get(`/records?datetime=${a}/${b}&limit=10000`);
        for (const f of fc.features || []) if (linked(f)) found.set(f.id, f);
      } catch { /* the markers of the page's records stay */ }
    }
    if (!alive) return;
    obsGroup.clearLayers();
    let n = 0;
    for (const f of found.values()) {
      if (f.geometry?.type !== 'Point') continue;
      const [x, y] = f.geometry.coordinates;
      const q = f.properties;
      const m = L.marker([y, x], {
        icon: L.divIcon({ className: 'rec pt-obs', html: symbolSvg(
          ctx.model.root(q.category), q.precedence, { size: 22,
            incident: q.kind === 'incident' }), iconSize: [22, 22],
        iconAnchor: [11, 11] }),
        keyboard: false,
      });
      m.bindTooltip(() => h('span', `${ctx.model.label(q.category)} — ` +
        fmtDateTime(q.observed_at)));
      m.on('click', () => go('map', { record: f.id }));
      m.addTo(obsGroup);
      n++;
    }
    mapEl.dataset.observations = String(n);
  }

  async function loadSummary() {
    try {
      const s = await ctx.api.get(`/patrols/${id}/summary`);
      if (alive) clear(summaryBox, summaryBlock(ctx, s));
    } catch (err) {
      if (alive) clear(summaryBox, h('p.form-error', errorText(err)));
    }
  }

  async function load() {
    try {
      const next = await ctx.api.get(`/patrols/${id}`);
      if (!alive) return;
      status.textContent = '';
      render(next);
      tracks = null;
      loadTracks();
      loadSummary();
      loadObservations();
    } catch (err) {
      if (!alive) return;
      status.textContent = err.status === 404 ? t('patrols.not_here')
        : t('patrols.load_error', { msg: errorText(err) });
    }
  }

  load();
  const off = ctx.onPatrols(() => load());
  return {
    unmount() {
      alive = false;
      off();
      destroyMap(map);
      document.title = `diboli — ${ctx.node.name}`;
    },
  };
}

function decisionsBlock(p) {
  const list = p.actions || [];
  if (!list.length) return h('p.hint', t('patrols.no_decisions'));
  return h('ol.pt-history', list.map((a) => h('li', {
    class: a.counts ? null : 'pt-nocount', dataset: { action: a.action,
      nation: a.nation } },
  h('strong', t(`patrols.act.${a.action}`)), ' — ', nation(a.nation), ' — ',
  fmtDateTime(a.at),
  a.reason ? h('div.pt-reason-text', a.reason) : null,
  a.counts ? null : h('div.hint', t('patrols.not_counting')))));
}

function debriefsBlock(p) {
  const list = p.debriefs || [];
  if (!list.length) return h('p.hint', t('patrols.no_debriefs'));
  return list.map((d) => h('article.pt-debrief', { dataset: { nation: d.nation } },
    h('h3', t('patrols.debrief_of', { nation: nation(d.nation),
      at: fmtDateTime(d.at) })), h('p', d.text)));
}

function tracksBlock(fc) {
  if (!fc.features.length) return h('p.hint', t('patrols.no_tracks'));
  return h('ul.pt-tracks', fc.features.map((f) => {
    const q = f.properties;
    return h('li', { dataset: { nation: q.nation } },
      h(`span.pt-key.pt-key-${q.nation}`), h('strong', q.name || q.track_id),
      ' — ', t('patrols.track_line', { length: km(q.length_m),
        points: fmtNumber(q.points), moving: duration(q.moving_s),
        total: duration(q.total_s) }),
      q.time_start ? h('div.hint', t('patrols.window_text', {
        start: fmtDateTime(q.time_start), end: fmtDateTime(q.time_end) }))
        : null);
  }));
}

function uploadReport(up) {
  const r = up.report || {};
  return [h('p', t('patrols.upload.done', { points: fmtNumber(up.points),
    length: km(up.length_m), pieces: (up.pieces || []).length })),
  h('ul.pt-cleaning', ['points_in', 'points_kept', 'out_of_order',
    'duplicates', 'spikes', 'no_time', 'time_gaps', 'jumps', 'segments']
    .map((k) => h('li', t('patrols.upload.item', {
      label: t(`patrols.upload.${k}`), n: fmtNumber(r[k] ?? 0) }))))];
}

// The computed debrief: everything from the records the node holds.
function summaryBlock(ctx, s) {
  const en = getLang() === 'en';
  const stat = (k, v) => [h('dt', t(`patrols.summary.${k}`)), h('dd', v)];
  const dev = (d) => {
    if (!d) return '—';
    if (d.plan === 'route')
      return t('patrols.summary.dev_route', { mean: metres(d.mean_m),
        max: metres(d.max_m) });
    return t('patrols.summary.dev_area', { share: fmtNumber(
      (d.share_inside || 0) * 100, { maximumFractionDigits: 1 }),
    points: fmtNumber(d.points_inside || 0) });
  };
  const out = [];
  const any = s.tracks > 0;
  if (!any) out.push(h('p.hint', t('patrols.summary.no_tracks')));
  const planned = stat('plan', s.plan?.length_m ? km(s.plan.length_m) : '—');
  out.push(h('dl.pt-dl.pt-stats', any ? [
    stat('distance', km(s.distance_m)),
    stat('moving', duration(s.moving_s)),
    stat('total', duration(s.total_s)),
    planned,
    stat('deviation', dev(s.deviation)),
    stat('points', t('patrols.summary.points_text', {
      points: fmtNumber(s.points), tracks: s.tracks, pieces: s.pieces })),
    s.t_start ? stat('times', t('patrols.window_text', {
      start: fmtDateTime(s.t_start), end: fmtDateTime(s.t_end) })) : null,
  ] : planned));
  const nats = Object.entries(s.nations || {});
  if (any && nats.length) {
    out.push(h('h3', t('patrols.summary.by_nation')), h('table.pt-table',
      h('thead', h('tr', ['nation', 'distance', 'moving', 'total', 'points',
        'deviation'].map((k) => h('th', { scope: 'col' },
        t(`patrols.summary.col.${k}`))))),
      h('tbody', nats.map(([n, v]) => h('tr', { dataset: { nation: n } },
        h('td', nation(n)), h('td', km(v.distance_m)),
        h('td', duration(v.moving_s)), h('td', duration(v.total_s)),
        h('td', fmtNumber(v.points)), h('td', dev(v.deviation)))))));
  }
  if (any) {
    out.push(h('h3', t('patrols.summary.sections',
      { buffer: metres(s.buffer_m) })),
    s.sections?.length ? h('ul.pt-sections', s.sections.map((x) => h('li',
      { dataset: { section: x.id } }, h('strong', x.id), ' ',
      (en ? x.name_en : x.name_fr) || '', ' — ',
      t('patrols.summary.section_line', { length: km(x.length_within_m),
        closest: metres(x.closest_m) }))))
      : h('p.hint', t('patrols.summary.no_sections')));
  }
  out.push(h('h3', t('patrols.summary.observations', { n: s.observations })),
    s.observations_by_category?.length ? h('ul.pt-obscats',
      s.observations_by_category.map((c) => h('li',
        { dataset: { category: c.category } },
        t('common.label_value', { label: (en ? c.label_en : c.label_fr) ||
          ctx.model.label(c.category), value: fmtNumber(c.count) }))))
      : h('p.hint', t('patrols.summary.no_observations')));
  const dn = {};
  for (const d of s.debriefs || []) dn[d.nation] = (dn[d.nation] || 0) + 1;
  out.push(h('h3', t('patrols.summary.debriefs')), h('p',
    { class: Object.keys(dn).length ? null : 'hint' },
    Object.keys(dn).length ? Object.entries(dn).map(([n, c]) =>
      t('patrols.summary.debriefs_of', { nation: nation(n), n: c })).join(' · ')
      : t('patrols.no_debriefs')));
  const clean = s.cleaning || {};
  if (any) {
    out.push(h('h3', t('patrols.summary.cleaning')), h('ul.pt-cleaning',
      ['out_of_order', 'duplicates', 'spikes', 'gaps', 'no_time',
        'invalid_pieces'].map((k) => h('li', { dataset: { key: k } },
        t('patrols.upload.item', { label: t(`patrols.summary.clean.${k}`),
          n: fmtNumber(clean[k] ?? 0) })))));
  }
  return out;
}
