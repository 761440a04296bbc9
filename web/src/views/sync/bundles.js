// Bundles for administrators (docs/sync.md, "Bundles"): export one for
// a nation (optionally only what its summary says it lacks, optionally
// encrypted to its nation key) and download it; import one and read
// what applying did; download this node's summary for the other side.
import { h } from '../../core/dom.js';
import { t, fmtNumber, nation } from '../../core/i18n.js';
import { attachmentName, saveBlob, base64, errorText } from '../admin/ui.js';
import { parsePub, spacedFingerprint } from '../admin/keys.js';

const MAX_FILE = 32 << 20;       // the server's default body limit

function nationSelect(id, nations, value) {
  return h('select', { id }, nations.map((n) => h('option', { value: n,
    selected: n === value }, `${nation(n)} (${n})`)));
}

export function mountBundles(el, ctx, { nations, onImported }) {
  const own = ctx.node?.nation;
  const partner = nations.find((n) => n !== own) || own;

  // Export.
  const expFor = nationSelect('export-for', nations, partner);
  const expSummary = h('input', { type: 'file', id: 'export-summary' });
  const expKey = h('input', { type: 'file', id: 'export-key', accept: '.pub,text/plain' });
  const expKeyInfo = h('p.hint', { id: 'export-key-info' });
  const expBudget = h('input', { type: 'number', id: 'export-budget', min: 1,
    step: 1, placeholder: t('sync.export_budget_none') });
  const expLine = h('p', { role: 'status', id: 'export-result' });
  const expBtn = h('button.primary', { type: 'submit' }, t('sync.export_submit'));
  let pubText = '';
  expKey.addEventListener('change', async () => {
    pubText = '';
    expKeyInfo.textContent = '';
    expKeyInfo.className = 'hint';
    const f = expKey.files[0];
    if (!f) return;
    const text = f.size < 4096 ? await f.text() : '';
    const p = parsePub(text);
    if (!p) {
      expKeyInfo.textContent = t('sync.export_key_bad');
      expKeyInfo.className = 'form-error';
      return;
    }
    pubText = text.trim();
    expKeyInfo.textContent = t('sync.export_key_ok', { nation: nation(p.nation),
      fp: spacedFingerprint(p.fingerprint) });
    if (p.nation !== expFor.value) {
      expKeyInfo.textContent += ` ${t('sync.export_key_other', {
        nation: nation(expFor.value) })}`;
      expKeyInfo.className = 'form-error';
    }
  });
  const exportForm = h('form.card', { id: 'bundle-export', onsubmit: async (e) => {
    e.preventDefault();
    expLine.className = '';
    expLine.textContent = t('sync.working');
    expBtn.disabled = true;
    try {
      const body = { for: expFor.value };
      const sf = expSummary.files[0];
      if (sf) {
        if (sf.size > MAX_FILE) throw new Error(t('sync.file_too_big'));
        body.summary = base64(await sf.arrayBuffer());
      }
      if (expKey.files[0]) {
        if (!pubText) throw new Error(t('sync.export_key_bad'));
        body.encrypt_to = pubText;
      }
      if (expBudget.value) body.budget = Math.round(Number(expBudget.value) * 1024);
      const res = await ctx.api.raw('POST', '/bundles/export', {
        body: JSON.stringify(body), type: 'application/json' });
      const blob = await res.blob();
      const name = attachmentName(res, `diboli-${own}-to-${body.for}.bundle`);
      saveBlob(blob, name);
      const n = (k) => fmtNumber(Number(res.headers.get(k) || 0));
      expLine.textContent = t('sync.export_done', { name,
        records: n('X-Diboli-Records'), blocks: n('X-Diboli-Blocks'),
        waiting: n('X-Diboli-Waiting-Records'),
        size: fmtNumber(Math.ceil(blob.size / 1024)) });
      expLine.className = 'ok-line';
    } catch (x) {
      expLine.textContent = t('sync.export_error', { msg: errorText(x) });
      expLine.className = 'form-error';
    } finally {
      expBtn.disabled = false;
    }
  } },
  h('h2', t('sync.export_title')),
  h('p.hint', t('sync.export_intro')),
  h('div.form-grid',
    h('label.field', t('sync.export_for'), expFor),
    h('label.field', t('sync.export_budget'), expBudget),
    h('label.field', t('sync.export_summary'), expSummary,
      h('span.hint', t('sync.export_summary_hint'))),
    h('label.field', t('sync.export_key'), expKey,
      h('span.hint', t('sync.export_key_hint')), expKeyInfo)),
  h('div.buttons', expBtn), expLine);

  // Import.
  const impFile = h('input', { type: 'file', id: 'import-file', required: true,
    accept: '.bundle,application/octet-stream' });
  const impLine = h('p', { role: 'status', id: 'import-result' });
  const impBtn = h('button.primary', { type: 'submit' }, t('sync.import_submit'));
  const importForm = h('form.card', { id: 'bundle-import', onsubmit: async (e) => {
    e.preventDefault();
    const f = impFile.files[0];
    if (!f) return;
    impLine.className = '';
    if (f.size > MAX_FILE) {
      impLine.textContent = t('sync.import_error', { msg: t('sync.file_too_big') });
      impLine.className = 'form-error';
      return;
    }
    impLine.textContent = t('sync.working');
    impBtn.disabled = true;
    try {
      const res = await ctx.api.raw('POST', '/bundles/import', {
        body: await f.arrayBuffer(), type: 'application/octet-stream' });
      const r = await res.json();
      impLine.textContent = t('sync.import_done', { name: r.from?.name || '?',
        nation: nation(r.from?.nation), result: r.result });
      impLine.className = r.refused || r.forks ? 'form-error' : 'ok-line';
      impFile.value = '';
      if (onImported) onImported(r);
    } catch (x) {
      impLine.textContent = t('sync.import_error', { msg: errorText(x) });
      impLine.className = 'form-error';
    } finally {
      impBtn.disabled = false;
    }
  } },
  h('h2', t('sync.import_title')),
  h('p.hint', t('sync.import_intro')),
  h('label.field', t('sync.import_file'), impFile),
  h('div.buttons', impBtn), impLine);

  // Summary.
  const sumFor = nationSelect('summary-for', nations, partner);
  const sumLine = h('p', { role: 'status', id: 'summary-result' });
  const summaryForm = h('form.card', { id: 'sync-summary', onsubmit: async (e) => {
    e.preventDefault();
    sumLine.className = '';
    try {
      const res = await ctx.api.raw('GET',
        `/sync/summary?for=${encodeURIComponent(sumFor.value)}`);
      const blob = await res.blob();
      const name = attachmentName(res, `diboli-${own}-summary-for-${sumFor.value}.summary`);
      saveBlob(blob, name);
      sumLine.textContent = t('sync.summary_done', { name,
        logs: fmtNumber(Number(res.headers.get('X-Diboli-Logs') || 0)) });
      sumLine.className = 'ok-line';
    } catch (x) {
      sumLine.textContent = t('sync.summary_error', { msg: errorText(x) });
      sumLine.className = 'form-error';
    }
  } },
  h('h2', t('sync.summary_title')),
  h('p.hint', t('sync.summary_intro')),
  h('label.field', t('sync.summary_for'), sumFor),
  h('div.buttons', h('button', { type: 'submit' }, t('sync.summary_submit'))),
  sumLine);

  el.append(h('h2.section-title', t('sync.bundles')),
    h('div.bundle-grid', exportForm, importForm, summaryForm));
}
