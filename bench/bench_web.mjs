// make bench: the web UI in headless Chromium (Debian's, driven by
// playwright-core) against a real `diboli serve` on loopback holding
// 10,000 records (2,000 with --quick). Measures, each beside a baseline
// measured in the same run (or the limit):
//  - the bytes of the first load (the login page and everything it
//    fetches, gzip as sent) against the 500 KB limit;
//  - the time from navigation to the map rendered with every record
//    ("rendered": every page of records loaded, the clusters and markers
//    drawn, #map[data-ready] = the count), in a fresh browser with an
//    empty cache, against fetching and parsing the same records from the
//    API alone (Node's fetch);
//  - the bytes of that load against the same bytes uncompressed;
//  - over an emulated 256 kbit/s link (100 ms latency): the time to a
//    usable map (the first page of records drawn) against the time its
//    bytes take to cross the link at that rate.
// Appends {name, value, unit, baseline_name, baseline_value, ratio} to
// the results file (bench/results/latest.json), replacing its own.
// Usage: node bench/bench_web.mjs [--quick] [--diboli PATH] [--out FILE]
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { resolve } from 'node:path';

const argv = process.argv.slice(2);
const opt = (name, def) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : def;
};
const QUICK = argv.includes('--quick');
if (opt('--diboli')) process.env.DIBOLI = resolve(opt('--diboli'));
const OUT = opt('--out', null);
const N = QUICK ? 2000 : 10000;
const RUNS = QUICK ? 1 : 3;
const LIMIT = 500 * 1024;
const LINK = 256000;            // bits per second

const { apiSession, cleanup, launch, makeNode, serve, password } =
  await import('../tests/browser/harness.mjs');

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// A deterministic generator: the same records every run.
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// N records of the model's reportable point categories, their required
// attributes filled, around the Falémé over 30 days.
function records(model, n) {
  const r = rng(42);
  const leaves = [];
  const walk = (c, inherited) => {
    const geometry = c.geometry ?? inherited.geometry;
    const kind = c.kind ?? inherited.kind;
    const attrs = [...inherited.attrs, ...(c.attributes || [])];
    if (!(c.children || []).length) {
      if (!['patrol', 'track', 'approval', 'status', 'alert'].includes(kind) &&
          ['point', 'optional-point', 'point-or-polygon', 'any', 'optional']
            .includes(geometry))
        leaves.push({ id: c.id, attrs });
    }
    for (const ch of c.children || []) walk(ch, { geometry, kind, attrs });
  };
  for (const c of model.categories) walk(c, { geometry: null, kind: null, attrs: [] });
  const t0 = Date.parse('2025-05-02T00:00:00Z');
  const out = [];
  for (let i = 0; i < n; i++) {
    const c = leaves[i % leaves.length];
    const attributes = {};
    for (const a of c.attrs) {
      if (!a.required) continue;
      attributes[a.key] = a.type === 'enum' ? a.values[0].id
        : a.type === 'multi_enum' ? [a.values[0].id]
          : a.type === 'integer' ? Math.max(a.min ?? 1, 1)
            : a.type === 'number' ? Math.max(a.min ?? 1, 1)
              : a.type === 'boolean' ? true
                : a.type === 'datetime' ? '2025-05-01T00:00:00Z'
                  : 'Essai de charge (synthétique).';
    }
    out.push({
      category: c.id,
      observed_at: new Date(t0 + r() * 30 * 86400e3).toISOString()
        .replace(/\.\d+Z$/, 'Z'),
      geometry: { type: 'Point', coordinates: [
        Math.round((-12.6 + r() * 1.4) * 1e5) / 1e5,
        Math.round((12.4 + r() * 2.8) * 1e5) / 1e5] },
      attributes,
    });
  }
  return out;
}

// Bytes received by a page (encoded, as on the wire), through CDP.
async function meter(context, page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  const m = { bytes: 0, cdp };
  cdp.on('Network.loadingFinished', (e) => {
    m.bytes += e.encodedDataLength;
  });
  return m;
}

// Records when #map has drawn at least min records, not loading.
function readyScript(min) {
  return `(() => {
    const check = () => {
      const m = document.getElementById('map');
      if (m && !window.__readyAt && m.dataset.loading === '0' &&
          Number(m.dataset.ready) >= ${min}) window.__readyAt = performance.now();
      if (m && !window.__firstAt && Number(m.dataset.ready) >= 1)
        window.__firstAt = performance.now();
    };
    new MutationObserver(check).observe(document, { attributes: true,
      subtree: true, attributeFilter: ['data-ready', 'data-loading'] });
  })();`;
}

