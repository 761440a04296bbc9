// The planner. Step 1 (#/patrols/new): code, type, objective, window
// (UTC), nations, audience (with the warning that a release to the
// partner cannot be recalled) and the route drawn on the map by clicks
// (a LineString, undo the last point) or an area (a Polygon), the border
// sections shown for orientation; it makes the draft (POST
// /api/v1/patrols). The same form at #/patrols/ID/edit, filled from the
// plan, makes a new version of it (PATCH /api/v1/patrols/ID: the answer
// to a rejection; the approvals start over, the audience only widens).
// Step 2 (#/patrols/ID/plan): this node's nation's units (the partner
// adds its own on its node), legs with their handover point by a map
// click, then the proposal.
import { h, clear, toast } from '../../core/dom.js';
import { t, text, fmtDateTime, nation } from '../../core/i18n.js';
import { go, href } from '../../core/router.js';
import { parseLocation, toMgrs, spaceMgrs, fmtLatLon } from '../../core/geo.js';
import * as L from '../../map/leaflet.js';
import { createBaseMap, destroyMap } from '../../map/basemap.js';
import { DAY, PLAN_COLOR, allowed, errorText, fromInput, inputValue, km,
  legMarker, nationsText, patrolHref, planAttr, planLayer, planNations,
  statusBadge, subnav, typeLabel, windowText } from './common.js';

const round = (v) => Math.round(v * 1e6) / 1e6;

// The audiences a plan of these nations may have: the nations
// themselves, or the tripartite framework around them; with keep (a new
// version's), only those that hold all of it, and keep itself first.
function audiences(own, nations, keep) {
  const n = [...nations].sort();
  let out = [n];
  const tri = ['ML', 'MR', 'SN'];
  if (tri.includes(own) && n.every((x) => tri.includes(x)) &&
      n.join() !== tri.join()) out.push(tri);
  if (keep) {
    const k = [...keep].sort();
    out = [k, ...out.filter((a) => a.join() !== k.join() &&
      k.every((x) => a.includes(x)))];
  }
  return out;
}

// Show err on the field it names (data-field), and in box.
function showError(form, box, err) {
  for (const e of form.querySelectorAll('.invalid'))
    e.classList.remove('invalid');
  for (const e of form.querySelectorAll('.field-error')) e.textContent = '';
  const f = err.field && form.querySelector(
    `[data-field="${CSS.escape(err.field)}"]`);
  if (f) {
    f.classList.add('invalid');
    const p = f.querySelector('.field-error');
    if (p) p.textContent = err.message;
  }
  box.textContent = t('patrols.error', { msg: errorText(err) });
  box.hidden = false;
}

function field(name, label, input, hint) {
  return h('label.field', { dataset: { field: name } }, h('span.label', label),
    input, hint ? h('span.hint', hint) : null, h('p.field-error'));
}

// The next free code "JP-NNN" after the patrols this node holds.
function nextCode(ctx) {
  let max = 0;
  for (const p of ctx.patrols.values()) {
    const m = /^JP-(\d+)$/.exec(p.code || '');
    if (m) max = Math.max(max, Number(m[1]));
  }
  return `JP-${String(max + 1).padStart(3, '0')}`;
}

