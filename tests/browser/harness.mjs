// What the browser tests and the web benchmark share: a real `diboli
// serve` on a free loopback port with its own temporary node (seeded with
// `diboli demo seed`, one user per role), and Debian's Chromium driven by
// playwright-core, cut off from everything but 127.0.0.1, with every
// request it makes recorded.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync,
  writeFileSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const ROOT = resolve(here, '..', '..');
export const DIBOLI = process.env.DIBOLI || join(ROOT, 'build', 'diboli');
export const ARTIFACTS = process.env.DIBOLI_ARTIFACTS ||
  join(ROOT, 'build', 'artifacts');
export const CHROMIUM = process.env.DIBOLI_CHROMIUM || '/usr/bin/chromium';
export const ROLES = ['viewer', 'reporter', 'analyst', 'commander', 'admin'];

// Nothing but loopback: any other host fails to resolve, visibly.
export const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu',
  '--disable-background-networking', '--disable-component-update',
  '--disable-sync', '--no-first-run',
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1'];

const ENV = { ...process.env, LC_ALL: 'C.UTF-8', DIBOLI_PWHASH: 'fast' };

export function diboli(...args) {
  return execFileSync(DIBOLI, args, { env: ENV, encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
}

export const password = (role) => `mot-de-passe-${role}-essai`;

// A node in a temporary directory: {dir, node}. seed: days of the demo
// situation (0: none). nationKey: a nation .key file that certifies the
// node (needed for sync and bundles).
export function makeNode({ nation = 'SN', days = 60, seed = 1,
  name = 'PC Kidira (essais du navigateur)', nationKey = null } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'diboli-web-'));
  const node = join(dir, 'node');
  diboli('init', '--dir', node, '--nation', nation, '--name', name,
    ...(nationKey ? ['--nation-key', nationKey] : []));
  if (days > 0)
    diboli('demo', 'seed', '--dir', node, '--days', String(days),
      '--seed', String(seed));
  for (const role of ROLES) {
    const f = join(dir, `pw-${role}`);
    writeFileSync(f, `${password(role)}\n`);
    diboli('user', 'add', '--dir', node, '--login', role, '--role', role,
      '--name', `Compte d'essai (${role})`, '--password-file', f);
    rmSync(f);
  }
  return { dir, node };
}

// diboli serve on 127.0.0.1:0; resolves to {url, stop(), proc, errors()}.
export async function serve(node, extra = [], { timeout = 15000 } = {}) {
  const dir = dirname(node);
  const ready = join(dir, `ready-${Date.now()}`);
  const errPath = join(dir, `serve-${Date.now()}.err`);
  const err = openSync(errPath, 'w');
  const proc = spawn(DIBOLI, ['serve', '--dir', node, '--listen',
    '127.0.0.1:0', '--ready-file', ready, '--quiet', ...extra],
  { env: ENV, stdio: ['ignore', 'ignore', err] });
  const errors = () => {
    try {
      return readFileSync(errPath, 'utf8');
    } catch {
      return '';
    }
  };
  const t0 = Date.now();
  while (Date.now() - t0 < timeout) {
    if (proc.exitCode !== null)
      throw new Error(`diboli serve exited ${proc.exitCode}: ${errors()}`);
    if (existsSync(ready)) {
      const text = readFileSync(ready, 'utf8');
      if (text.endsWith('\n')) {
        const url = text.trim();
        return {
          url,
          proc,
          errors,
          async stop() {
            if (proc.exitCode !== null) return proc.exitCode;
            const done = new Promise((r) => proc.once('exit', (c) => r(c)));
            proc.kill('SIGTERM');
            const timer = setTimeout(() => proc.kill('SIGKILL'), 10000);
            const code = await done;
            clearTimeout(timer);
            return code;
          },
        };
      }
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  proc.kill('SIGKILL');
  throw new Error(`diboli serve not ready after ${timeout} ms: ${errors()}`);
}

export async function launch() {
  if (!existsSync(CHROMIUM))
    throw new Error(`${CHROMIUM} is missing: install Debian's chromium ` +
      '(deps/debian.txt, make deps)');
  return chromium.launch({ executablePath: CHROMIUM, headless: true,
    args: FLAGS });
}

// Records every request of a browser context, the page errors, console
// errors and Content-Security-Policy violations.
export function watch(context, origin) {
  const w = { requests: [], problems: [], failed: [] };
  context.on('request', (r) => w.requests.push(r.url()));
  context.on('requestfailed', (r) => w.failed.push(`${r.url()} ` +
    `${r.failure()?.errorText}`));
  const page = (p) => {
    p.on('pageerror', (e) => w.problems.push(`page error: ${e.message}`));
    p.on('console', (m) => {
      const text = m.text();
      if (/Content.Security.Policy|Refused to/i.test(text))
        w.problems.push(`CSP: ${text}`);
      else if (m.type() === 'error' && !/status of (401|403|404|409|422)/.test(text))
        w.problems.push(`console: ${text}`);
    });
  };
  context.on('page', page);
  for (const p of context.pages()) page(p);
  w.outside = () => w.requests.filter((u) => !u.startsWith(`${origin}/`) &&
    !u.startsWith('data:') && !u.startsWith('blob:'));
  return w;
}

export async function login(page, url, role) {
  await page.goto(`${url}/`);
  await page.waitForSelector('#login');
  await page.fill('#login', role);
  await page.fill('#password', password(role));
  await page.click('form.login button[type=submit]');
  await page.waitForSelector('header.top');
}

// Wait until the map drew what is loaded (data-ready > 0, not loading).
export async function mapReady(page, { min = 1, timeout = 30000 } = {}) {
  await page.waitForFunction((n) => {
    const m = document.getElementById('map');
    return m && m.dataset.loading === '0' && Number(m.dataset.ready) >= n;
  }, min, { timeout });
}

export async function shot(page, name, opts = {}) {
  const d = join(ARTIFACTS, 'screenshots');
  mkdirSync(d, { recursive: true });
  const path = join(d, `${name}.png`);
  await page.screenshot({ path, ...opts });
  console.log(`# screenshot ${path}`);
  return path;
}

// A screenshot of the whole page of a view: the window made as tall as
// the main area's content (it scrolls inside the window), then back.
export async function shotFull(page, name, { max = 4000 } = {}) {
  const vp = page.viewportSize();
  const height = await page.evaluate(() => {
    const m = document.querySelector('main');
    if (m) m.scrollTo(0, 0);
    return (m ? m.scrollHeight : document.body.scrollHeight) +
      (document.querySelector('header.top')?.offsetHeight || 0);
  });
  await page.setViewportSize({ width: vp.width,
    height: Math.min(max, Math.max(vp.height, height)) });
  await page.waitForTimeout(200);
  const path = await shot(page, name);
  await page.setViewportSize(vp);
  return path;
}

// The API as a program uses it: a session of its own.
export async function apiSession(url, role) {
  const r = await fetch(`${url}/api/v1/session`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ login: role, password: password(role) }),
  });
  if (r.status !== 200) throw new Error(`login ${role}: ${r.status}`);
  const { csrf } = await r.json();
  const cookie = r.headers.get('set-cookie').split(';')[0];
  const call = async (method, path, body) => {
    const res = await fetch(`${url}/api/v1${path}`, {
      method,
      headers: { Cookie: cookie, 'X-CSRF-Token': csrf,
        ...(body ? { 'Content-Type': 'application/json' } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    return { status: res.status, json: text ? JSON.parse(text) : null };
  };
  return { get: (p) => call('GET', p), post: (p, b) => call('POST', p, b) };
}

export function cleanup(dir) {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
