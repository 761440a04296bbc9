// How a record's values read: attribute values with their labels and
// units, times and numbers in the user's language.
import { t, text, fmtNumber, fmtDateTime, nation, unit } from '../core/i18n.js';
import { valueLabel } from '../core/model.js';

export function attrValue(a, v) {
  if (v === null || v === undefined || v === '') return '—';
  if (!a) return typeof v === 'object' ? JSON.stringify(v) : String(v);
  switch (a.type) {
    case 'enum':
      return valueLabel(a, v);
    case 'multi_enum':
      return (Array.isArray(v) ? v : [v]).map((x) => valueLabel(a, x))
        .join(', ');
    case 'boolean':
      return v ? t('common.yes') : t('common.no');
    case 'integer':
    case 'number':
      return a.unit ? `${fmtNumber(v)} ${unit(a.unit)}` : fmtNumber(v);
    case 'datetime':
      return fmtDateTime(v);
    default:
      return String(v);
  }
}

export function audienceText(aud) {
  return (aud || []).map(nation).join(', ');
}

// The one-line title of a record: its category's label.
export function recordTitle(model, f) {
  const p = f.properties || f;
  return model.label(p.category);
}

// A short summary: the first two attribute values worth reading.
export function recordSummary(model, f) {
  const p = f.properties || {};
  const c = model.get(p.category);
  if (!c) return '';
  const parts = [];
  for (const a of c.attributes) {
    const v = p.attributes?.[a.key];
    if (v === undefined || v === null || v === '' || a.type === 'text') continue;
    parts.push(t('common.label_value', { label: text(a.label), value: attrValue(a, v) }));
    if (parts.length === 2) break;
  }
  return parts.join(' · ');
}
