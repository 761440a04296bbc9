// Report: a form generated from the model for every category a reporter
// may write (the right widget per attribute type, required fields, units,
// ranges), a location by a click on the map or typed (decimal degrees,
// DMS or MGRS), and the audience, with the plain warning that a release
// to the partner cannot be recalled. With ?supersede=ID: a new version
// of a record of this node (its audience may widen, never narrow).
import { h, clear, toast } from '../core/dom.js';
import { t, text, fmtDateTime, nation, unit as unitLabel } from '../core/i18n.js';
import { PRECEDENCES } from '../core/model.js';
import { parseLocation, toMgrs, spaceMgrs, fmtLatLon } from '../core/geo.js';
import { go } from '../core/router.js';
import * as L from '../map/leaflet.js';
import { createBaseMap, destroyMap } from '../map/basemap.js';
import { symbolSvg } from '../map/symbols.js';

const NEEDS_POINT = new Set(['point', 'point-or-polygon']);
const NO_POINT = new Set(['none', 'line', 'polygon', 'line-or-polygon']);

// "2025-02-20T08:00" (the value of a datetime-local) of a time, in UTC.
function localValue(ms) {
  return new Date(ms).toISOString().slice(0, 16);
}

// The audiences this node may write: its own nation alone, with each
// partner, and the tripartite framework with Mauritania.
export function audiences(ctx) {
  const own = ctx.node.nation;
  const out = [[own]];
  for (const p of ctx.partners) if (p !== own) out.push([own, p].sort());
  if (['SN', 'ML', 'MR'].includes(own)) out.push(['ML', 'MR', 'SN']);
  const seen = new Set();
  return out.filter((a) => {
    const k = a.join(',');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function widget(a, value) {
  const id = `attr-${a.key}`;
  const common = { id, name: a.key, required: !!a.required,
    dataset: { attr: a.key, type: a.type } };
  switch (a.type) {
    case 'integer':
    case 'number':
      return h('input', { ...common, type: 'number',
        step: a.type === 'integer' ? 1 : 'any',
        inputmode: a.type === 'integer' ? 'numeric' : 'decimal',
        min: a.min, max: a.max, value: value ?? '' });
    case 'enum':
      return h('select', common, h('option', { value: '' }, '—'),
        (a.values || []).map((v) => h('option', { value: v.id,
          selected: v.id === value }, text(v.label))));
    case 'multi_enum':
      return h('div.checks', { id, role: 'group', dataset: { attr: a.key,
        type: a.type } }, (a.values || []).map((v) => h('label',
        h('input', { type: 'checkbox', value: v.id,
          checked: Array.isArray(value) && value.includes(v.id) }), ' ',
        text(v.label))));
    case 'boolean':
      return h('select', common, h('option', { value: '' }, '—'),
        h('option', { value: 'true', selected: value === true }, t('common.yes')),
        h('option', { value: 'false', selected: value === false }, t('common.no')));
    case 'datetime':
      return h('input', { ...common, type: 'datetime-local', step: 60,
        value: value ? localValue(Date.parse(value)) : '' });
    default: {
      const long = !a.max_length || a.max_length > 200;
      return h(long ? 'textarea' : 'input', { ...common,
        maxlength: a.max_length, rows: long ? 3 : undefined,
        type: long ? undefined : 'text', value: value ?? '' });
    }
  }
}

// The value of a widget for the API, or undefined when empty.
function valueOf(a, el) {
  if (a.type === 'multi_enum') {
    const v = [...el.querySelectorAll('input:checked')].map((i) => i.value);
    return v.length ? v : undefined;
  }
  const v = el.value.trim();
  if (v === '') return undefined;
  switch (a.type) {
    case 'integer':
    case 'number':
      return Number(v);
    case 'boolean':
      return v === 'true';
    case 'datetime':
      return `${v.length === 16 ? `${v}:00` : v}Z`;
    default:
      return v;
  }
}

export default {
  id: 'report',
  perm: 'create',
  nav: true,
  label: 'nav.report',

  mount(el, ctx, params) {
    const { model } = ctx;
    const supersede = params.supersede || null;
    let old = null;
    let base = null;
    let marker = null;
    let clicked = null;                 // text the map click wrote
    const form = h('form.report', { novalidate: false, autocomplete: 'off' });
    const title = h('h1', t(supersede ? 'report.title_supersede' : 'report.title'));
    el.append(h('div.page', title,
      h('p.notice', { role: 'note' }, `⚠ ${text(model.notice)}`), form));

    const cats = model.reportable();
    const catSel = h('select', { id: 'category', name: 'category', required: true,
      disabled: !!supersede, dataset: { field: 'category' } },
    h('option', { value: '' }, t('report.choose_category')),
    model.roots.map((r) => {
      const leaves = cats.filter((c) => model.root(c.id) === r.id);
      if (!leaves.length) return null;
      return h('optgroup', { label: text(r.label) }, leaves.map((c) =>
        h('option', { value: c.id, selected: c.id === params.category },
          model.path(c.id).split(' › ').slice(1).join(' › ') || text(c.label))));
    }));
    const catDesc = h('p.hint');
    const when = h('input', { id: 'observed_at', name: 'observed_at',
      type: 'datetime-local', step: 60, required: true,
      value: localValue(Date.now()) });
    const locInput = h('input', { id: 'location', name: 'location', type: 'text',
      placeholder: t('report.location_placeholder'),
      'aria-describedby': 'location-preview' });
    const locPreview = h('output.preview', { id: 'location-preview' });
    const mapEl = h('div.minimap', { 'aria-label': t('report.map_hint') });
    const whereBox = h('fieldset', { dataset: { field: 'location' } },
      h('legend', t('report.where')), h('p.hint', t('report.map_hint')),
      mapEl, h('label', t('report.location'), locInput), locPreview,
      h('p.field-error'));
    const attrsBox = h('fieldset.attrs', h('legend', t('report.details')));
    const precSel = h('select', { id: 'precedence', name: 'precedence' },
      PRECEDENCES.map((p) => h('option', { value: p }, t(`precedence.${p}`))));
    const auds = audiences(ctx);
    const audWarn = h('p.warning', { role: 'alert', hidden: true },
      t('report.release_warning'));
    const audBox = h('fieldset', { dataset: { field: 'audience' } },
      h('legend', t('report.audience')),
      auds.map((a, i) => h('label.radio', h('input', { type: 'radio',
        name: 'audience', value: a.join(','), checked: i === 0,
        onchange: () => syncAudience() }), ' ',
      a.length === 1 ? t('report.audience_national', { nation: nation(a[0]) })
        : t('report.audience_shared', { nations: a.map(nation).join(', ') }))),
      audWarn, h('p.field-error'));
    const errorBox = h('p.form-error', { role: 'alert', hidden: true });
    const submit = h('button.primary', { type: 'submit' },
      t(supersede ? 'report.submit_supersede' : 'report.submit'));
    const cancel = h('button', { type: 'button', onclick: () => history.back() },
      t('common.cancel'));
    clear(form,
      h('label.field', { dataset: { field: 'category' } }, t('report.category'),
        catSel, h('p.field-error')), catDesc,
      h('label.field', { dataset: { field: 'observed_at' } },
        t('report.when'), when, h('p.field-error')),
      whereBox, attrsBox,
      h('label.field', { dataset: { field: 'precedence' } },
        t('report.precedence'), precSel),
      audBox, errorBox, h('div.buttons', submit, cancel));

    function syncAudience() {
      const v = form.querySelector('input[name=audience]:checked')?.value || '';
      audWarn.hidden = !v.includes(',');
    }

    function category() {
      return model.get(catSel.value);
    }

    function setPoint(lat, lon, fromMap) {
      if (!base) return;
      const ll = [lat, lon];
      if (!marker) {
        marker = L.marker(ll, { icon: L.divIcon({ className: 'rec rec-selected',
          html: symbolSvg(model.root(catSel.value), precSel.value, { size: 28 }),
          iconSize: [28, 28], iconAnchor: [14, 14] }), keyboard: false });
        marker.addTo(base.map);
      } else {
        marker.setLatLng(ll);
      }
      locPreview.textContent = `${t('report.mgrs')} ${spaceMgrs(toMgrs(lat, lon))} · ` +
        `${t('report.decimal')} ${fmtLatLon(lat, lon)}`;
      if (fromMap) {
        clicked = `${lat.toFixed(6)}, ${lon.toFixed(6)}`;
        locInput.value = clicked;
      }
    }

    locInput.addEventListener('input', () => {
      const p = parseLocation(locInput.value);
      if (p) {
        setPoint(p.lat, p.lon, false);
        base?.map.panTo([p.lat, p.lon]);
      } else {
        locPreview.textContent = locInput.value.trim()
          ? t('report.location_unreadable') : '';
      }
    });

    function renderCategory() {
      const c = category();
      clear(attrsBox, h('legend', t('report.details')));
      catDesc.textContent = c ? text(c.description) : '';
      whereBox.hidden = !c || NO_POINT.has(c.geometry);
      locInput.required = !!c && NEEDS_POINT.has(c.geometry);
      if (!c) return;
      precSel.value = old?.precedence || c.precedence;
      for (const a of c.attributes) {
        const w = widget(a, old?.attributes?.[a.key]);
        const unit = a.unit ? h('span.unit', unitLabel(a.unit)) : null;
        const range = a.min !== undefined || a.max !== undefined
          ? h('span.hint', t('report.range', { min: a.min ?? '…', max: a.max ?? '…' }))
          : null;
        attrsBox.append(h(a.type === 'multi_enum' ? 'div.field' : 'label.field',
          { dataset: { field: `attributes.${a.key}` } },
          h('span.label', text(a.label), a.required ? h('abbr.req', {
            title: t('report.required') }, ' *') : null),
          h('span.input', w, unit), range,
          a.description ? h('span.hint', text(a.description)) : null,
          h('p.field-error')));
      }
      if (!c.attributes.length) attrsBox.append(h('p.hint', t('report.no_details')));
      if (!whereBox.hidden && !base) {
        base = createBaseMap(mapEl, ctx);
        base.map.on('click', (e) => setPoint(e.latlng.lat, e.latlng.lng, true));
        requestAnimationFrame(() => base.map.invalidateSize());
      }
      if (base && !whereBox.hidden) requestAnimationFrame(() => base.map.invalidateSize());
    }
    catSel.addEventListener('change', renderCategory);

    function clearErrors() {
      errorBox.hidden = true;
      for (const e of form.querySelectorAll('.field-error')) e.textContent = '';
      for (const e of form.querySelectorAll('.invalid')) e.classList.remove('invalid');
    }

    function showError(err) {
      const field = err.field || '';
      const box = field && (form.querySelector(`[data-field="${CSS.escape(field)}"]`) ||
        form.querySelector(`[data-field="${CSS.escape(field.split('.').slice(0, 2).join('.'))}"]`));
      if (box) {
        box.classList.add('invalid');
        const p = box.querySelector('.field-error');
        if (p) p.textContent = err.message;
        box.scrollIntoView({ block: 'center' });
      }
      errorBox.textContent = t('report.error', { msg: err.message });
      errorBox.hidden = false;
    }

    form.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors();
      if (!form.reportValidity()) return;
      const c = category();
      if (!c) return;
      const body = {
        observed_at: `${when.value.length === 16 ? `${when.value}:00` : when.value}Z`,
        attributes: {},
        precedence: precSel.value,
        audience: (form.querySelector('input[name=audience]:checked')?.value || '')
          .split(',').filter(Boolean),
      };
      if (!supersede) body.category = c.id;
      else body.category = old.category;
      for (const a of c.attributes) {
        const w = attrsBox.querySelector(`[data-attr="${CSS.escape(a.key)}"]`);
        const v = w ? valueOf(a, w) : undefined;
        if (v !== undefined) body.attributes[a.key] = v;
      }
      const loc = locInput.value.trim();
      if (!whereBox.hidden && loc) {
        const p = parseLocation(loc);
        if (loc === clicked && p) {
          body.geometry = { type: 'Point', coordinates: [
            Math.round(p.lon * 1e7) / 1e7, Math.round(p.lat * 1e7) / 1e7] };
        } else {
          body.location = loc;
        }
      }
      submit.disabled = true;
      try {
        const res = supersede
          ? await ctx.api.post(`/records/${supersede}/supersede`, body)
          : await ctx.api.post('/records', body);
        const id = res.id;
        try {
          ctx.records.upsert(await ctx.api.get(`/records/${id}`));
        } catch { /* the live update brings it */ }
        toast(t('report.saved'), 'ok');
        go('map', { record: id });
      } catch (err) {
        showError(err);
      } finally {
        submit.disabled = false;
      }
    });

    if (supersede) {
      ctx.api.get(`/records/${supersede}`).then((f) => {
        old = f.properties;
        catSel.value = old.category;
        title.textContent = t('report.title_supersede_of', {
          label: model.label(old.category), when: fmtDateTime(old.observed_at) });
        when.value = localValue(Date.parse(old.observed_at));
        const oldAud = old.audience || [];
        for (const r of form.querySelectorAll('input[name=audience]')) {
          const a = r.value.split(',');
          r.disabled = !oldAud.every((n) => a.includes(n));
          r.checked = r.value === oldAud.join(',');
        }
        renderCategory();
        syncAudience();
        if (f.geometry?.type === 'Point') {
          const [lon, lat] = f.geometry.coordinates;
          setPoint(lat, lon, true);
          base?.map.setView([lat, lon], 11);
        }
      }).catch((err) => showError(err));
    } else {
      renderCategory();
    }
    syncAudience();

    return {
      unmount() {
        if (base) destroyMap(base.map);
      },
    };
  },
};
