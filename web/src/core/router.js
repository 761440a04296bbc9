// A small hash router: "#/map?record=ID" is the view "map" with the
// parameters {record: "ID"}. Hash routes keep the node's URL space to
// "/" and "/assets/": the server never has to know the client's routes.
export function parseHash(hash = location.hash) {
  const s = hash.replace(/^#\/?/, '');
  const [path, query = ''] = s.split('?');
  const params = Object.fromEntries(new URLSearchParams(query));
  return { view: path.split('/')[0] || '', path, params };
}

export function href(view, params) {
  const q = params ? new URLSearchParams(Object.entries(params)
    .filter(([, v]) => v !== undefined && v !== null && v !== ''))
    .toString() : '';
  return `#/${view}${q ? `?${q}` : ''}`;
}

export function go(view, params, { replace = false } = {}) {
  const h = href(view, params);
  if (replace) history.replaceState(null, '', h);
  else location.hash = h;
  if (replace) window.dispatchEvent(new HashChangeEvent('hashchange'));
}

export function onRoute(fn) {
  const handler = () => fn(parseHash());
  window.addEventListener('hashchange', handler);
  return () => window.removeEventListener('hashchange', handler);
}
