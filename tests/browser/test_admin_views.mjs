// The sections board, sync and admin views in a real browser: Debian's
// Chromium (headless, cut off from everything but 127.0.0.1) against
// two real `diboli serve` nodes on loopback, a Senegalese one (seeded,
// certified) and a Malian one (certified, pinning Senegal's key, with
// levels of its own that raise two sections).
//  - admin (SN): adds a user, who then logs in; the last-admin rule is
//    shown; creates a token (shown once, works, then revoked); adds the
//    Malian node as a peer from its pasted .pub text and sees the
//    fingerprint that keygen printed; the sync view shows the peer;
//    exports a bundle (a download), which the Malian admin imports in
//    the Malian node's sync view; "Sync now" brings Mali's levels.
//  - commander (SN): the partner's notices at the top of the board and
//    counted in the navigation; sets a section's level with a reason
//    and sees it on the board.
//  - viewer (SN): no form, no admin link, #/admin not allowed, no sync
//    controls.
// No request leaves 127.0.0.1, no script error, no CSP violation.
// Screenshots: sections-board, sections-page, sync, admin-users,
// admin-tokens, admin-peer-key, admin-peers (build/artifacts/screenshots/).
// Run: node --test tests/browser/test_admin_views.mjs (ctest -L browser).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { cleanup, diboli, launch, login, makeNode, serve, shotFull, watch }
  from './harness.mjs';

const VIEW = { viewport: { width: 1366, height: 860 }, locale: 'fr-FR',
  timezoneId: 'UTC', acceptDownloads: true };
const NEW_USER = 'awa.diallo';
const NEW_PASSWORD = 'une phrase de passe assez longue';

