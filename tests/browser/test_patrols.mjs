// Joint patrols in a real browser, across two nodes: a Senegalese and a
// Malian node, each certified by its nation key and pinning the other's,
// each served by `diboli serve` on loopback with one user per role. On
// SN's page a commander plans a patrol (route drawn by clicks on the
// map, a unit, a leg), proposes it and approves it for Senegal; after a
// sync, ML's commander finds it in the approvals inbox and approves it
// for Mali (a Malian reporter sees no approve button, and the API
// refuses one); after another sync both pages show it approved, SN's
// without a reload. Screenshots of the calendar, the planner (both
// steps), the inbox and the patrol page; no request left 127.0.0.1.
// Run: node --test tests/browser/test_patrols.mjs (ctest -L browser).
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { apiSession, cleanup, diboli, launch, login, makeNode, serve, shot,
  watch } from './harness.mjs';

const VIEW = { viewport: { width: 1366, height: 860 }, locale: 'fr-FR',
  timezoneId: 'UTC' };
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

async function until(what, fn, { timeout = 20000, every = 200 } = {}) {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeout) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

describe('joint patrols in Chromium, SN and ML nodes', { timeout: 120000 }, () => {
  let keys, sn, ml, snSrv, mlSrv, browser;
  const watchers = [];
  let patrol = null;                 // the id of the patrol planned here
  let snPage = null;                 // SN commander's page, kept open

  async function newPage(srv) {
    const context = await browser.newContext(VIEW);
    watchers.push(watch(context, srv.url));
    const page = await context.newPage();
    page.setDefaultTimeout(20000);
    return { context, page };
  }

  // SN's server exchanges with ML's now (pull, then push), as an
  // administrator would from the sync view; done when check() holds.
  async function syncUntil(what, check) {
    const admin = await apiSession(snSrv.url, 'admin');
    const r = await admin.post('/sync/run', { peer: 'ML-RM4' });
    assert.equal(r.status, 202, JSON.stringify(r.json));
    await until(what, check);
  }

  before(async () => {
    keys = mkdtempSync(join(tmpdir(), 'diboli-keys-'));
    for (const n of ['SN', 'ML'])
      diboli('nation', 'keygen', '--nation', n, '--out',
        join(keys, n.toLowerCase()));
    sn = makeNode({ nation: 'SN', days: 0, name: 'PC Kidira (essais)',
      nationKey: join(keys, 'sn.key') });
    ml = makeNode({ nation: 'ML', days: 0, name: 'PC Kayes (essais)',
      nationKey: join(keys, 'ml.key') });
    // Each pins the other's nation key; the demo's joint patrols fill
    // the calendar (an in-process sync between the two directories).
    diboli('peer', 'add', '--dir', ml.node, '--name', 'SN-ZM4', '--nation',
      'SN', '--nation-pub', join(keys, 'sn.pub'));
    diboli('peer', 'add', '--dir', sn.node, '--name', 'ML-RM4', '--nation',
      'ML', '--nation-pub', join(keys, 'ml.pub'));
    diboli('demo', 'patrols', '--dir', sn.node, '--partner', ml.node);
    // ML serves; SN reaches it at its URL (ML knows SN without one: SN
    // calls in, as across the border).
    mlSrv = await serve(ml.node);
    diboli('peer', 'remove', 'ML-RM4', '--dir', sn.node);
    diboli('peer', 'add', '--dir', sn.node, '--name', 'ML-RM4', '--nation',
      'ML', '--url', mlSrv.url);
    snSrv = await serve(sn.node);
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    const codes = [await snSrv?.stop(), await mlSrv?.stop()];
    cleanup(sn?.dir);
    cleanup(ml?.dir);
    cleanup(keys);
    assert.deepEqual(codes, [0, 0], `diboli serve did not stop cleanly: ` +
      `${snSrv?.errors()} ${mlSrv?.errors()}`);
  });

  it('plans on SN: route by clicks, a unit, a leg; proposed, approved by SN',
    async () => {
      const { page } = await newPage(snSrv);
      snPage = page;
      await login(page, snSrv.url, 'commander');
      assert.equal(await page.textContent('nav.nav a[data-view=patrols]'),
        'Patrouilles');
      await page.click('nav.nav a[data-view=patrols]');
      await page.waitForSelector('.pt-cal');
      // The demo's patrols in their month, coloured by status.
      await page.evaluate(() => { location.hash = '#/patrols?date=2025-05-01'; });
      await page.waitForSelector('.pt-cal .pt-chip.pt-st-completed');
      assert.match(await page.textContent('.pt-caltitle'), /mai 2025/i);

      await page.click('.pt-tabs a[data-tab=new]');
      await page.waitForSelector('#pt-code');
      await page.fill('#pt-code', 'JP-101');
      await page.selectOption('#pt-type', 'vehicle');
      await page.fill('#pt-objective',
        'Reconnaissance conjointe le long de la Falémé (essai).');
      // Senegal always takes part; the partner is proposed; a release
      // to the partner says it cannot be recalled.
      assert.equal(await page.isChecked('input[name=nations][value=SN]'), true);
      assert.equal(await page.isDisabled('input[name=nations][value=SN]'), true);
      assert.equal(await page.isChecked('input[name=nations][value=ML]'), true);
      assert.match(await page.textContent('fieldset[data-field=audience] .warning'),
        /ne peut pas être rappelée/);
      // The route: four clicks on the map, one undone, one more.
      const map = page.locator('.pt-planmap');
      await map.scrollIntoViewIfNeeded();
      await page.waitForTimeout(300);
      const points = () => map.getAttribute('data-points').then(Number);
      // A click that lands on a place's marker (a post, a station) does
      // not add a point: a few pixels aside then.
      const at = async (fx, fy) => {
        const n = await points();
        const box = await map.boundingBox();
        for (let dx = 0; dx < 40; dx += 10) {
          await page.mouse.click(box.x + box.width * fx + dx,
            box.y + box.height * fy);
          if (await points() === n + 1) return;
        }
        assert.fail(`no point added at ${fx}, ${fy}`);
      };
      // Down the Senegalese bank of the Falémé, one point astray.
      for (const [fx, fy] of [[0.4, 0.42], [0.46, 0.6], [0.9, 0.95]])
        await at(fx, fy);
      await page.click('#pt-undo');
      await page.waitForSelector('.pt-planmap[data-points="2"]');
      await at(0.5, 0.78);
      await at(0.6, 0.9);
      assert.match(await page.textContent('#pt-points'), /^4 point\(s\), [\d,]+ km$/);
      await page.setViewportSize({ width: 1366, height: 1500 });
      await page.evaluate(() => document.getElementById('main').scrollTo(0, 0));
      await shot(page, 'patrols-planner');
      await page.setViewportSize(VIEW.viewport);
      await page.click('form.pt-planner button[type=submit]');
      await page.waitForFunction(() => /^#\/patrols\/[0-9a-f-]{36}\/plan$/
        .test(location.hash));
      patrol = page.url().split('#/patrols/')[1].split('/')[0];
      assert.match(patrol, ID);

      // Step 2: this nation's unit; the partner adds its own on its node.
      await page.waitForSelector('.pt-page[data-status=draft]');
      assert.match(await page.textContent('.pt-partner-note'), /Mali/);
      await page.fill('#pt-unit', 'Brigade de gendarmerie de Kidira (essai)');
      await page.fill('#pt-leader', 'Adjudant-chef');
      await page.fill('#pt-strength', '12');
      await page.click('form.pt-unit-form button[type=submit]');
      await page.waitForSelector('.pt-nation[data-nation=SN] li');
      assert.match(await page.textContent('.pt-nation[data-nation=ML]'),
        /Aucune unité/);
      // A leg, its handover point by a click on the map.
      const map2 = page.locator('.pt-planmap');
      await map2.scrollIntoViewIfNeeded();
      await page.waitForTimeout(300);
      const b2 = await map2.boundingBox();
      await page.mouse.click(b2.x + b2.width / 2, b2.y + b2.height / 2);
      assert.match(await page.inputValue('#pt-leg-location'), /^1\d\.\d+, -1\d\.\d+$/);
      assert.match(await page.textContent('#pt-leg-preview'), /MGRS 2[89]P/);
      await page.selectOption('#pt-lead', 'SN');
      await page.click('form.pt-leg-form button[type=submit]');
      await page.waitForSelector('.pt-leglist li[data-seq="1"]');
      await page.setViewportSize({ width: 1366, height: 1300 });
      await page.evaluate(() => document.getElementById('main').scrollTo(0, 0));
      await shot(page, 'patrols-plan-units');
      await page.setViewportSize(VIEW.viewport);
      await page.click('#pt-propose');
      await page.waitForFunction((id) => location.hash === `#/patrols/${id}`,
        patrol);

      // The patrol page: proposed; Senegal approves.
      await page.waitForSelector(`.pt-patrol[data-id="${patrol}"][data-status=proposed]`);
      assert.equal(await page.textContent('.pt-title .pt-status'), 'proposée');
      await page.click('button[data-action=approve]');
      await page.waitForSelector('.pt-approvals li[data-nation=SN][data-state=approved]');
      assert.equal(await page.getAttribute('.pt-approvals li[data-nation=ML]',
        'data-state'), 'pending');
      assert.equal(await page.getAttribute('.pt-patrol', 'data-status'),
        'proposed');
      assert.equal(await page.isVisible('button[data-action=approve]'), false);
      const api = await apiSession(snSrv.url, 'commander');
      const p = (await api.get(`/patrols/${patrol}`)).json;
      assert.equal(p.status, 'proposed');
      assert.equal(p.code, 'JP-101');
      assert.equal(p.geometry.type, 'LineString');
      assert.equal(p.geometry.coordinates.length, 4);
      assert.equal(p.approvals.SN.approved, true);
      assert.equal(p.approvals.ML.approved, false);
      assert.equal(p.units.SN[0].strength, 12);
      assert.equal(p.legs[0].lead_nation, 'SN');
    });

  it('reaches ML by sync: a reporter cannot approve, the commander does',
    async () => {
      assert.ok(patrol, 'the patrol of the first case');
      const mlCmd = await apiSession(mlSrv.url, 'commander');
      await syncUntil('the patrol on ML', async () =>
        (await mlCmd.get(`/patrols/${patrol}`)).status === 200);

      // A Malian reporter: no approve button, no inbox, and the API
      // refuses the approval anyway.
      const rep = await newPage(mlSrv);
      await login(rep.page, mlSrv.url, 'reporter');
      await rep.page.evaluate((id) => { location.hash = `#/patrols/${id}`; },
        patrol);
      await rep.page.waitForSelector(`.pt-patrol[data-id="${patrol}"][data-status=proposed]`);
      assert.equal(await rep.page.isVisible('button[data-action=approve]'), false);
      assert.equal(await rep.page.isVisible('button[data-action=reject]'), false);
      assert.equal(await rep.page.locator('.pt-tabs a[data-tab=inbox]').count(), 0);
      const mlRep = await apiSession(mlSrv.url, 'reporter');
      assert.equal((await mlRep.post(`/patrols/${patrol}/approve`)).status, 403);
      await rep.context.close();

      // ML's commander: the inbox holds it (Senegal approved, Mali not).
      const { page } = await newPage(mlSrv);
      await login(page, mlSrv.url, 'commander');
      await page.click('nav.nav a[data-view=patrols]');
      await page.click('.pt-tabs a[data-tab=inbox]');
      const item = `.pt-inbox-item[data-id="${patrol}"]`;
      await page.waitForSelector(item);
      assert.match(await page.textContent(`${item} h2`), /JP-101/);
      assert.equal(await page.getAttribute(
        `${item} .pt-approvals li[data-nation=SN]`, 'data-state'), 'approved');
      assert.equal(await page.getAttribute(
        `${item} .pt-approvals li[data-nation=ML]`, 'data-state'), 'pending');
      // The navigation counts what awaits Mali: this one and the demo's
      // last patrol; one less once answered.
      const badge = 'nav.nav a[data-view=patrols] .nav-badge';
      assert.equal(await page.textContent(badge), '2');
      await shot(page, 'patrols-inbox');
      await page.click(`${item} button[data-action=approve]`);
      await page.waitForSelector(item, { state: 'detached' });
      await page.waitForFunction((sel) =>
        document.querySelector(sel)?.textContent === '1', badge);
      await page.evaluate((id) => { location.hash = `#/patrols/${id}`; }, patrol);
      await page.waitForSelector(`.pt-patrol[data-id="${patrol}"][data-status=approved]`);
      assert.equal(await page.textContent('.pt-title .pt-status'), 'approuvée');
      assert.equal((await mlCmd.get(`/patrols/${patrol}`)).json.status,
        'approved');
    });

  it('shows it approved on SN after the next sync, without a reload',
    async () => {
      assert.ok(snPage, 'the SN page of the first case');
      const api = await apiSession(snSrv.url, 'commander');
      await syncUntil('the approval on SN', async () =>
        (await api.get(`/patrols/${patrol}`)).json.status === 'approved');
      // The page follows the node's live events.
      await snPage.waitForSelector(`.pt-patrol[data-id="${patrol}"][data-status=approved]`);
      assert.equal(await snPage.textContent('.pt-title .pt-status'), 'approuvée');
      assert.equal(await snPage.getAttribute(
        '.pt-approvals li[data-nation=ML]', 'data-state'), 'approved');
      // Now SN may start it (a reporter and up of a participating nation).
      assert.equal(await snPage.isVisible('button[data-action=start]'), true);
      await snPage.setViewportSize({ width: 1366, height: 1400 });
      await snPage.evaluate(() => document.getElementById('main').scrollTo(0, 0));
      await shot(snPage, 'patrols-patrol');
      await snPage.setViewportSize(VIEW.viewport);

      // The calendar of its month, and the list, say so too.
      const p = (await api.get(`/patrols/${patrol}`)).json;
      const day = p.window_start.slice(0, 10);
      await snPage.evaluate((d) => { location.hash = `#/patrols?date=${d}`; }, day);
      await snPage.waitForSelector(`.pt-cal .pt-chip.pt-st-approved[data-id="${patrol}"]`);
      await shot(snPage, 'patrols-calendar');
      await snPage.click('.pt-tabs a[data-tab=list]');
      const row = `.pt-table tr[data-id="${patrol}"]`;
      await snPage.waitForSelector(row);
      assert.equal(await snPage.textContent(`${row} .pt-status`), 'approuvée');
    });

  it('makes a new version of the plan on SN: the approvals start over',
    async () => {
      assert.ok(snPage, 'the SN page of the first case');
      const api = await apiSession(snSrv.url, 'commander');
      const before = (await api.get(`/patrols/${patrol}`)).json;
      assert.equal(before.status, 'approved');
      // Only the planning node may: Mali's commander sees no such link.
      const ml = await newPage(mlSrv);
      await login(ml.page, mlSrv.url, 'commander');
      await ml.page.evaluate((id) => { location.hash = `#/patrols/${id}`; },
        patrol);
      await ml.page.waitForSelector(`.pt-patrol[data-id="${patrol}"]`);
      assert.equal(await ml.page.isVisible('a[data-action=amend]'), false);
      await ml.context.close();

      await snPage.evaluate((id) => { location.hash = `#/patrols/${id}`; },
        patrol);
      await snPage.waitForSelector(`.pt-patrol[data-id="${patrol}"][data-status=approved]`);
      await snPage.click('a[data-action=amend]');
      // The form, filled from the plan: its code, its route.
      await snPage.waitForSelector('.pt-planmap[data-points="4"]');
      assert.equal(await snPage.inputValue('#pt-code'), 'JP-101');
      assert.match(await snPage.textContent('h1'), /JP-101 : nouvelle version/);
      assert.match(await snPage.textContent('.pt-edit-note'),
        /approuve à nouveau/);
      await snPage.fill('#pt-objective',
        'Reconnaissance conjointe, fenêtre décalée après la crue (essai).');
      const end = await snPage.inputValue('#pt-end');
      const later = new Date(Date.parse(`${end}:00Z`) + 3600000)
        .toISOString().slice(0, 16);
      await snPage.fill('#pt-end', later);
      await snPage.click('form.pt-planner button[type=submit]');
      await snPage.waitForFunction((id) => location.hash === `#/patrols/${id}`,
        patrol);
      await snPage.waitForSelector(`.pt-patrol[data-id="${patrol}"][data-status=proposed]`);
      assert.equal(await snPage.getAttribute(
        '.pt-approvals li[data-nation=ML]', 'data-state'), 'pending');
      const after = (await api.get(`/patrols/${patrol}`)).json;
      assert.equal(after.versions, before.versions + 1);
      assert.equal(after.status, 'proposed');
      assert.match(after.objective, /après la crue/);
      assert.equal(Date.parse(after.window_end),
        Date.parse(before.window_end) + 3600000);
      assert.deepEqual(after.geometry, before.geometry);
      assert.deepEqual(after.audience, before.audience);
      assert.equal(after.approvals.SN.approved, false);
      assert.equal(after.approvals.ML.approved, false);
    });

  it('made no request outside the nodes, no script error, no CSP violation',
    () => {
      for (const w of watchers) {
        assert.deepEqual(w.outside(), []);
        assert.deepEqual(w.problems, []);
      }
    });
});
