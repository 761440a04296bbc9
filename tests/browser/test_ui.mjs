// The web UI in a real browser: Debian's Chromium (headless, cut off from
// everything but 127.0.0.1) against a real `diboli serve` on loopback
// with a seeded node. Log in; report an incident through the form and see
// it on the map and in the feed; see a record written elsewhere arrive
// live; switch to English and back; a viewer sees no write controls; an
// analyst retracts; the page made no request outside the node. Keeps a
// screenshot of each main view in build/artifacts/screenshots/.
// Run: node --test tests/browser/test_ui.mjs (ctest -L browser).
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { apiSession, cleanup, launch, login, makeNode, mapReady, serve,
  shot, watch } from './harness.mjs';

const VIEW = { viewport: { width: 1366, height: 800 }, locale: 'fr-FR',
  timezoneId: 'UTC' };

describe('web UI in Chromium', { timeout: 180000 }, () => {
  let node, srv, browser;
  const watchers = [];
  let reported = null;          // the id of the incident of the form

  async function newPage() {
    const context = await browser.newContext(VIEW);
    watchers.push(watch(context, srv.url));
    const page = await context.newPage();
    page.setDefaultTimeout(20000);
    return { context, page };
  }

  before(async () => {
    node = makeNode({ days: 60 });
    srv = await serve(node.node);
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    const code = await srv?.stop();
    cleanup(node?.dir);
    assert.equal(code, 0, `diboli serve did not stop cleanly: ${srv?.errors()}`);
  });

  it('logs in, in French by default, and shows the seeded situation', async () => {
    const { context, page } = await newPage();
    await page.goto(`${srv.url}/`);
    await page.waitForSelector('#login');
    assert.equal(await page.getAttribute('html', 'lang'), 'fr');
    await shot(page, 'login');
    // A wrong password says so and logs nobody in.
    await page.fill('#login', 'reporter');
    await page.fill('#password', 'pas-le-bon-mot-de-passe');
    await page.click('form.login button[type=submit]');
    await page.waitForSelector('form.login .form-error:not([hidden])');
    assert.match(await page.textContent('form.login .form-error'),
      /incorrect/);
    await login(page, srv.url, 'reporter');
    await mapReady(page, { min: 10 });
    assert.equal(await page.textContent('nav.nav a[data-view=map]'), 'Carte');
    assert.equal(await page.textContent('nav.nav a[data-view=report]'),
      'Signaler');
    assert.match(await page.textContent('.feed-count'), /^Fiches : [\d\u202f\u00a0]+, les plus récentes d'abord$/);
    assert.ok(await page.locator('.feed-item').count() > 10);
    // The reference layers: thirteen border sections, the HQs named.
    await page.waitForSelector('.place-label');
    assert.ok((await page.textContent('.leaflet-tooltip-pane')).includes(
      'Tambacounda'));
    assert.ok(await page.locator('.cluster, .rec').count() > 0);
    await page.waitForTimeout(300);
    await shot(page, 'map');
    await context.close();
  });

  it('reports an incident through the form and shows it on the map and in the feed',
    async () => {
      const { context, page } = await newPage();
      await login(page, srv.url, 'reporter');
      await page.click('nav.nav a[data-view=report]');
      await page.waitForSelector('#category');
      await page.selectOption('#category', 'security.armed_attack');
      await page.waitForSelector('[data-attr=target_type]');
      // Required fields are marked; units are shown.
      assert.ok(await page.locator('[data-field="attributes.target_type"] .req')
        .count() === 1);
      assert.match(await page.textContent(
        '[data-field="attributes.killed"] .unit'), /personnes/);
      // Location by a click on the map: MGRS and decimal are shown.
      const map = page.locator('.minimap');
      await map.scrollIntoViewIfNeeded();
      await page.waitForTimeout(300);
      const box = await map.boundingBox();
      await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
      await page.waitForFunction(() => /MGRS 2[89]P/.test(
        document.getElementById('location-preview').textContent));
      assert.match(await page.inputValue('#location'), /^14\.\d+, -12\.\d+$/);
      await page.selectOption('[data-attr=target_type]', { index: 1 });
      await page.fill('[data-attr=wounded]', '2');
      await page.selectOption('[data-attr=ongoing]', 'false');
      // A release to the partner says it cannot be recalled.
      assert.equal(await page.isVisible('.warning'), false);
      await page.check('input[name=audience][value="ML,SN"]');
      assert.match(await page.textContent('.warning'), /ne peut pas être rappelée/);
      // The whole form in one picture: a tall window for the moment.
      await page.setViewportSize({ width: 1366, height: 2000 });
      await page.evaluate(() => document.getElementById('main').scrollTo(0, 0));
      await shot(page, 'report');
      await page.setViewportSize(VIEW.viewport);
      await page.click('form.report button[type=submit]');
      await page.waitForFunction(() => /^#\/map\?record=/.test(location.hash));
      reported = new URL(page.url().replace('#/map?', '?')).searchParams
        .get('record');
      assert.match(reported, /^[0-9a-f-]{36}$/);
      // The detail, then the marker on the map, then the feed.
      await page.waitForSelector(`.detail[data-id="${reported}"]`);
      assert.match(await page.textContent('.detail-title'), /Attaque armée/);
      assert.match(await page.textContent('.detail-list'), /Mali/);
      assert.match(await page.textContent('.mgrs'), /^2[89]P [A-Z]{2} \d{5} \d{5}$/);
      await page.waitForSelector(`.leaflet-marker-icon[data-id="${reported}"]`,
        { timeout: 10000 });
      await page.waitForSelector('.history li');
      await shot(page, 'detail');
      await page.click('.detail .back');
      await page.waitForSelector(`.feed-item[data-id="${reported}"]`);
      assert.equal(await page.getAttribute('.feed-item >> nth=0', 'data-id'),
        reported, 'the new incident is first in the feed (newest first)');
      // And the node holds what the form said.
      const api = await apiSession(srv.url, 'admin');
      const r = await api.get(`/records/${reported}`);
      assert.equal(r.status, 200);
      assert.equal(r.json.properties.category, 'security.armed_attack');
      assert.deepEqual(r.json.properties.audience, ['ML', 'SN']);
      assert.equal(r.json.properties.attributes.wounded, 2);
      assert.equal(r.json.properties.attributes.ongoing, false);
      assert.equal(r.json.geometry.type, 'Point');
      await context.close();
    });

  it('shows a record written elsewhere without reloading (server-sent events)',
    async () => {
      const { context, page } = await newPage();
      await login(page, srv.url, 'viewer');
      await mapReady(page);
      await page.waitForSelector('.live[data-status=live]');
      await page.evaluate(() => {
        window.noReload = true;
      });
      const api = await apiSession(srv.url, 'reporter');
      const r = await api.post('/records', {
        category: 'environment.dredge_sighting',
        observed_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
        location: '14.05, -12.20',
        attributes: { dredges: 3, bank: 'left_sn' },
      });
      assert.equal(r.status, 201, JSON.stringify(r.json));
      const id = r.json.id;
      await page.waitForSelector(`.feed-item.fresh[data-id="${id}"]`,
        { timeout: 10000 });
      assert.equal(await page.evaluate(() => window.noReload), true);
      assert.match(await page.textContent(`.feed-item[data-id="${id}"]`),
        /nouveau/);
      await context.close();
    });

  it('switches to English, remembers it, and back to French', async () => {
    const { context, page } = await newPage();
    await login(page, srv.url, 'reporter');
    await mapReady(page);
    await page.click('.lang button[data-lang=en]');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
    assert.equal(await page.textContent('nav.nav a[data-view=map]'), 'Map');
    assert.equal(await page.textContent('nav.nav a[data-view=report]'), 'Report');
    await mapReady(page);
    // Labels of the model and of the catalogues, dates in English.
    assert.match(await page.textContent('.filters'), /Security/);
    assert.match(await page.textContent('.feed-count'), /^Records: [\d,]+, newest first$/);
    assert.match(await page.textContent('.tl-label'), /from .* UTC to/);
    // Remembered across a reload.
    await page.reload();
    await page.waitForSelector('header.top');
    assert.equal(await page.textContent('nav.nav a[data-view=map]'), 'Map');
    await mapReady(page);
    await page.waitForTimeout(300);
    await shot(page, 'map-en');
    await page.click('.lang button[data-lang=fr]');
    await page.waitForFunction(() => document.documentElement.lang === 'fr');
    assert.equal(await page.textContent('nav.nav a[data-view=map]'), 'Carte');
    assert.match(await page.textContent('.filters'), /Sécurité/);
    await context.close();
  });

  it('shows a viewer no write control, and the API refuses anyway', async () => {
    const { context, page } = await newPage();
    await login(page, srv.url, 'viewer');
    await mapReady(page);
    assert.equal(await page.locator('nav.nav a[data-view=report]').count(), 0);
    await page.click(`.feed-item >> nth=0`);
    await page.waitForSelector('.detail:not([hidden]) .detail-list');
    assert.equal(await page.locator('[data-action=supersede], [data-action=retract]')
      .count(), 0);
    await shot(page, 'viewer');
    await page.goto(`${srv.url}/#/report`);
    await page.waitForSelector('main .page h1');
    assert.match(await page.textContent('main .page'), /lecteur/);
    assert.equal(await page.locator('form.report').count(), 0);
    // With the session's own CSRF token, the write is still refused.
    const status = await page.evaluate(async () => {
      const s = await (await fetch('/api/v1/session')).json();
      const r = await fetch('/api/v1/records', { method: 'POST',
        headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': s.csrf },
        body: JSON.stringify({ category: 'security.suspicious_activity',
          observed_at: '2025-03-01T00:00:00Z', location: '14.4, -12.2' }) });
      return r.status;
    });
    assert.equal(status, 403);
    await context.close();
  });

  it('lets an analyst correct a record of the node, then retract it', async () => {
    assert.ok(reported, 'the report test ran first');
    const { context, page } = await newPage();
    await login(page, srv.url, 'analyst');
    await page.goto(`${srv.url}/#/map?record=${reported}`);
    await page.waitForSelector(`.detail[data-id="${reported}"] [data-action=supersede]`);
    // A new version, from the form filled with the old one.
    await page.click('[data-action=supersede]');
    await page.waitForFunction(() => document.querySelector(
      '[data-attr=wounded]')?.value === '2');
    assert.equal(await page.inputValue('#category'), 'security.armed_attack');
    assert.equal(await page.isDisabled('#category'), true);
    // The audience may widen, never narrow: national is not offered.
    assert.equal(await page.isDisabled('input[name=audience][value=SN]'), true);
    await page.fill('[data-attr=wounded]', '3');
    await page.click('form.report button[type=submit]');
    await page.waitForFunction((old) => /^#\/map\?record=/.test(location.hash) &&
      !location.hash.includes(old), reported);
    const v2 = new URL(page.url().replace('#/map?', '?')).searchParams.get('record');
    await page.waitForSelector(`.detail[data-id="${v2}"] .history li >> nth=1`);
    assert.equal(await page.locator('.history li').count(), 2);
    assert.match(await page.textContent('.history li >> nth=0'), /remplacée/);
    assert.match(await page.textContent('.detail-list'), /3 personnes/);
    // Then withdrawn, with a reason.
    await page.click('[data-action=retract]');
    await page.fill('.retract textarea', 'Doublon d\'une fiche du poste voisin.');
    await page.click('.retract button.danger');
    await page.waitForSelector('.feed:not([hidden])');
    await page.waitForFunction((ids) => ids.every((id) => !document.querySelector(
      `.feed-item[data-id="${id}"]`)), [reported, v2]);
    const api = await apiSession(srv.url, 'admin');
    const r = await api.get(`/records/${reported}`);
    assert.deepEqual(r.json.properties.history.map((v) => v.status),
      ['superseded', 'retracted']);
    assert.equal(r.json.properties.history[1].reason,
      'Doublon d\'une fiche du poste voisin.');
    await context.close();
  });

  it('made no request outside the node, no script error, no CSP violation',
    () => {
      const all = watchers.flatMap((w) => w.requests);
      assert.ok(all.length > 20, `only ${all.length} requests recorded`);
      const outside = watchers.flatMap((w) => w.outside());
      assert.deepEqual(outside, [], 'requests outside the node');
      const problems = watchers.flatMap((w) => w.problems);
      assert.deepEqual(problems, []);
      console.log(`# ${all.length} requests, all to ${srv.url}`);
    });
});
