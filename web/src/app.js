// The app shell: session, the node's identity and model, the shared
// records store and live events, the header (navigation by role,
// language, live status, user), and the router that mounts one view at
// a time.
import { h, clear, toast } from './core/dom.js';
import { t, getLang, setLang, onLang, LANGUAGES } from './core/i18n.js';
import { createApi } from './core/api.js';
import { can } from './core/roles.js';
import { Model } from './core/model.js';
import { RecordsStore } from './core/store.js';
import { createEvents } from './core/events.js';
import { parseHash, onRoute, href } from './core/router.js';
import { views } from './views/index.js';
import { renderLogin } from './views/login.js';

// Each nation's usual partner when the node has no peers yet.
const DEFAULT_PARTNER = { SN: 'ML', ML: 'SN', MR: 'SN', GN: 'SN' };

export function start(root) {
  const ctx = {
    api: null,
    session: null,
    node: null,
    model: null,
    records: null,
    events: null,
    patrols: new Map(),
    partners: [],
    mapState: null,
    can: (perm) => !!ctx.session && can(ctx.session.role, perm),
    onPatrols: (fn) => {
      patrolListeners.add(fn);
      return () => patrolListeners.delete(fn);
    },
  };
  const patrolListeners = new Set();
  let current = null;               // {view, handle}
  let main = null;
  let liveEl = null;
  let offRoute = null;
  let offEvents = null;
  let offBadges = [];               // the navigation's badges (header())

  ctx.api = createApi({
    onUnauthenticated: () => showLogin(t('login.expired')),
  });

  function langSwitch() {
    return h('div.lang', { role: 'group', 'aria-label': t('app.language') },
      LANGUAGES.map((l) => h('button', { type: 'button', lang: l,
        dataset: { lang: l }, 'aria-pressed': String(l === getLang()),
        onclick: () => setLang(l) }, l.toUpperCase())));
  }

  function teardown() {
    if (current?.handle?.unmount) current.handle.unmount();
    current = null;
    stopBadges();
    if (offRoute) offRoute();
    offRoute = null;
    if (offEvents) offEvents();
    offEvents = null;
    ctx.events?.stop();
  }

  function showLogin(message) {
    teardown();
    ctx.session = null;
    document.title = 'diboli';
    const draw = () => renderLogin(root, ctx, {
      message,
      langSwitch: langSwitch(),
      onDone: () => {
        offLangLogin();
        boot();
      },
    });
    const offLangLogin = onLang(() => draw());
    draw();
  }

  async function loadContext() {
    const [node, modelDoc, sync, patrols] = await Promise.all([
      ctx.api.get('/node'),
      ctx.api.get('/model'),
      ctx.api.get('/sync/status').catch(() => null),
      ctx.api.get('/patrols').catch(() => null),
    ]);
    ctx.node = node;
    ctx.model = new Model(modelDoc);
    const peers = (sync?.peers || []).map((p) => p.nation)
      .filter((n) => n && n !== node.nation);
    ctx.partners = [...new Set(peers.length ? peers
      : [DEFAULT_PARTNER[node.nation]].filter(Boolean))];
    setPatrols(patrols);
  }

  function setPatrols(list) {
    ctx.patrols = new Map((list?.patrols || []).map((p) => [p.id, p]));
    for (const fn of patrolListeners) fn();
  }

  let patrolTimer = null;
  function refreshPatrols() {
    clearTimeout(patrolTimer);
    patrolTimer = setTimeout(() => {
      ctx.api.get('/patrols').then(setPatrols).catch(() => {});
    }, 1000);
  }

  async function boot() {
    root.replaceChildren(h('p.boot', t('app.loading')));
    let s;
    try {
      s = await ctx.api.whoami();
    } catch (e) {
      root.replaceChildren(h('p.form-error', t('app.unreachable', { msg: e.message })));
      setTimeout(boot, 5000);
      return;
    }
    if (!s) {
      showLogin();
      return;
    }
    ctx.session = s;
    try {
      await loadContext();
    } catch (e) {
      if (e.status !== 401)
        root.replaceChildren(h('p.form-error', t('app.unreachable', { msg: e.message })));
      return;
    }
    if (!ctx.records) {
      ctx.records = new RecordsStore(ctx.api, ctx.model);
      ctx.records.load();
    }
    ctx.events = ctx.events || createEvents();
    offEvents = ctx.events.on((type, data) => {
      if (type === 'records') {
        ctx.records.applyEvent(data).then((got) => {
          if (got.some((f) => f.properties?.patrol ||
              String(f.properties?.category).startsWith('patrol.')))
            refreshPatrols();
          const urgent = got.find((f) => ['FLASH', 'IMMEDIATE']
            .includes(f.properties?.precedence));
          if (urgent) toast(t('live.urgent', { label: ctx.model.label(
            urgent.properties.category) }), 'urgent', 8000);
        });
      } else if (type === 'reset') {
        ctx.records.load();
      } else if (type === 'status') {
        if (liveEl) {
          liveEl.dataset.status = data;
          liveEl.textContent = t(`live.${data}`);
        }
      }
    });
    ctx.events.start();
    shell();
  }

  // A view may count something for its link (badge(ctx, set) returns
  // its unsubscriber), e.g. the partner's notices for the sections.
  function stopBadges() {
    for (const off of offBadges) off();
    offBadges = [];
  }

  function header() {
    const role = ctx.session.role;
    stopBadges();
    const nav = h('nav.nav', { 'aria-label': t('app.nav') },
      views.filter((v) => v.nav && can(role, v.perm)).map((v) => {
        const a = h('a', { href: href(v.id), dataset: { view: v.id } },
          t(v.label));
        if (v.badge) {
          const b = h('span.nav-badge', { hidden: true });
          a.append(b);
          const off = v.badge(ctx, (n, title) => {
            b.hidden = !n;
            b.textContent = n ? String(n) : '';
            if (title) b.title = title;
          });
          if (typeof off === 'function') offBadges.push(off);
        }
        return a;
      }));
    liveEl = h('span.live', { dataset: { status: ctx.events.status },
      title: t('live.title') }, t(`live.${ctx.events.status}`));
    return h('header.top',
      h('a.brand', { href: href('map') }, h('span.logo', 'diboli'),
        h('span.node', `${ctx.node.name} (${ctx.node.nation})`)),
      nav,
      h('div.top-right', liveEl, langSwitch(),
        h('span.user', { dataset: { role } }, `${ctx.session.login} · ${t(`role.${role}`)}`),
        h('button.link', { type: 'button', id: 'logout', onclick: async () => {
          try {
            await ctx.api.logout();
          } catch { /* gone anyway */ }
          ctx.records = null;
          ctx.mapState = null;
          showLogin(t('login.bye'));
        } }, t('app.logout'))));
  }

  function shell() {
    document.title = `diboli — ${ctx.node.name}`;
    main = h('main.main', { id: 'main' });
    root.replaceChildren(header(), main);
    route(parseHash());
    offRoute = onRoute(route);
    const offLang = onLang(() => {
      // Everything is drawn again in the other language.
      const r = parseHash();
      if (current?.handle?.unmount) current.handle.unmount();
      current = null;
      root.replaceChildren(header(), main);
      clear(main);
      route(r);
    });
    const prevTeardown = offRoute;
    offRoute = () => {
      prevTeardown();
      offLang();
    };
  }

  function route(r) {
    if (!ctx.session || !main) return;
    let view = views.find((v) => v.id === r.view);
    if (!view) {
      // The default view, without a history entry.
      history.replaceState(null, '', href('map'));
      r = parseHash();
      view = views.find((v) => v.id === r.view);
    }
    for (const a of document.querySelectorAll('nav.nav a'))
      a.classList.toggle('active', a.dataset.view === view.id);
    if (current && current.view === view && current.handle?.update &&
        current.path === r.path && sameExcept(current.params, r.params, 'record')) {
      current.handle.update(r.params);
      current.params = r.params;
      return;
    }
    if (current?.handle?.unmount) current.handle.unmount();
    clear(main);
    main.dataset.view = view.id;
    if (!can(ctx.session.role, view.perm)) {
      main.append(h('div.page', h('h1', t('app.forbidden_title')),
        h('p', t('app.forbidden', { role: t(`role.${ctx.session.role}`) }))));
      current = { view, handle: null, params: r.params, path: r.path };
      return;
    }
    const handle = view.mount(main, ctx, r.params) || {};
    current = { view, handle, params: r.params, path: r.path };
  }

  boot();
}

function sameExcept(a, b, key) {
  const ka = Object.keys(a).filter((k) => k !== key);
  const kb = Object.keys(b).filter((k) => k !== key);
  return ka.length === kb.length && ka.every((k) => a[k] === b[k]);
}