export function mountPlanner(el, ctx, params, id) {
  const own = ctx.node.nation;
  let keep = null;                   // a new version: the old audience
  const partner = ctx.partners.find((n) => n !== own);
  const start0 = Math.floor(Date.now() / DAY) * DAY + DAY + 6 * 3600000;
  const attr = (k) => planAttr(ctx, k);

  const code = h('input', { id: 'pt-code', name: 'code', required: true,
    maxlength: 32, value: nextCode(ctx) });
  const type = h('select', { id: 'pt-type', name: 'patrol_type',
    required: true }, h('option', { value: '' }, '—'),
  (attr('patrol_type')?.values || []).map((v) => h('option', { value: v.id },
    text(v.label))));
  const objective = h('textarea', { id: 'pt-objective', name: 'objective',
    rows: 3, maxlength: 2000 });
  const wStart = h('input', { id: 'pt-start', name: 'window_start',
    type: 'datetime-local', step: 60, required: true,
    value: inputValue(start0) });
  const wEnd = h('input', { id: 'pt-end', name: 'window_end',
    type: 'datetime-local', step: 60, required: true,
    value: inputValue(start0 + 12 * 3600000) });
  const nationBoxes = planNations(ctx).map((n) => h('label.pt-check',
    h('input', { type: 'checkbox', name: 'nations', value: n,
      checked: n === own || n === partner, disabled: n === own,
      onchange: () => renderAudience() }), ' ', nation(n)));
  const audBox = h('div.pt-radios');
  const audWarn = h('p.warning', { role: 'alert', hidden: true });
  const shapeBox = h('div.pt-radios', { role: 'radiogroup' },
    ['line', 'area'].map((s) => h('label.radio', h('input', { type: 'radio',
      name: 'shape', value: s, checked: s === 'line',
      onchange: () => redraw() }), ' ', t(`patrols.plan.shape_${s}`))));
  const mapEl = h('div.pt-map.pt-planmap', { dataset: { points: '0' },
    'aria-label': t('patrols.plan.map_hint') });
  const counter = h('output.pt-counter', { id: 'pt-points' });
  const undo = h('button', { type: 'button', id: 'pt-undo', disabled: true,
    onclick: () => {
      pts.pop();
      redraw();
    } }, t('patrols.plan.undo'));
  const wipe = h('button', { type: 'button', id: 'pt-clear', disabled: true,
    onclick: () => {
      pts.length = 0;
      redraw();
    } }, t('patrols.plan.clear'));
  const errorBox = h('p.form-error', { role: 'alert', hidden: true });
  const submit = h('button.primary', { type: 'submit' },
    t('patrols.plan.submit'));

  const details = h('div.pt-plancol',
    h('div.pt-grid2',
      field('code', text(attr('code')?.label), code,
        text(attr('code')?.description)),
      field('patrol_type', text(attr('patrol_type')?.label), type)),
    field('objective', text(attr('objective')?.label), objective,
      text(attr('objective')?.description)),
    h('div.pt-grid2',
      field('window_start', t('patrols.plan.start_utc'), wStart),
      field('window_end', t('patrols.plan.end_utc'), wEnd)),
    h('fieldset', { dataset: { field: 'nations' } },
      h('legend', text(attr('nations')?.label)),
      h('div.checks', nationBoxes),
      h('p.hint', t('patrols.plan.nations_hint', { nation: nation(own) })),
      h('p.field-error')),
    h('fieldset', { dataset: { field: 'audience' } },
      h('legend', t('patrols.plan.audience')), audBox, audWarn,
      h('p.field-error')));
  const where = h('div.pt-plancol',
    h('fieldset', { dataset: { field: 'geometry' } },
      h('legend', t('patrols.plan.geometry')), shapeBox,
      h('p.hint', t('patrols.plan.map_hint')), mapEl,
      h('div.pt-drawbar', counter, undo, wipe), h('p.field-error')));
  const form = h('form.pt-planner', { autocomplete: 'off' },
    h('p.notice', { role: 'note' }, `⚠ ${text(ctx.model.notice)}`),
    h('div.pt-plancols', details, where),
    errorBox,
    h('div.buttons', submit, h('a.button', { href: id ? patrolHref(id)
      : href('patrols') }, t('common.cancel'))));

  const title = h('h1', t('patrols.plan.title'));
  const editNote = h('p.notice.pt-edit-note', { role: 'note', hidden: !id },
    t('patrols.plan.edit_hint'));
  el.append(h('div.pt-page', title, subnav(ctx, id ? '' : 'new'),
    id ? editNote : h('ol.pt-steps', h('li.active', t('patrols.plan.step1')),
      h('li', t('patrols.plan.step2')), h('li', t('patrols.plan.step3'))),
    form));
  if (id) {
    submit.textContent = t('patrols.plan.submit_edit');
    submit.disabled = true;        // until the plan is loaded
  }

  function chosenNations() {
    return nationBoxes.map((l) => l.querySelector('input'))
      .filter((i) => i.checked).map((i) => i.value);
  }

  function renderAudience() {
    const prev = form.querySelector('input[name=audience]:checked')?.value;
    const list = audiences(own, chosenNations(), keep);
    clear(audBox, list.map((a, i) => h('label.radio', h('input', {
      type: 'radio', name: 'audience', value: a.join(','),
      checked: prev ? prev === a.join(',') : i === 0,
      onchange: () => syncWarning() }), ' ',
    a.length === 1 ? t('patrols.plan.audience_national', { nation: nation(a[0]) })
      : i === 0 ? t('patrols.plan.audience_nations', { nations: nationsText(a) })
        : t('patrols.plan.audience_wider', { nations: nationsText(a) }))));
    if (!form.querySelector('input[name=audience]:checked'))
      audBox.querySelector('input').checked = true;
    syncWarning();
  }

  function audience() {
    return (form.querySelector('input[name=audience]:checked')?.value || '')
      .split(',').filter(Boolean);
  }

  function syncWarning() {
    const others = audience().filter((n) => n !== own);
    audWarn.hidden = !others.length;
    audWarn.textContent = t('patrols.plan.release_warning',
      { nations: nationsText(others) });
  }

  // The drawing: points clicked on the map, as a line or an area.
  const base = createBaseMap(mapEl, ctx);
  const pts = [];
  const drawn = L.layerGroup().addTo(base.map);
  const shape = () => form.querySelector('input[name=shape]:checked').value;
  function redraw() {
    drawn.clearLayers();
    const area = shape() === 'area';
    if (pts.length >= 2) {
      (area && pts.length >= 3 ? L.polygon(pts, { color: PLAN_COLOR, weight: 3,
        fillOpacity: 0.12, dashArray: '9 6', interactive: false })
        : L.polyline(pts, { color: PLAN_COLOR, weight: 4, dashArray: '9 6',
          interactive: false })).addTo(drawn);
    }
    for (const p of pts) {
      L.circleMarker(p, { radius: 5, color: '#fff', weight: 2,
        fillColor: PLAN_COLOR, fillOpacity: 1, interactive: false })
        .addTo(drawn);
    }
    let len = 0;
    for (let i = 1; i < pts.length; i++)
      len += base.map.distance(pts[i - 1], pts[i]);
    counter.textContent = area ? t('patrols.plan.vertices', { n: pts.length })
      : t('patrols.plan.points', { n: pts.length, length: km(len) });
    mapEl.dataset.points = String(pts.length);
    undo.disabled = wipe.disabled = !pts.length;
  }
  base.map.on('click', (e) => {
    pts.push([round(e.latlng.lat), round(e.latlng.lng)]);
    redraw();
  });
  requestAnimationFrame(() => base.map.invalidateSize());
  renderAudience();
  redraw();

  // A new version: the form filled from the current plan.
  let alive = true;
  async function loadPlan() {
    let p;
    try {
      p = await ctx.api.get(`/patrols/${id}`);
    } catch (err) {
      if (alive) showError(form, errorBox, err);
      return;
    }
    if (!alive) return;
    title.textContent = t('patrols.plan.title_edit', { code: p.code });
    code.value = p.code || '';
    type.value = p.patrol_type || '';
    objective.value = p.objective || '';
    wStart.value = inputValue(Date.parse(p.window_start));
    wEnd.value = inputValue(Date.parse(p.window_end));
    for (const l of nationBoxes) {
      const box = l.querySelector('input');
      box.checked = box.value === own || (p.nations || []).includes(box.value);
    }
    keep = p.audience || null;
    clear(audBox);
    renderAudience();
    const g = p.geometry;
    const ring = g?.type === 'Polygon' ? g.coordinates[0].slice(0, -1)
      : g?.type === 'LineString' ? g.coordinates : [];
    pts.length = 0;
    for (const [lo, la] of ring) pts.push([la, lo]);
    form.querySelector(`input[name=shape][value=${g?.type === 'Polygon'
      ? 'area' : 'line'}]`).checked = true;
    redraw();
    const pl = planLayer(g, { interactive: false });
    if (pl) base.map.fitBounds(pl.getBounds(), { padding: [30, 30],
      maxZoom: 12 });
    if (allowed(ctx, p).amend) {
      submit.disabled = false;
    } else {
      errorBox.textContent = t('patrols.plan.edit_forbidden');
      errorBox.hidden = false;
    }
  }
  if (id) loadPlan();

  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    errorBox.hidden = true;
    if (!form.reportValidity()) return;
    const area = shape() === 'area';
    if (pts.length < (area ? 3 : 2)) {
      showError(form, errorBox, { field: 'geometry',
        message: t(area ? 'patrols.plan.need_area' : 'patrols.plan.need_line') });
      return;
    }
    const coords = pts.map(([la, lo]) => [lo, la]);
    const body = {
      code: code.value.trim(),
      patrol_type: type.value,
      window_start: fromInput(wStart.value),
      window_end: fromInput(wEnd.value),
      nations: chosenNations(),
      audience: audience(),
      geometry: area ? { type: 'Polygon', coordinates: [[...coords, coords[0]]] }
        : { type: 'LineString', coordinates: coords },
    };
    if (objective.value.trim()) body.objective = objective.value.trim();
    submit.disabled = true;
    try {
      if (id) {
        await ctx.api.patch(`/patrols/${id}`, body);
        toast(t('patrols.plan.edited', { code: body.code }), 'ok');
        go(`patrols/${id}`);
      } else {
        const res = await ctx.api.post('/patrols', body);
        toast(t('patrols.plan.saved', { code: body.code }), 'ok');
        go(`patrols/${res.id}/plan`);
      }
    } catch (err) {
      showError(form, errorBox, err);
    } finally {
      submit.disabled = false;
    }
  });

  return {
    unmount() {
      alive = false;
      destroyMap(base.map);
    },
  };
}

