// Coordinates for the UI: UTM by Krüger's series (6th order, as the node
// does in src/geo/), MGRS at 1 m, and the parsing of what an officer
// types (decimal degrees, DMS, MGRS). The node stays the authority: a
// typed location is sent as text and converted there.
const A_WGS = 6378137;
const F_WGS = 1 / 298.257223563;
const K0 = 0.9996;
const N_ = F_WGS / (2 - F_WGS);
const E_ = Math.sqrt(F_WGS * (2 - F_WGS));
const n2 = N_ * N_, n3 = n2 * N_, n4 = n3 * N_, n5 = n4 * N_, n6 = n5 * N_;
const A_ = A_WGS / (1 + N_) * (1 + n2 / 4 + n4 / 64 + n6 / 256);
const ALPHA = [0,
  N_ / 2 - 2 * n2 / 3 + 5 * n3 / 16 + 41 * n4 / 180 - 127 * n5 / 288 +
    7891 * n6 / 37800,
  13 * n2 / 48 - 3 * n3 / 5 + 557 * n4 / 1440 + 281 * n5 / 630 -
    1983433 * n6 / 1935360,
  61 * n3 / 240 - 103 * n4 / 140 + 15061 * n5 / 26880 + 167603 * n6 / 181440,
  49561 * n4 / 161280 - 179 * n5 / 168 + 6601661 * n6 / 7257600,
  34729 * n5 / 80640 - 3418889 * n6 / 1995840,
  212378941 * n6 / 319334400];
const BETA = [0,
  N_ / 2 - 2 * n2 / 3 + 37 * n3 / 96 - n4 / 360 - 81 * n5 / 512 +
    96199 * n6 / 604800,
  n2 / 48 + n3 / 15 - 437 * n4 / 1440 + 46 * n5 / 105 - 1118711 * n6 / 3870720,
  17 * n3 / 480 - 37 * n4 / 840 - 209 * n5 / 4480 + 5569 * n6 / 90720,
  4397 * n4 / 161280 - 11 * n5 / 504 - 830251 * n6 / 7257600,
  4583 * n5 / 161280 - 108847 * n6 / 3991680,
  20648693 * n6 / 638668800];
const RAD = Math.PI / 180;
const BANDS = 'CDEFGHJKLMNPQRSTUVWX';
const COLS = ['ABCDEFGH', 'JKLMNPQR', 'STUVWXYZ'];
const ROWS = 'ABCDEFGHJKLMNPQRSTUV';

export function utmZone(lon) {
  return Math.min(60, Math.floor((lon + 180) / 6) + 1);
}

// {zone, north, e, n} of lat/lon, in zone (default: its own).
export function toUtm(lat, lon, zone = utmZone(lon)) {
  const lon0 = ((zone - 1) * 6 - 180 + 3) * RAD;
  const phi = lat * RAD;
  const lam = lon * RAD - lon0;
  const tau = Math.tan(phi);
  const sigma = Math.sinh(E_ * Math.atanh(E_ * tau / Math.sqrt(1 + tau * tau)));
  const taup = tau * Math.sqrt(1 + sigma * sigma) -
    sigma * Math.sqrt(1 + tau * tau);
  const xip = Math.atan2(taup, Math.cos(lam));
  const etap = Math.asinh(Math.sin(lam) /
    Math.sqrt(taup * taup + Math.cos(lam) ** 2));
  let xi = xip, eta = etap;
  for (let j = 1; j <= 6; j++) {
    xi += ALPHA[j] * Math.sin(2 * j * xip) * Math.cosh(2 * j * etap);
    eta += ALPHA[j] * Math.cos(2 * j * xip) * Math.sinh(2 * j * etap);
  }
  const e = K0 * A_ * eta + 500000;
  let n = K0 * A_ * xi;
  if (lat < 0) n += 10000000;
  return { zone, north: lat >= 0, e, n };
}

// {lat, lon} of a UTM position.
export function fromUtm(zone, north, e, n) {
  const lon0 = ((zone - 1) * 6 - 180 + 3) * RAD;
  const xi = (north ? n : n - 10000000) / (K0 * A_);
  const eta = (e - 500000) / (K0 * A_);
  let xip = xi, etap = eta;
  for (let j = 1; j <= 6; j++) {
    xip -= BETA[j] * Math.sin(2 * j * xi) * Math.cosh(2 * j * eta);
    etap -= BETA[j] * Math.cos(2 * j * xi) * Math.sinh(2 * j * eta);
  }
  const sinhEtap = Math.sinh(etap);
  const sinXip = Math.sin(xip), cosXip = Math.cos(xip);
  const taup = sinXip / Math.sqrt(sinhEtap * sinhEtap + cosXip * cosXip);
  let tau = taup;
  for (let i = 0; i < 10; i++) {
    const s = Math.sinh(E_ * Math.atanh(E_ * tau / Math.sqrt(1 + tau * tau)));
    const ti = tau * Math.sqrt(1 + s * s) - s * Math.sqrt(1 + tau * tau);
    const d = (taup - ti) / Math.sqrt(1 + ti * ti) *
      (1 + (1 - E_ * E_) * tau * tau) /
      ((1 - E_ * E_) * Math.sqrt(1 + tau * tau));
    tau += d;
    if (Math.abs(d) < 1e-12) break;
  }
  return { lat: Math.atan(tau) / RAD, lon: (Math.atan2(sinhEtap, cosXip) + lon0) / RAD };
}