describe('sections, sync and admin views in Chromium', { timeout: 120000 }, () => {
  let keys, sn, ml, snSrv, mlSrv, browser, mlFingerprint, bundlePath;
  const watchers = [];

  async function newPage(srv = snSrv) {
    const context = await browser.newContext(VIEW);
    const w = watch(context, srv.url);
    watchers.push(w);
    const page = await context.newPage();
    page.setDefaultTimeout(15000);
    return { context, page };
  }

  before(async () => {
    keys = mkdtempSync(join(tmpdir(), 'diboli-keys-'));
    diboli('nation', 'keygen', '--nation', 'SN', '--out', join(keys, 'sn'));
    const out = diboli('nation', 'keygen', '--nation', 'ML', '--out',
      join(keys, 'ml'));
    mlFingerprint = /fingerprint\s+([0-9a-f]{16})/.exec(out)[1];
    sn = makeNode({ nation: 'SN', days: 30, name: 'PC Tambacounda (essais)',
      nationKey: join(keys, 'sn.key') });
    ml = makeNode({ nation: 'ML', days: 0, name: 'PC Kayes (essais)',
      nationKey: join(keys, 'ml.key') });
    diboli('nation', 'pin', '--dir', ml.node, '--nation-pub',
      join(keys, 'sn.pub'));
    // Levels of each side, and incidents of today near Kidira–Diboli
    // (the demo situation is of 2025: outside the board's 30 days).
    const set = (node, sec, level, reason) => diboli('section', 'set',
      '--dir', node, '--section', sec, '--level', level, '--reason', reason);
    set(sn.node, 'SEC-02', 'medium', 'Contrebande de carburant au pont de Kidira (synthétique).');
    set(sn.node, 'SEC-06', 'high', 'Dragues sur la Falémé en aval de Sadiola (synthétique).');
    set(ml.node, 'SEC-02', 'high', 'Attaques contre les postes de Diboli (synthétique).');
    set(ml.node, 'SEC-12', 'medium', 'Passages suspects au gué de Satadougou (synthétique).');
    const now = new Date(Date.now() - 3600e3).toISOString().replace(/\.\d+Z$/, 'Z');
    for (const [cat, lat, lon] of [['security.smuggling.fuel', 14.45, -12.21],
      ['security.illegal_checkpoint', 14.52, -12.19],
      ['security.smuggling.fuel', 14.40, -12.17]])
      diboli('record', 'add', '--dir', sn.node, '--category', cat, '--at', now,
        '--lat', String(lat), '--lon', String(lon), '--audience', 'ML,SN');
    [snSrv, mlSrv] = await Promise.all([serve(sn.node), serve(ml.node)]);
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    const codes = await Promise.all([snSrv?.stop(), mlSrv?.stop()]);
    cleanup(sn?.dir);
    cleanup(ml?.dir);
    cleanup(keys);
    assert.deepEqual(codes, [0, 0], `diboli serve did not stop cleanly: ${
      snSrv?.errors()} ${mlSrv?.errors()}`);
  });

  it('admin: adds a user who can log in; the last admin cannot be demoted', async () => {
    const { context, page } = await newPage();
    await login(page, snSrv.url, 'admin');
    assert.equal(await page.textContent('nav.nav a[data-view=admin]'), 'Administration');
    await page.click('nav.nav a[data-view=admin]');
    await page.waitForSelector('.users-table tr[data-login=admin]');
    // The rule is shown, and a short password is refused here first.
    await page.fill('#new-login', NEW_USER);
    await page.fill('#new-name', 'Awa Diallo (fictive)');
    await page.selectOption('#new-role', 'analyst');
    await page.fill('#new-password', 'trop-court');
    await page.fill('#new-password2', 'trop-court');
    assert.match(await page.textContent('#add-user'), /Au moins 12 caractères/);
    assert.match(await page.textContent('.pw-count'), /10 caractère\(s\) sur 12/);
    await page.click('#add-user button[type=submit]');
    assert.match(await page.textContent('#add-user .form-error'), /au moins 12/);
    await page.fill('#new-password', NEW_PASSWORD);
    await page.fill('#new-password2', NEW_PASSWORD);
    await page.click('#add-user button[type=submit]');
    await page.waitForSelector(`.users-table tr[data-login="${NEW_USER}"][data-role=analyst]`);

    // The only admin demoting itself: refused by the node, said plainly.
    await page.selectOption('.users-table tr[data-login=admin] select', 'viewer');
    await page.click('dialog.confirm [data-confirm=ok]');
    await page.waitForSelector('#users-error:not([hidden])');
    assert.match(await page.textContent('#users-error'),
      /admin est le dernier administrateur actif/);
    await page.waitForSelector('.users-table tr[data-login=admin][data-role=admin]');
    assert.equal(await page.inputValue('.users-table tr[data-login=admin] select'),
      'admin');
    await shotFull(page, 'admin-users');

    // The new user logs in, in a fresh context, with its role.
    const other = await newPage();
    await other.page.goto(`${snSrv.url}/`);
    await other.page.fill('#login', NEW_USER);
    await other.page.fill('#password', NEW_PASSWORD);
    await other.page.click('form.login button[type=submit]');
    await other.page.waitForSelector('header.top .user[data-role=analyst]');
    assert.equal(await other.page.locator('nav.nav a[data-view=admin]').count(), 0);
    await other.context.close();
    await context.close();
  });

  it('admin: a token is shown once, works, and is revoked', async () => {
    const { context, page } = await newPage();
    await login(page, snSrv.url, 'admin');
    await page.goto(`${snSrv.url}/#/admin?tab=tokens`);
    await page.waitForSelector('#token-login option[value="awa.diallo"]',
      { state: 'attached' });
    await page.selectOption('#token-login', NEW_USER);
    await page.fill('#token-label', 'script de saisie (essai)');
    await page.click('#add-token button[type=submit]');
    await page.waitForSelector('#new-token');
    const token = await page.inputValue('#new-token');
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    assert.match(await page.textContent('.token-once'),
      /il ne sera plus jamais affiché/);
    await page.click('#copy-token');
    await page.waitForSelector('.token-once .ok-line:not(:empty)');
    await page.waitForSelector('.tokens-table tr[data-state=active]');
    await shotFull(page, 'admin-tokens');
    const who = await fetch(`${snSrv.url}/api/v1/session`, {
      headers: { Authorization: `Bearer ${token}` } });
    assert.equal(who.status, 200);
    assert.equal((await who.json()).login, NEW_USER);
    // Once dismissed, it is nowhere in the page.
    await page.click('#token-done');
    assert.equal(await page.locator('#new-token').count(), 0);
    await page.reload();
    await page.waitForSelector('.tokens-table tr[data-state=active]');
    assert.ok(!(await page.content()).includes(token));
    // Revoking asks first.
    await page.click('.tokens-table tr[data-state=active] [data-action=revoke]');
    await page.click('dialog.confirm [data-confirm=ok]');
    await page.waitForSelector('.tokens-table tr[data-state=revoked]');
    const gone = await fetch(`${snSrv.url}/api/v1/session`, {
      headers: { Authorization: `Bearer ${token}` } });
    assert.equal(gone.status, 401);
    await context.close();
  });

  it('admin: the audit trail, newest first, filtered by action and actor', async () => {
    const { context, page } = await newPage();
    // A failed login first: it is audited as failed.
    const bad = await fetch(`${snSrv.url}/api/v1/session`, { method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ login: 'admin', password: 'pas le bon mot' }) });
    assert.equal(bad.status, 401);
    await login(page, snSrv.url, 'admin');
    await page.goto(`${snSrv.url}/#/admin?tab=audit`);
    await page.waitForSelector('.audit-table tbody tr');
    const seqs = await page.$$eval('.audit-table tbody tr',
      (rows) => rows.map((r) => Number(r.dataset.seq)));
    assert.ok(seqs.length > 3, seqs);
    assert.deepEqual(seqs, [...seqs].sort((a, b) => b - a));
    // The user added by the first case, by action.
    await page.fill('#audit-action', 'user.add');
    await page.click('.audit-filters button[type=submit]');
    await page.waitForFunction(() => [...document.querySelectorAll(
      '.audit-table tbody tr code')].every((c) => c.textContent === 'user.add'));
    assert.match(await page.textContent('.audit-table tbody'), /awa\.diallo/);
    // The failed login, by action and actor, in French.
    await page.fill('#audit-action', 'session.login');
    await page.fill('#audit-actor', 'admin');
    await page.click('.audit-filters button[type=submit]');
    await page.waitForSelector('.audit-table tr[data-result=failed]');
    assert.equal(await page.textContent(
      '.audit-table tr[data-result=failed] .state'), 'échec');
    assert.ok(await page.locator('.audit-table tr[data-result=ok]').count() >
      0);
    await shotFull(page, 'admin-audit');
    // A day with nothing: said so.
    await page.fill('#audit-from', '2001-01-01');
    await page.fill('#audit-to', '2001-01-02');
    await page.click('.audit-filters button[type=submit]');
    await page.waitForSelector('.admin-body p.hint:text("Aucun événement")');
    await context.close();
  });

  it('admin: adds the Malian node as a peer from its .pub text, exports a bundle, syncs', async () => {
    const { context, page } = await newPage();
    await login(page, snSrv.url, 'admin');
    await page.goto(`${snSrv.url}/#/admin?tab=peers`);
    await page.waitForSelector('.pins-table tr[data-nation=SN]');
    assert.equal(await page.locator('.pins-table tr[data-nation=ML]').count(), 0);
    await page.fill('#peer-name', 'ML-Kayes');
    await page.selectOption('#peer-nation', 'ML');
    await page.fill('#peer-url', mlSrv.url);
    await page.fill('#peer-pub', readFileSync(join(keys, 'ml.pub'), 'utf8'));
    // The fingerprint is shown before anything is sent: keygen's.
    await page.waitForSelector('#peer-fingerprint');
    assert.equal(await page.getAttribute('#peer-fingerprint', 'data-fp'),
      mlFingerprint);
    await shotFull(page, 'admin-peer-key');
    await page.click('#add-peer button[type=submit]');
    await page.waitForSelector('.peers-table tr[data-peer=ML-Kayes]');
    assert.equal(await page.getAttribute('#peer-added .fingerprint', 'data-fp'),
      mlFingerprint);
    assert.equal(await page.getAttribute('.pins-table tr[data-nation=ML] .fingerprint',
      'data-fp'), mlFingerprint);
    await shotFull(page, 'admin-peers');

    // The sync view shows the peer, not yet exchanged with.
    await page.click('nav.nav a[data-view=sync]');
    await page.waitForSelector('.sync-table tr[data-peer=ML-Kayes]');
    assert.match(await page.textContent('.sync-table tr[data-peer=ML-Kayes]'),
      /Mali \(ML\)/);
    assert.equal(await page.locator('#quarantine').count(), 0);

    // A bundle for Mali encrypted to its key: the key's fingerprint is
    // shown, and a download happens.
    await page.selectOption('#export-for', 'ML');
    await page.setInputFiles('#export-key', join(keys, 'ml.pub'));
    await page.waitForSelector('#export-key-info:not(:empty)');
    assert.match(await page.textContent('#export-key-info'),
      new RegExp(mlFingerprint.replace(/(.{4})(?=.)/g, '$1 ')));
    const [sealed] = await Promise.all([page.waitForEvent('download'),
      page.click('#bundle-export button[type=submit]')]);
    assert.match(sealed.suggestedFilename(), /\.bundle$/);
    await page.waitForSelector('#export-result.ok-line');
    // This node's summary for Mali: a download.
    const [summary] = await Promise.all([page.waitForEvent('download'),
      page.click('#sync-summary button[type=submit]')]);
    assert.match(summary.suggestedFilename(), /\.summary$/);
    await page.waitForSelector('#summary-result.ok-line');

    // A plain bundle for Mali: a download, for the Malian node.
    await page.setInputFiles('#export-key', []);
    await page.evaluate(() => document.getElementById('export-result')
      .replaceChildren());
    const [download] = await Promise.all([page.waitForEvent('download'),
      page.click('#bundle-export button[type=submit]')]);
    assert.match(download.suggestedFilename(), /^diboli-SN-to-ML-.*\.bundle$/);
    bundlePath = join(sn.dir, download.suggestedFilename());
    await download.saveAs(bundlePath);
    assert.ok(statSync(bundlePath).size > 100);
    await page.waitForSelector('#export-result.ok-line');
    assert.match(await page.textContent('#export-result'), /fiche\(s\) en/);

    // The Malian administrator imports it on the Malian node.
    const mlPage = await newPage(mlSrv);
    await login(mlPage.page, mlSrv.url, 'admin');
    await mlPage.page.goto(`${mlSrv.url}/#/sync`);
    await mlPage.page.setInputFiles('#import-file', bundlePath);
    await mlPage.page.click('#bundle-import button[type=submit]');
    await mlPage.page.waitForSelector('#import-result.ok-line');
    assert.match(await mlPage.page.textContent('#import-result'),
      /Paquet de PC Tambacounda \(essais\) \(Sénégal\) : \d+ block\(s\) \(\d+ record\(s\)\) applied/);
    await mlPage.context.close();

    // Sync now: the exchange with the Malian node succeeds.
    await page.click('#sync-now');
    await page.waitForSelector('.sync-table tr[data-peer=ML-Kayes][data-ok=true]',
      { timeout: 25000 });
    await page.waitForSelector('.sync-run-line.ok-line');
    assert.notEqual(await page.textContent(
      '.sync-table tr[data-peer=ML-Kayes] td[data-wait=in]'), '—');
    await shotFull(page, 'sync');
    await context.close();
  });

  it('commander: the partner\'s notices, then sets a level and sees it on the board', async () => {
    const { context, page } = await newPage();
    await login(page, snSrv.url, 'commander');
    // Mali's raise of SEC-02 came by sync: counted beside the link.
    await page.waitForSelector('nav.nav a[data-view=sections] .nav-badge:not([hidden])');
    assert.ok(Number(await page.textContent(
      'nav.nav a[data-view=sections] .nav-badge')) >= 2);
    await page.click('nav.nav a[data-view=sections]');
    await page.waitForSelector('.sections-page[data-ready="1"]');
    assert.equal(await page.locator('.section-card').count(), 13);
    assert.deepEqual(await page.$$eval('.section-card', (els) =>
      els.map((e) => e.dataset.id)), Array.from({ length: 13 }, (_, i) =>
      `SEC-${String(i + 1).padStart(2, '0')}`));
    await page.waitForSelector('.notices .notice-item[data-section=SEC-02]');
    assert.match(await page.textContent('.notices'), /Le Mali a relevé son côté du tronçon SEC-02/);
    // Seen now: the count goes.
    await page.waitForSelector('nav.nav a[data-view=sections] .nav-badge[hidden]',
      { state: 'attached' });
    // Marked on the node for this user, not in this browser: another
    // browser reads them as seen.
    const other = await newPage();
    await login(other.page, snSrv.url, 'commander');
    await other.page.waitForFunction(async () => {
      const r = await fetch('/api/v1/notifications');
      const l = (await r.json()).notifications;
      return l.length >= 2 && l.every((n) => n.seen === true);
    }, null, { polling: 200, timeout: 10000 });
    await other.context.close();
    // Both sides of SEC-02, this node's first; today's incidents near it.
    const sec2 = '.section-card[data-id=SEC-02]';
    assert.deepEqual(await page.$$eval(`${sec2} .side-level`, (els) =>
      els.map((e) => `${e.dataset.nation}:${e.dataset.level}`)),
    ['SN:medium', 'ML:high']);
    assert.equal(await page.getAttribute(`${sec2} .card-incidents`, 'data-count'), '3');
    const link = await page.getAttribute(`${sec2} .inc a`, 'href');
    assert.match(link, /^#\/map\?record=[0-9a-f-]{36}$/);
    assert.ok(await page.locator(`${sec2} svg.sketch .sk-incident`).count() >= 0);
    assert.match(await page.textContent('.data-date'), /^Situation au /);
    await shotFull(page, 'sections-board');

    // Set SEC-03 to high with a reason: a raise, which notifies Mali.
    await page.click('.section-card[data-id=SEC-03] [data-action=set-level]');
    await page.waitForSelector('.section-page[data-ready="1"] form.level-form');
    await page.check('.level-choice[data-level=high] input');
    assert.match(await page.textContent('#level-note'), /avertira les commandants de : Mali/);
    // The reason is required.
    await page.click('form.level-form button[type=submit]');
    assert.equal(await page.locator('.history-table tr[data-level=high]').count(), 0);
    await page.fill('#level-reason', 'Franchissements armés signalés au sud de Kidira (essai).');
    await page.click('form.level-form button[type=submit]');
    await page.waitForSelector('.history-table tbody tr[data-nation=SN][data-level=high]');
    assert.match(await page.textContent('.history-table tbody tr:first-child'),
      /Franchissements armés.*avis à : Mali/s);
    assert.equal(await page.getAttribute('.page-sides .side-level[data-nation=SN]',
      'data-level'), 'high');
    await page.waitForTimeout(400);
    await shotFull(page, 'sections-page');
    await page.click('.section-page a.back');
    await page.waitForSelector('.section-card[data-id=SEC-03][data-own=high]');
    assert.match(await page.textContent('.section-card[data-id=SEC-03] .side-level[data-nation=SN]'),
      /Franchissements armés/);
    await context.close();
  });

  it('viewer: the board without a form, no admin view, no sync controls', async () => {
    const { context, page } = await newPage();
    await login(page, snSrv.url, 'viewer');
    assert.equal(await page.locator('nav.nav a[data-view=admin]').count(), 0);
    assert.equal(await page.locator('nav.nav .nav-badge:not([hidden])').count(), 0);
    await page.click('nav.nav a[data-view=sections]');
    await page.waitForSelector('.sections-page[data-ready="1"]');
    assert.equal(await page.locator('.section-card').count(), 13);
    assert.equal(await page.locator('[data-action=set-level], .notices').count(), 0);
    // In English, and back (the choice is remembered by the browser).
    await page.click('.lang button[data-lang=en]');
    await page.waitForSelector('.sections-page[data-ready="1"] h1:text("Border sections")');
    assert.match(await page.textContent('.section-card[data-id=SEC-02] .card-incidents'),
      /3 incident\(s\) in 30 days/);
    await page.click('.lang button[data-lang=fr]');
    await page.waitForSelector('.sections-page[data-ready="1"] h1:text("Tronçons de frontière")');
    await page.click('.section-card[data-id=SEC-02] a.card-title');
    await page.waitForSelector('.section-page[data-ready="1"]');
    assert.equal(await page.locator('form.level-form').count(), 0);
    assert.ok(await page.locator('.history-table tbody tr').count() >= 2);
    await page.goto(`${snSrv.url}/#/admin`);
    await page.waitForSelector('main[data-view=admin] h1');
    assert.equal(await page.textContent('main[data-view=admin] h1'),
      'Accès non autorisé');
    await page.goto(`${snSrv.url}/#/sync`);
    await page.waitForSelector('.sync-table tr[data-peer=ML-Kayes]');
    assert.equal(await page.locator('#sync-now, #bundle-export, [data-action=run]')
      .count(), 0);
    assert.equal(await page.locator('#quarantine').count(), 0);
    // Blocks in quarantine are a security alert, for every role (the
    // status as a node with an equivocation would answer it).
    await page.route('**/api/v1/sync/status', async (route) => {
      const res = await route.fetch();
      const body = await res.json();
      await route.fulfill({ response: res, json: { ...body,
        quarantined_blocks: 2, pending_blocks: 1 } });
    });
    await page.reload();
    await page.waitForSelector('#quarantine');
    assert.match(await page.textContent('#quarantine'),
      /Alerte de sécurité : 2 bloc\(s\) en quarantaine/);
    assert.equal(await page.getAttribute('.stat[data-stat=quarantined]', 'class'),
      'stat stat-bad');
    await context.close();
  });

  it('made no request outside the node, and no script error', () => {
    for (const w of watchers) {
      assert.deepEqual(w.outside(), []);
      assert.deepEqual(w.problems, []);
    }
  });
});
