// Nation public keys in the page: the text of a .pub file
// ("diboli-nation-pub/1 ML <64 hex>") and its fingerprint, the first 8
// bytes of BLAKE2b-256 of the key as 16 hex digits (docs/federation.md,
// cert_fingerprint), computed here before anything is sent so that two
// officers can read it to each other over the phone first. BLAKE2b
// (RFC 7693) with BigInt words: one 32-byte key is one block.
const IV = [0x6a09e667f3bcc908n, 0xbb67ae8584caa73bn, 0x3c6ef372fe94f82bn,
  0xa54ff53a5f1d36f1n, 0x510e527fade682d1n, 0x9b05688c2b3e6c1fn,
  0x1f83d9abfb41bd6bn, 0x5be0cd19137e2179n];
const SIGMA = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15],
  [14, 10, 4, 8, 9, 15, 13, 6, 1, 12, 0, 2, 11, 7, 5, 3],
  [11, 8, 12, 0, 5, 2, 15, 13, 10, 14, 3, 6, 7, 1, 9, 4],
  [7, 9, 3, 1, 13, 12, 11, 14, 2, 6, 5, 10, 4, 0, 15, 8],
  [9, 0, 5, 7, 2, 4, 10, 15, 14, 1, 11, 12, 6, 8, 3, 13],
  [2, 12, 6, 10, 0, 11, 8, 3, 4, 13, 7, 5, 15, 14, 1, 9],
  [12, 5, 1, 15, 14, 13, 4, 10, 0, 7, 6, 3, 9, 2, 8, 11],
  [13, 11, 7, 14, 12, 1, 3, 9, 5, 0, 15, 4, 8, 6, 2, 10],
  [6, 15, 14, 9, 11, 3, 0, 8, 12, 2, 13, 7, 1, 4, 10, 5],
  [10, 2, 8, 4, 7, 6, 1, 5, 15, 11, 9, 14, 3, 12, 13, 0],
];
const M = (1n << 64n) - 1n;
const rotr = (x, n) => ((x >> n) | (x << (64n - n))) & M;

function compress(hs, block, t, last) {
  const m = [];
  for (let i = 0; i < 16; i++) {
    let w = 0n;
    for (let j = 7; j >= 0; j--) w = (w << 8n) | BigInt(block[i * 8 + j]);
    m.push(w);
  }
  const v = [...hs, ...IV];
  v[12] ^= t & M;
  v[13] ^= t >> 64n;
  if (last) v[14] ^= M;
  const g = (a, b, c, d, x, y) => {
    v[a] = (v[a] + v[b] + x) & M; v[d] = rotr(v[d] ^ v[a], 32n);
    v[c] = (v[c] + v[d]) & M; v[b] = rotr(v[b] ^ v[c], 24n);
    v[a] = (v[a] + v[b] + y) & M; v[d] = rotr(v[d] ^ v[a], 16n);
    v[c] = (v[c] + v[d]) & M; v[b] = rotr(v[b] ^ v[c], 63n);
  };
  for (let r = 0; r < 12; r++) {
    const s = SIGMA[r % 10];
    g(0, 4, 8, 12, m[s[0]], m[s[1]]);
    g(1, 5, 9, 13, m[s[2]], m[s[3]]);
    g(2, 6, 10, 14, m[s[4]], m[s[5]]);
    g(3, 7, 11, 15, m[s[6]], m[s[7]]);
    g(0, 5, 10, 15, m[s[8]], m[s[9]]);
    g(1, 6, 11, 12, m[s[10]], m[s[11]]);
    g(2, 7, 8, 13, m[s[12]], m[s[13]]);
    g(3, 4, 9, 14, m[s[14]], m[s[15]]);
  }
  for (let i = 0; i < 8; i++) hs[i] ^= v[i] ^ v[i + 8];
}

// BLAKE2b of bytes (Uint8Array), outlen bytes (1 to 64), no key.
export function blake2b(bytes, outlen = 32) {
  const hs = [...IV];
  hs[0] ^= 0x01010000n ^ BigInt(outlen);
  let t = 0n;
  let off = 0;
  const block = new Uint8Array(128);
  while (bytes.length - off > 128) {
    block.set(bytes.subarray(off, off + 128));
    t += 128n;
    compress(hs, block, t, false);
    off += 128;
  }
  block.fill(0);
  block.set(bytes.subarray(off));
  t += BigInt(bytes.length - off);
  compress(hs, block, t, true);
  const out = new Uint8Array(outlen);
  for (let i = 0; i < outlen; i++)
    out[i] = Number((hs[i >> 3] >> BigInt(8 * (i & 7))) & 0xffn);
  return out;
}

const hex = (b) => [...b].map((x) => x.toString(16).padStart(2, '0')).join('');

// {nation, key (hex), fingerprint} of a .pub file's text, or null.
export function parsePub(text) {
  const m = /^\s*diboli-nation-pub\/1 ([A-Z]{2}) ([0-9a-fA-F]{64})\s*$/
    .exec(String(text || ''));
  if (!m) return null;
  const key = m[2].toLowerCase();
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(key.slice(2 * i, 2 * i + 2), 16);
  return { nation: m[1], key, fingerprint: hex(blake2b(bytes, 32).subarray(0, 8)) };
}

// "deb6 8ab0 e176 7f81": a fingerprint as it is read aloud.
export function spacedFingerprint(fp) {
  return String(fp || '').replace(/(.{4})(?=.)/g, '$1 ');
}