// Step 2: units, legs, proposal.
export function mountPlanStep(el, ctx, id) {
  const own = ctx.node.nation;
  const uAttr = (k) => ctx.model.attribute('patrol.unit', k);
  const lAttr = (k) => ctx.model.attribute('patrol.leg', k);
  let p = null;
  let alive = true;
  let point = null;                  // [lat, lon] of the next leg

  const title = h('h1', t('patrols.plan.title_units'));
  const head = h('div.pt-head');
  const mapEl = h('div.pt-map.pt-planmap', { 'aria-label':
    t('patrols.plan.leg_map_hint') });
  const unitsList = h('div.pt-units');
  const legsList = h('div.pt-legs');
  const status = h('p.hint', { role: 'status' });

  // Units of this node's nation.
  const uUnit = h('input', { id: 'pt-unit', name: 'unit', required: true,
    maxlength: 200 });
  const uLeader = h('input', { id: 'pt-leader', name: 'leader',
    maxlength: 60 });
  const uStrength = h('input', { id: 'pt-strength', name: 'strength',
    type: 'number', min: 1, max: 10000, step: 1, inputmode: 'numeric' });
  const uErr = h('p.form-error', { role: 'alert', hidden: true });
  const unitForm = h('form.pt-unit-form', { autocomplete: 'off' },
    h('h3', t('patrols.plan.unit_add', { nation: nation(own) })),
    field('unit', text(uAttr('unit')?.label), uUnit,
      text(uAttr('unit')?.description)),
    h('div.pt-grid2',
      field('leader', text(uAttr('leader')?.label), uLeader,
        text(uAttr('leader')?.description)),
      field('strength', text(uAttr('strength')?.label), uStrength)),
    uErr, h('div.buttons', h('button.primary', { type: 'submit' },
      t('patrols.plan.unit_submit'))));
  unitForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    uErr.hidden = true;
    const body = { unit: uUnit.value.trim() };
    if (uLeader.value.trim()) body.leader = uLeader.value.trim();
    if (uStrength.value) body.strength = Number(uStrength.value);
    try {
      const res = await ctx.api.post(`/patrols/${id}/units`, body);
      unitForm.reset();
      render(res.patrol);
      toast(t('patrols.plan.unit_saved'), 'ok');
    } catch (err) {
      showError(unitForm, uErr, err);
    }
  });

  // Legs, with the handover point clicked on the map (or typed).
  const lSeq = h('input', { id: 'pt-seq', name: 'seq', type: 'number',
    min: 1, max: 1000, step: 1, required: true, value: 1 });
  const lLead = h('select', { id: 'pt-lead', name: 'lead_nation',
    required: true });
  const lStart = h('input', { id: 'pt-leg-start', name: 'start',
    type: 'datetime-local', step: 60 });
  const lEnd = h('input', { id: 'pt-leg-end', name: 'end',
    type: 'datetime-local', step: 60 });
  const lRemarks = h('textarea', { id: 'pt-remarks', name: 'remarks', rows: 2,
    maxlength: 2000 });
  const lLoc = h('input', { id: 'pt-leg-location', name: 'location',
    type: 'text', required: true,
    placeholder: t('patrols.plan.leg_location_placeholder') });
  const lPreview = h('output.preview', { id: 'pt-leg-preview' });
  const lErr = h('p.form-error', { role: 'alert', hidden: true });
  const legForm = h('form.pt-leg-form', { autocomplete: 'off' },
    h('h3', t('patrols.plan.leg_add')),
    h('div.pt-grid2',
      field('seq', text(lAttr('seq')?.label), lSeq),
      field('lead_nation', text(lAttr('lead_nation')?.label), lLead)),
    field('location', t('patrols.plan.leg_location'), lLoc,
      t('patrols.plan.leg_map_hint')),
    lPreview,
    h('div.pt-grid2',
      field('start', t('patrols.plan.leg_start_utc'), lStart),
      field('end', t('patrols.plan.leg_end_utc'), lEnd)),
    field('remarks', text(lAttr('remarks')?.label), lRemarks,
      text(lAttr('remarks')?.description)),
    lErr, h('div.buttons', h('button.primary', { type: 'submit' },
      t('patrols.plan.leg_submit'))));

  const base = createBaseMap(mapEl, ctx);
  const planLayers = L.layerGroup().addTo(base.map);
  let pending = null;
  let fitted = false;
  function setPoint(lat, lon, typed) {
    point = [lat, lon];
    if (!pending) {
      pending = L.circleMarker(point, { radius: 8, color: '#000', weight: 2,
        fillColor: '#fff', fillOpacity: 1, interactive: false })
        .addTo(base.map);
    } else {
      pending.setLatLng(point);
    }
    if (!typed) lLoc.value = `${lat.toFixed(6)}, ${lon.toFixed(6)}`;
    lPreview.textContent = `${t('patrols.mgrs')} ${spaceMgrs(toMgrs(lat, lon))}` +
      ` · ${fmtLatLon(lat, lon)}`;
  }
  base.map.on('click', (e) => setPoint(round(e.latlng.lat),
    round(e.latlng.lng), false));
  lLoc.addEventListener('input', () => {
    const q = parseLocation(lLoc.value);
    if (q) setPoint(q.lat, q.lon, true);
    else {
      point = null;
      lPreview.textContent = lLoc.value.trim()
        ? t('patrols.plan.location_unreadable') : '';
    }
  });
  legForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    lErr.hidden = true;
    const body = { seq: Number(lSeq.value), lead_nation: lLead.value };
    if (point) body.geometry = { type: 'Point',
      coordinates: [point[1], point[0]] };
    else body.location = lLoc.value.trim();
    if (lStart.value) body.start = fromInput(lStart.value);
    if (lEnd.value) body.end = fromInput(lEnd.value);
    if (lRemarks.value.trim()) body.remarks = lRemarks.value.trim();
    try {
      const res = await ctx.api.post(`/patrols/${id}/legs`, body);
      legForm.reset();
      lLead.value = own;
      point = null;
      if (pending) {
        pending.remove();
        pending = null;
      }
      lPreview.textContent = '';
      render(res.patrol);
      toast(t('patrols.plan.leg_saved'), 'ok');
    } catch (err) {
      showError(legForm, lErr, err);
    }
  });

  const proposeErr = h('p.form-error', { role: 'alert', hidden: true });
  const proposeBtn = h('button.primary', { type: 'button', id: 'pt-propose',
    onclick: async () => {
      proposeBtn.disabled = true;
      proposeErr.hidden = true;
      try {
        await ctx.api.post(`/patrols/${id}/propose`);
        toast(t('patrols.done.propose', { code: p?.code || '' }), 'ok');
        go(`patrols/${id}`);
      } catch (err) {
        proposeErr.textContent = errorText(err);
        proposeErr.hidden = false;
        proposeBtn.disabled = false;
      }
    } }, t('patrols.plan.propose'));
  const proposeBox = h('section.pt-box.pt-propose',
    h('h2', t('patrols.plan.step3')), h('p.hint', t('patrols.plan.propose_hint')),
    proposeErr, h('div.buttons', proposeBtn));

  const partnerNote = h('p.notice.pt-partner-note', { role: 'note' });
  el.append(h('div.pt-page', title, subnav(ctx, 'new'),
    h('ol.pt-steps', h('li.done', t('patrols.plan.step1')),
      h('li.active', t('patrols.plan.step2')), h('li', t('patrols.plan.step3'))),
    status, head,
    h('div.pt-split',
      h('div.pt-mapcol', mapEl),
      h('div.pt-sidecol',
        h('section.pt-box', h('h2', t('patrols.units')), partnerNote,
          unitsList, unitForm),
        h('section.pt-box', h('h2', t('patrols.legs')), legsList, legForm))),
    proposeBox));

  function render(next) {
    p = next;
    const may = allowed(ctx, p);
    title.textContent = t('patrols.plan.title_units_of', { code: p.code });
    clear(head, statusBadge(p.status), ' ', h('span', typeLabel(ctx,
      p.patrol_type)), ' · ', h('span', windowText(p)), ' · ',
    h('span', nationsText(p.nations)), ' · ',
    h('a', { href: patrolHref(id) }, t('patrols.plan.see_patrol')));
    const others = p.nations.filter((n) => n !== own);
    partnerNote.hidden = !others.length;
    partnerNote.textContent = t('patrols.plan.partner_units',
      { nations: nationsText(others) });
    clear(unitsList, unitsBlock(p));
    clear(legsList, legsBlock(p));
    unitForm.hidden = legForm.hidden = !may.plan;
    proposeBox.hidden = !may.propose;
    if (!lLead.options.length) {
      for (const n of p.nations)
        lLead.append(h('option', { value: n, selected: n === own }, nation(n)));
    }
    lSeq.value = String((p.legs || []).reduce((m, l) => Math.max(m, l.seq), 0)
      + 1);
    if (!lStart.value) lStart.value = inputValue(Date.parse(p.window_start));
    if (!lEnd.value) lEnd.value = inputValue(Date.parse(p.window_end));
    planLayers.clearLayers();
    const pl = planLayer(p.geometry, { interactive: false });
    if (pl) {
      pl.addTo(planLayers);
      if (!fitted) {
        base.map.fitBounds(pl.getBounds(), { padding: [30, 30], maxZoom: 12 });
        fitted = true;
      }
    }
    for (const l of p.legs || []) if (l.geometry) legMarker(l).addTo(planLayers);
    el.querySelector('.pt-page').dataset.status = p.status;
  }

  async function load() {
    try {
      const next = await ctx.api.get(`/patrols/${id}`);
      if (alive) render(next);
      status.textContent = '';
    } catch (err) {
      if (alive) status.textContent = t('patrols.load_error',
        { msg: errorText(err) });
    }
  }
  load();
  requestAnimationFrame(() => base.map.invalidateSize());
  const off = ctx.onPatrols(() => load());
  return {
    unmount() {
      alive = false;
      off();
      destroyMap(base.map);
    },
  };
}

