// The UI's coordinates (web/src/core/geo.js) against GeographicLib's
// GeoConvert: MGRS of the reference table of shared/reference/interop.md
// and of random points of West Africa (UTM zones 28 to 31), MGRS back to
// latitude and longitude, and the parsing of what an officer types.
// Run: node --test tests/browser/test_geo.mjs (ctest -L browser).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { describe, it } from 'node:test';
import { fromMgrs, parseLocation, spaceMgrs, toMgrs, utmZone } from
  '../../web/src/core/geo.js';

const TABLE = [
  [14.693, -17.447, '28PBB3648725798'],
  [13.769, -13.667, '28PFA4410522578'],
  [14.450, -11.433, '29PKR3770898885'],
  [12.639, -8.003, '29PPP0827597420'],
  [16.7735, -3.0074, '30QVD9921154498'],
  [18.4411, 1.4078, '31QCA3185239727'],
];
const GEOCONVERT = '/usr/bin/GeoConvert';

// A deterministic generator (no Math.random: a failure must replay).
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

describe('coordinates of the UI', () => {
  it('writes the MGRS of the reference table', () => {
    for (const [lat, lon, m] of TABLE) assert.equal(toMgrs(lat, lon), m);
  });

  it('puts a zone boundary in the eastern zone', () => {
    assert.equal(utmZone(-12.0), 29);
    assert.match(toMgrs(14.0, -12.0), /^29P/);
  });

  it('reads MGRS back within a metre', () => {
    for (const [lat, lon, m] of TABLE) {
      const p = fromMgrs(m);
      assert.ok(Math.abs(p.lat - lat) < 1e-5 && Math.abs(p.lon - lon) < 1e-5,
        `${m}: ${p.lat}, ${p.lon}`);
      assert.deepEqual(fromMgrs(spaceMgrs(m).replace(/ /g, '')), p);
    }
    // 10 km precision: the centre of its square.
    const coarse = fromMgrs('28PBB32');
    assert.equal(coarse.precision, 10000);
    assert.equal(fromMgrs('28PBB364872579'), null);      // odd digits
    assert.equal(fromMgrs('28PIB3648725798'), null);     // no I
    assert.equal(fromMgrs('hello'), null);
  });

  it('parses decimal, DMS and MGRS as the form takes them', () => {
    assert.deepEqual(parseLocation('14.4523, -12.2013'),
      { lat: 14.4523, lon: -12.2013, kind: 'decimal' });
    assert.deepEqual(parseLocation('14.4523 -12.2013'),
      { lat: 14.4523, lon: -12.2013, kind: 'decimal' });
    const d = parseLocation('14°27\'08"N 12°12\'05"W');
    assert.equal(d.kind, 'dms');
    assert.ok(Math.abs(d.lat - 14.452222) < 1e-6 && Math.abs(d.lon + 12.201389) < 1e-6);
    const m = parseLocation('28P BB 36487 25798');
    assert.equal(m.kind, 'mgrs');
    assert.ok(Math.abs(m.lat - 14.693) < 1e-5);
    assert.equal(parseLocation('91, 0'), null);
    assert.equal(parseLocation(''), null);
    assert.equal(parseLocation('Kidira'), null);
  });

  it('agrees with GeoConvert on 2,000 random points of West Africa',
    { skip: !existsSync(GEOCONVERT) && 'GeoConvert missing (geographiclib-tools)' },
    () => {
      const r = rng(20250220);
      const pts = [];
      for (let i = 0; i < 2000; i++)
        pts.push([4 + r() * 24, -18 + r() * 22]);
      const input = pts.map(([a, b]) => `${a.toFixed(7)} ${b.toFixed(7)}`).join('\n');
      const mgrs = execFileSync(GEOCONVERT, ['-m', '-p', '0'], { input,
        encoding: 'utf8' }).trim().split('\n');
      const back = execFileSync(GEOCONVERT, ['-g', '-p', '3'], {
        input: mgrs.join('\n'), encoding: 'utf8' }).trim().split('\n');
      let bad = 0;
      for (let i = 0; i < pts.length; i++) {
        const [lat, lon] = pts[i].map((v) => Number(v.toFixed(7)));
        // Truncated digits: a point a hair from a metre line may fall
        // either side of it; allow the neighbour square.
        if (toMgrs(lat, lon) !== mgrs[i]) {
          const e = Number(mgrs[i].slice(-10, -5)), n = Number(mgrs[i].slice(-5));
          const mine = toMgrs(lat, lon);
          const e2 = Number(mine.slice(-10, -5)), n2 = Number(mine.slice(-5));
          if (mine.slice(0, -10) !== mgrs[i].slice(0, -10) ||
              Math.abs(e - e2) > 1 || Math.abs(n - n2) > 1) bad++;
        }
        const [glat, glon] = back[i].split(/\s+/).map(Number);
        const p = fromMgrs(mgrs[i]);
        if (Math.abs(p.lat - glat) > 2e-5 || Math.abs(p.lon - glon) > 2e-5) bad++;
      }
      assert.equal(bad, 0);
    });
});