// "28PBB3648725798": 1 m, digits truncated (as GeoConvert -m -p 0).
export function toMgrs(lat, lon) {
  if (!(lat >= -80 && lat <= 84) || !(lon >= -180 && lon <= 180)) return '';
  const u = toUtm(lat, lon);
  const band = BANDS[Math.min(19, Math.floor(lat / 8 + 10))];
  const col = Math.floor(u.e / 100000);
  const colL = COLS[(u.zone - 1) % 3][col - 1];
  let row = Math.floor(u.n / 100000) % 20;
  if (u.zone % 2 === 0) row = (row + 5) % 20;
  const pad = (v) => String(Math.floor(v % 100000)).padStart(5, '0');
  return `${u.zone}${band}${colL}${ROWS[row]}${pad(u.e)}${pad(u.n)}`;
}

// "28P BB 36487 25798" for reading.
export function spaceMgrs(m) {
  const r = /^(\d{1,2}[A-Z])([A-Z]{2})(\d*)$/.exec(m || '');
  if (!r) return m || '';
  const h = r[3].length / 2;
  return `${r[1]} ${r[2]} ${r[3].slice(0, h)} ${r[3].slice(h)}`.trim();
}

// {lat, lon, precision (m)} of an MGRS reference (the centre of its
// square), or null.
export function fromMgrs(text) {
  const m = /^(\d{1,2})([C-HJ-NP-X])\s*([A-HJ-NP-Z])([A-HJ-NP-V])\s*(\d*)\s*(\d*)$/
    .exec(String(text).toUpperCase().trim());
  if (!m) return null;
  const zone = Number(m[1]);
  let digits = m[5] + m[6];
  if (zone < 1 || zone > 60 || digits.length % 2 || digits.length > 10)
    return null;
  const k = digits.length / 2;
  const prec = 10 ** (5 - k);
  const col = COLS[(zone - 1) % 3].indexOf(m[3]);
  let row = ROWS.indexOf(m[4]);
  if (col < 0 || row < 0) return null;
  if (zone % 2 === 0) row = (row + 15) % 20;
  const e = (col + 1) * 100000 + (k ? Number(digits.slice(0, k)) * prec : 0) +
    prec / 2;
  let n = row * 100000 + (k ? Number(digits.slice(k)) * prec : 0) + prec / 2;
  const bandLat = (BANDS.indexOf(m[2]) - 10) * 8;
  const north = bandLat >= 0;
  // The 2,000 km cycle that puts the point in its latitude band.
  const base = toUtm(bandLat, (zone - 1) * 6 - 180 + 3, zone).n;
  while (n < base - 100000) n += 2000000;
  const p = fromUtm(zone, north, e, n);
  return { lat: p.lat, lon: p.lon, precision: prec };
}

function dms(s) {
  const m = /^(\d{1,3})[°\s]\s*(?:(\d{1,2}(?:\.\d+)?)['′\s]\s*(?:(\d{1,2}(?:\.\d+)?)(?:"|″|'')?)?)?\s*([NSEW])$/i
    .exec(s.trim());
  if (!m) return null;
  let v = Number(m[1]) + Number(m[2] || 0) / 60 + Number(m[3] || 0) / 3600;
  const h = m[4].toUpperCase();
  if (h === 'S' || h === 'W') v = -v;
  return { v, axis: h === 'N' || h === 'S' ? 'lat' : 'lon' };
}

// What an officer typed: {lat, lon, kind} or null. "14.4523, -12.2013"
// (latitude first, as the node reads it), "14°27'08\"N 12°12'05\"W", or
// MGRS "28P HU 06973 89693".
export function parseLocation(input) {
  const s = String(input || '').trim();
  if (!s) return null;
  const dec = /^(-?\d{1,2}(?:\.\d+)?)\s*[,;\s]\s*(-?\d{1,3}(?:\.\d+)?)$/.exec(s);
  if (dec) {
    const lat = Number(dec[1]), lon = Number(dec[2]);
    if (lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180)
      return { lat, lon, kind: 'decimal' };
    return null;
  }
  const parts = s.match(/^(.+?[NSns])\s*[,;]?\s*(.+?[EWew])$/);
  if (parts) {
    const a = dms(parts[1]), b = dms(parts[2]);
    if (a && b && a.axis === 'lat' && b.axis === 'lon')
      return { lat: a.v, lon: b.v, kind: 'dms' };
  }
  const g = fromMgrs(s.replace(/\s+/g, ''));
  return g ? { lat: g.lat, lon: g.lon, kind: 'mgrs' } : null;
}

export function fmtLatLon(lat, lon) {
  return `${lat.toFixed(5)}, ${lon.toFixed(5)}`;
}