async function main() {
  const node = makeNode({ days: 0, name: 'PC banc d\'essai web' });
  const srv = await serve(node.node);
  let browser;
  try {
    const admin = await apiSession(srv.url, 'admin');
    const model = (await admin.get('/model')).json;
    const recs = records(model, N);
    for (let i = 0; i < recs.length; i += 5000) {
      const r = await admin.post('/records', { records: recs.slice(i, i + 5000) });
      if (r.status !== 201) throw new Error(`seeding: ${r.status} ${JSON.stringify(r.json)}`);
    }
    const login = await fetch(`${srv.url}/api/v1/session`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ login: 'viewer', password: password('viewer') }) });
    const cookie = login.headers.get('set-cookie').split(';')[0].split('=');
    const cookies = [{ name: cookie[0], value: cookie[1], url: srv.url }];
    browser = await launch();
    const VIEW = { viewport: { width: 1366, height: 800 }, locale: 'fr-FR' };

    // 1. The first load: the login page and what it fetches.
    let shell;
    {
      const context = await browser.newContext(VIEW);
      const page = await context.newPage();
      const m = await meter(context, page);
      await page.goto(`${srv.url}/`);
      await page.waitForSelector('#login');
      await page.waitForLoadState('networkidle');
      shell = m.bytes;
      await context.close();
    }

    // 2. Navigation to the map with every record, cold.
    const times = [], loads = [];
    for (let k = 0; k < RUNS; k++) {
      const context = await browser.newContext(VIEW);
      await context.addCookies(cookies);
      const page = await context.newPage();
      await page.addInitScript(readyScript(N));
      const m = await meter(context, page);
      await page.goto(`${srv.url}/#/map?window=all`);
      await page.waitForFunction(() => window.__readyAt, null,
        { timeout: 120000, polling: 100 });
      times.push(await page.evaluate(() => window.__readyAt));
      await page.waitForLoadState('networkidle');
      loads.push(m.bytes);
      await context.close();
    }
    const mapMs = median(times);
    const mapBytes = median(loads);

    // Baseline: the same records from the API alone (fetch + parse).
    const auth = { Cookie: `${cookies[0].name}=${cookies[0].value}` };
    const api = [];
    for (let k = 0; k < RUNS; k++) {
      const t = performance.now();
      const got = await fetch(`${srv.url}/api/v1/records?limit=${N}`,
        { headers: auth });
      const fc = await got.json();
      api.push(performance.now() - t);
      if (fc.features.length !== N) throw new Error(`API: ${fc.features.length}`);
    }
    // And the bytes of the same load without compression: the page, its
    // assets and the records, as plain as they come.
    const plain = async (path) => (await (await fetch(`${srv.url}${path}`,
      { headers: { ...auth, 'Accept-Encoding': 'identity' } })).arrayBuffer())
      .byteLength;
    const page = await (await fetch(`${srv.url}/`, { headers:
      { 'Accept-Encoding': 'identity' } })).text();
    let identity = page.length + await plain(`/api/v1/records?limit=${N}`);
    for (const ref of page.matchAll(/(?:src|href)="(\/assets\/[^"]+)"/g))
      identity += await plain(ref[1]);
    const apiMs = median(api);

    // 3. A 256 kbit/s link: time to a usable map.
    let slowMs, slowBytes;
    {
      const context = await browser.newContext(VIEW);
      await context.addCookies(cookies);
      const page = await context.newPage();
      await page.addInitScript(readyScript(N));
      const m = await meter(context, page);
      await m.cdp.send('Network.emulateNetworkConditions', { offline: false,
        latency: 100, downloadThroughput: LINK / 8, uploadThroughput: LINK / 8 });
      await page.goto(`${srv.url}/#/map?window=all`, { timeout: 300000 });
      await page.waitForFunction(() => window.__firstAt, null,
        { timeout: 300000, polling: 100 });
      slowMs = await page.evaluate(() => window.__firstAt);
      slowBytes = m.bytes;
      await context.close();
    }
    const slowBaseline = slowBytes * 8 / LINK * 1000;

    const results = [
      ['web_first_load_bytes', shell, 'bytes', 'first_load_limit_bytes', LIMIT],
      [`web_map_${N}_records_ms`, mapMs, 'ms', `api_fetch_parse_${N}_records_ms`, apiMs],
      [`web_map_${N}_records_bytes`, mapBytes, 'bytes', 'same_uncompressed_bytes', identity],
      ['web_usable_map_256kbit_ms', slowMs, 'ms', 'its_bytes_at_256kbit_ms', slowBaseline],
    ].map(([name, value, unit, baseline_name, baseline_value]) => ({
      name, value: Math.round(value * 10) / 10, unit, baseline_name,
      baseline_value: Math.round(baseline_value * 10) / 10,
      ratio: Math.round(value / baseline_value * 1e4) / 1e4,
    }));
    const pad = (s, n) => String(s).padStart(n);
    console.log(`\n${'benchmark'.padEnd(46)} ${pad('diboli', 10)} ${pad('baseline', 10)} ${pad('ratio', 7)}`);
    const labels = [
      'first load, bytes (gzip) / 500 KB limit',
      `map with ${N} records, ms / API fetch+parse`,
      `that load, bytes / uncompressed`,
      'usable map at 256 kbit/s, ms / transfer time',
    ];
    results.forEach((r, i) => console.log(`${labels[i].padEnd(46)} ` +
      `${pad(Math.round(r.value), 10)} ${pad(Math.round(r.baseline_value), 10)} ` +
      `${pad(r.ratio.toFixed(2), 7)}${i === 0 ? (r.value <= LIMIT ? '   (limit met)'
        : '   (OVER THE LIMIT)') : ''}`));
    console.log(`\n${N} records of the model's point categories over 30 days, ` +
      `served by diboli serve on loopback to\nDebian's Chromium (headless, ` +
      `fresh profile and cache each run, median of ${RUNS}). "Rendered":\n` +
      'every page of records loaded and the clusters and markers drawn. ' +
      'The first\nload is the login page and what it fetches (the map shell ' +
      'included). The slow\nlink is emulated by Chromium (256 kbit/s each ' +
      'way, 100 ms latency); "usable":\nthe first page of records (1,000) ' +
      'drawn on the map.');
    if (OUT) {
      let old = [];
      if (existsSync(OUT)) {
        try {
          old = JSON.parse(readFileSync(OUT, 'utf8'));
        } catch {
          old = [];
        }
      }
      const mine = new Set(results.map((r) => r.name));
      const merged = [...old.filter((r) => !mine.has(r.name)), ...results];
      writeFileSync(OUT, `${JSON.stringify(merged, null, 2)}\n`);
      console.log(`results written to ${OUT}`);
    }
  } finally {
    await browser?.close();
    await srv.stop();
    cleanup(node.dir);
  }
}

await main();
