// Build the web UI into OUT/dist, the files the node embeds (see
// docs/web.md): web/src/main.js and its CSS bundled and minified by
// esbuild, Leaflet's images, Natural Earth countries cut to West Africa,
// every asset named by its content hash, gzip twins of what gains, and
// index.html pointing at the hashed names. Nothing is fetched: it all
// comes from node_modules (npm ci). Usage: node web/build.mjs OUT
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync,
  writeFileSync, renameSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, constants } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const out = resolve(process.argv[2] || join(root, 'build', 'web'));
const dist = join(out, 'dist');
const assets = join(dist, 'assets');

let esbuild, topojson;
try {
  esbuild = await import('esbuild');
  topojson = await import('topojson-client');
} catch (e) {
  console.error('web/build.mjs: node_modules is missing or incomplete; ' +
    'run "make deps" (npm ci) first: ' + e.message);
  process.exit(2);
}

const hash = (buf) => createHash('sha256').update(buf).digest('hex')
  .slice(0, 12);

// 1. The app: one script, one stylesheet, their images.
rmSync(out, { recursive: true, force: true });
mkdirSync(assets, { recursive: true });
const result = await esbuild.build({
  absWorkingDir: root,
  entryPoints: { app: 'web/src/main.js' },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['chrome100', 'firefox100', 'safari15'],
  outdir: assets,
  entryNames: '[name]-[hash]',
  assetNames: '[name]-[hash]',
  publicPath: '/assets/',
  loader: { '.png': 'file', '.svg': 'file' },
  legalComments: 'eof',
  metafile: true,
  logLevel: 'warning',
  // The catalogues and the code are all there is: no eval, no remote.
  define: { 'process.env.NODE_ENV': '"production"' },
});
const outputs = Object.keys(result.metafile.outputs)
  .map((p) => relative(assets, resolve(root, p)));
const appJs = outputs.find((p) => /^app-.*\.js$/.test(p));
const appCss = outputs.find((p) => /^app-.*\.css$/.test(p));
if (!appJs || !appCss) {
  console.error('web/build.mjs: esbuild made no app script or stylesheet');
  process.exit(1);
}

// 2. Natural Earth 1:50m countries around the partnership, cut at build
// time: a world of 740 KB becomes the few countries the map shows.
const BBOX = [-18.5, 8, 4.5, 25.5];   // W, S, E, N: Senegal and Mali, and around
const A2 = {       // ISO 3166-1 numeric -> alpha-2, for the region
  '012': 'DZ', '072': 'BW', '204': 'BJ', '270': 'GM', '288': 'GH',
  '324': 'GN', '384': 'CI', '430': 'LR', '466': 'ML', '478': 'MR',
  '504': 'MA', '562': 'NE', '566': 'NG', '624': 'GW', '686': 'SN',
  '694': 'SL', '732': 'EH', '768': 'TG', '854': 'BF', '148': 'TD',
  '132': 'CV', '120': 'CM', '434': 'LY', '788': 'TN', '724': 'ES',
};
const world = JSON.parse(readFileSync(
  join(root, 'node_modules/world-atlas/countries-50m.json'), 'utf8'));
const all = topojson.feature(world, world.objects.countries).features;
// 0.01° (~1 km) is the 1:50m data's own precision; the partners' outline
// keeps 0.001° (the boundary itself is the node's 1:10m reference layer).
const q = (v, k) => Math.round(v * k) / k;
function ring(r, k) {
  const o = [];
  for (const [x, y] of r) {
    const p = [q(x, k), q(y, k)];
    const last = o[o.length - 1];
    if (!last || last[0] !== p[0] || last[1] !== p[1]) o.push(p);
  }
  return o.length >= 4 ? o : null;
}
function bboxOf(poly) {
  let w = 180, s = 90, e = -180, n = -90;
  for (const r of poly) for (const [x, y] of r) {
    w = Math.min(w, x); e = Math.max(e, x);
    s = Math.min(s, y); n = Math.max(n, y);
  }
  return [w, s, e, n];
}
const inside = (b) => !(b[2] < BBOX[0] || b[0] > BBOX[2] || b[3] < BBOX[1] ||
  b[1] > BBOX[3]);
const countries = [];
for (const f of all) {
  if (!f.geometry) continue;
  // Each part on its own: France or the Netherlands have none here.
  const k = ['SN', 'ML'].includes(A2[f.id]) ? 1000 : 100;
  const polys = (f.geometry.type === 'Polygon' ? [f.geometry.coordinates]
    : f.geometry.coordinates)
    .filter((p) => inside(bboxOf(p)))
    .map((p) => p.map((r) => ring(r, k)).filter(Boolean))
    .filter((p) => p.length);
  if (!polys.length) continue;
  countries.push({
    type: 'Feature',
    id: A2[f.id] || f.id,
    properties: { name: f.properties.name },
    geometry: { type: 'MultiPolygon', coordinates: polys },
  });
}
const countriesText = JSON.stringify({
  type: 'FeatureCollection',
  source: 'Natural Earth 1:50m admin-0 countries (public domain), ' +
    'world-atlas 2.0.2',
  features: countries,
});
const countriesName = `countries-${hash(countriesText)}.json`;
writeFileSync(join(assets, countriesName), countriesText);

// 3. The icon, and the page that names everything by its hash.
const icon = readFileSync(join(here, 'icon.svg'));
const iconName = `icon-${hash(icon)}.svg`;
writeFileSync(join(assets, iconName), icon);
const page = readFileSync(join(here, 'index.html'), 'utf8')
  .replaceAll('{{app.js}}', `/assets/${appJs}`)
  .replaceAll('{{app.css}}', `/assets/${appCss}`)
  .replaceAll('{{countries}}', `/assets/${countriesName}`)
  .replaceAll('{{icon}}', `/assets/${iconName}`);
if (/<script(?![^>]*\bsrc=)[^>]*>|\sstyle=|\son[a-z]+=/i.test(page)) {
  console.error('web/build.mjs: index.html must hold no inline script, ' +
    'style or handler (Content-Security-Policy)');
  process.exit(1);
}
writeFileSync(join(dist, 'index.html'), page);

// 4. gzip twins (served with Content-Encoding: gzip when accepted).
let raw = 0, gz = 0;
const walk = (d) => readdirSync(d).flatMap((n) => {
  const p = join(d, n);
  return statSync(p).isDirectory() ? walk(p) : [p];
});
for (const p of walk(dist)) {
  const data = readFileSync(p);
  raw += data.length;
  if (!/\.(html|js|css|json|svg|txt)$/.test(p)) {
    gz += data.length;
    continue;
  }
  const z = gzipSync(data, { level: constants.Z_BEST_COMPRESSION });
  if (z.length < data.length * 0.95) {
    writeFileSync(p + '.gz', z);
    gz += z.length;
  } else {
    gz += data.length;
  }
}
// The stamp CMake depends on, written last.
writeFileSync(join(out, 'stamp.tmp'), `${appJs} ${appCss} ${raw} ${gz}\n`);
renameSync(join(out, 'stamp.tmp'), join(out, 'stamp'));
console.log(`web: ${relative(root, dist)}: ${outputs.length + 3} files, ` +
  `${(raw / 1024).toFixed(0)} KiB, ${(gz / 1024).toFixed(0)} KiB gzip`);
