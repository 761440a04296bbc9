// Languages: French first, English by a switch that is remembered (in
// localStorage). Every label comes from the catalogues of web/i18n/, the
// model's labels from the model itself; dates and numbers are written by
// Intl in the user's language, always in UTC (the time of both nations).
import frBase from '../../i18n/fr.json';
import enBase from '../../i18n/en.json';
// One catalogue pair per view beyond the base (web/i18n/views/), so that
// views are written and reviewed apart; test_i18n checks them all.
import frPatrols from '../../i18n/views/patrols.fr.json';
import enPatrols from '../../i18n/views/patrols.en.json';
import frSections from '../../i18n/views/sections.fr.json';
import enSections from '../../i18n/views/sections.en.json';
import frSync from '../../i18n/views/sync.fr.json';
import enSync from '../../i18n/views/sync.en.json';
import frAdmin from '../../i18n/views/admin.fr.json';
import enAdmin from '../../i18n/views/admin.en.json';

const fr = { ...frBase, ...frPatrols, ...frSections, ...frSync, ...frAdmin };
const en = { ...enBase, ...enPatrols, ...enSections, ...enSync, ...enAdmin };

export const LANGUAGES = ['fr', 'en'];
const catalogues = { fr, en };
const LOCALES = { fr: 'fr-FR', en: 'en-GB' };
const KEY = 'diboli.lang';
const listeners = new Set();

function stored() {
  try {
    const v = localStorage.getItem(KEY);
    return LANGUAGES.includes(v) ? v : null;
  } catch {
    return null;
  }
}

let lang = stored() || 'fr';
document.documentElement.lang = lang;

export function getLang() {
  return lang;
}

export function setLang(l) {
  if (!LANGUAGES.includes(l) || l === lang) return;
  lang = l;
  try {
    localStorage.setItem(KEY, l);
  } catch { /* private mode: the switch lasts the visit */ }
  document.documentElement.lang = l;
  fmtCache.clear();
  for (const fn of listeners) fn(l);
}

// fn(lang) after each switch; returns the unsubscriber.
export function onLang(fn) {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

// The message key in the current language, {name}s replaced from params;
// French, then the key itself, when a catalogue lacks it.
export function t(key, params) {
  let s = catalogues[lang][key] ?? catalogues.fr[key];
  if (s === undefined) {
    if (typeof console !== 'undefined') console.warn('i18n: no', key);
    s = key;
  }
  if (params) {
    s = s.replace(/\{(\w+)\}/g, (m, k) =>
      params[k] === undefined ? m : String(params[k]));
  }
  return s;
}

// Does the catalogue have key?
export function has(key) {
  return key in catalogues[lang] || key in catalogues.fr;
}

// A text of the model: a string, or {fr, en}.
export function text(v) {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  return v[lang] ?? v.fr ?? v.en ?? Object.values(v)[0] ?? '';
}

const fmtCache = new Map();
function fmt(kind, opts) {
  const k = kind + JSON.stringify(opts);
  let f = fmtCache.get(k);
  if (!f) {
    f = kind === 'n' ? new Intl.NumberFormat(LOCALES[lang], opts)
      : new Intl.DateTimeFormat(LOCALES[lang], { timeZone: 'UTC', ...opts });
    fmtCache.set(k, f);
  }
  return f;
}

export function fmtNumber(n, opts) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return String(n ?? '');
  return fmt('n', opts || { maximumFractionDigits: 6 }).format(n);
}

function toDate(v) {
  return v instanceof Date ? v : new Date(v);
}

// "20 févr. 2025, 08:00 UTC" / "20 Feb 2025, 08:00 UTC"
export function fmtDateTime(v) {
  const d = toDate(v);
  if (Number.isNaN(d.getTime())) return String(v ?? '');
  return fmt('d', { dateStyle: 'medium', timeStyle: 'short' }).format(d) +
    ' UTC';
}

export function fmtDate(v) {
  const d = toDate(v);
  if (Number.isNaN(d.getTime())) return String(v ?? '');
  return fmt('d', { dateStyle: 'medium' }).format(d);
}

export function fmtShortDate(v) {
  const d = toDate(v);
  return fmt('d', { day: 'numeric', month: 'short' }).format(d);
}

export function fmtTime(v) {
  const d = toDate(v);
  return fmt('d', { hour: '2-digit', minute: '2-digit' }).format(d);
}

// A time with any Intl.DateTimeFormat options (weekday, month...), in
// UTC and the user's language: fmtParts(d, {month: 'long', year:
// 'numeric'}) is "juin 2025" / "June 2025".
export function fmtParts(v, opts) {
  const d = toDate(v);
  if (Number.isNaN(d.getTime())) return String(v ?? '');
  return fmt('d', opts).format(d);
}

// A nation's name from its ISO code.
export function nation(code) {
  const k = `nation.${code}`;
  return has(k) ? t(k) : code;
}

// A unit of the model: symbols (km, µg/L, XOF) as they are, words
// ("persons") from the catalogues.
export function unit(u) {
  const k = `unit.${u}`;
  return has(k) ? t(k) : u;
}
