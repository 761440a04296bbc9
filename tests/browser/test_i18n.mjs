// The message catalogues: French and English have the same keys, every
// key the code names exists, no message is empty, the {params} agree.
// Run: node --test tests/browser/test_i18n.mjs (ctest -L browser).
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ROOT } from './harness.mjs';

// The base catalogue and the views' (web/i18n/views/NAME.fr.json, .en.json),
// merged as web/src/core/i18n.js merges them; a key defined twice is an
// error.
function catalogue(lang) {
  const out = JSON.parse(readFileSync(join(ROOT, `web/i18n/${lang}.json`),
    'utf8'));
  const dir = join(ROOT, 'web/i18n/views');
  for (const n of readdirSync(dir).filter((f) => f.endsWith(`.${lang}.json`))
    .sort()) {
    const part = JSON.parse(readFileSync(join(dir, n), 'utf8'));
    for (const k of Object.keys(part)) {
      assert.ok(!(k in out), `${n}: key ${k} defined twice`);
      out[k] = part[k];
    }
  }
  return out;
}
const fr = catalogue('fr');
const en = catalogue('en');

function sources(d) {
  return readdirSync(d).flatMap((n) => {
    const p = join(d, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.js') ? [p] : [];
  });
}

describe('message catalogues', () => {
  it('have the same keys in French and English', () => {
    const a = Object.keys(fr).sort(), b = Object.keys(en).sort();
    assert.deepEqual(a.filter((k) => !(k in en)), []);
    assert.deepEqual(b.filter((k) => !(k in fr)), []);
  });

  it('have no empty message and the same {params}', () => {
    for (const k of Object.keys(fr)) {
      assert.ok(fr[k].trim() && en[k].trim(), k);
      const p = (s) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
      assert.deepEqual(p(fr[k]), p(en[k]), k);
    }
  });

  it('hold every key the code names', () => {
    const missing = [];
    for (const f of sources(join(ROOT, 'web/src'))) {
      const text = readFileSync(f, 'utf8');
      for (const m of text.matchAll(/\bt\(\s*'([a-z0-9_.]+)'/gi))
        if (!(m[1] in fr)) missing.push(`${f}: ${m[1]}`);
      for (const m of text.matchAll(/label: '([a-z0-9_.]+)'/gi))
        if (!(m[1] in fr)) missing.push(`${f}: ${m[1]}`);
    }
    assert.deepEqual(missing, []);
    // Keys built from data: every value they take.
    for (const p of ['FLASH', 'IMMEDIATE', 'PRIORITY', 'ROUTINE'])
      assert.ok(`precedence.${p}` in fr);
    for (const s of ['current', 'superseded', 'retracted', 'retraction'])
      assert.ok(`status.${s}` in fr);
    for (const r of ['viewer', 'reporter', 'analyst', 'commander', 'admin'])
      assert.ok(`role.${r}` in fr);
    for (const l of ['low', 'medium', 'high', 'critical', 'none'])
      assert.ok(`level.${l}` in fr);
    for (const s of ['draft', 'proposed', 'approved', 'rejected', 'underway',
      'completed', 'aborted']) assert.ok(`patrol.status.${s}` in fr);
    for (const s of ['live', 'connecting', 'offline']) assert.ok(`live.${s}` in fr);
    for (const k of ['1d', '7d', '30d', '90d', 'all']) assert.ok(`timeline.${k}` in fr);
  });

  it('name every kind and place kind of the data', () => {
    const model = JSON.parse(readFileSync(join(ROOT, 'data/model.json'), 'utf8'));
    const kinds = new Set();
    const walk = (c) => {
      if (c.kind) kinds.add(c.kind);
      (c.children || []).forEach(walk);
    };
    model.categories.forEach(walk);
    for (const k of kinds) assert.ok(`kind.${k}` in fr, `kind.${k}`);
    const places = JSON.parse(readFileSync(join(ROOT,
      'data/reference/places.geojson'), 'utf8'));
    for (const f of places.features)
      assert.ok(`place.${f.properties.kind}` in fr, f.properties.kind);
  });
});