// The units, by participating nation.
export function unitsBlock(p) {
  return (p.nations || []).map((n) => {
    const list = p.units?.[n] || [];
    return h('div.pt-nation', { dataset: { nation: n } },
      h('h3', nation(n)),
      list.length ? h('ul', list.map((u) => h('li',
        h('strong', u.unit),
        u.leader ? ` — ${u.leader}` : null,
        u.strength ? ` — ${t('patrols.strength', { n: u.strength })}` : null)))
        : h('p.hint', t('patrols.no_units')));
  });
}

// The legs in order, with their handover points.
export function legsBlock(p) {
  const legs = [...(p.legs || [])].sort((a, b) => a.seq - b.seq);
  if (!legs.length) return h('p.hint', t('patrols.no_legs'));
  return h('ol.pt-leglist', legs.map((l) => h('li', { dataset: { seq: l.seq } },
    h('strong', t('patrols.leg_title', { seq: l.seq,
      nation: nation(l.lead_nation) })),
    l.start || l.end ? h('div.hint', t('patrols.window_text', {
      start: l.start ? fmtDateTime(l.start) : '…',
      end: l.end ? fmtDateTime(l.end) : '…' })) : null,
    l.mgrs ? h('div', h('span.mgrs', spaceMgrs(l.mgrs))) : null,
    l.remarks ? h('div', l.remarks) : null)));
}
