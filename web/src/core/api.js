// The one client of the node's JSON API (data/openapi.json): the session
// cookie goes by itself (same origin), the CSRF token on every write, an
// error is an ApiError with the API's code, message and field, and a 401
// anywhere sends the app back to the login page.
export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message || code || `HTTP ${status}`);
    this.status = status;
    this.code = code || '';
    this.field = field || '';
  }
}

export function createApi({ base = '/api/v1', onUnauthenticated } = {}) {
  let csrf = '';

  async function request(method, path, body, opts = {}) {
    const headers = { Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (method !== 'GET' && method !== 'HEAD' && csrf)
      headers['X-CSRF-Token'] = csrf;
    let res;
    try {
      res = await fetch(path.startsWith(base) ? path : base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
        cache: 'no-store',
        signal: opts.signal,
      });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new ApiError(0, 'offline', e.message);
    }
    if (res.status === 204) return null;
    let data = null;
    const type = res.headers.get('Content-Type') || '';
    if (type.includes('json')) {
      try {
        data = await res.json();
      } catch {
        data = null;
      }
    }
    if (!res.ok) {
      const e = (data && data.error) || {};
      const err = new ApiError(res.status, e.code, e.message, e.field);
      if (res.status === 401 && !opts.quiet401 && onUnauthenticated)
        onUnauthenticated(err);
      throw err;
    }
    return data;
  }

  // Files rather than JSON (bundles, summaries): body a Blob, an
  // ArrayBuffer or a string sent as type; resolves to the Response (read
  // it with blob(), headers...), or throws an ApiError as request() does.
  async function raw(method, path, { body, type, signal } = {}) {
    const headers = { Accept: 'application/octet-stream, application/json' };
    if (body !== undefined && type) headers['Content-Type'] = type;
    if (method !== 'GET' && method !== 'HEAD' && csrf)
      headers['X-CSRF-Token'] = csrf;
    let res;
    try {
      res = await fetch(path.startsWith(base) ? path : base + path, {
        method, headers, body, credentials: 'same-origin', cache: 'no-store',
        signal,
      });
    } catch (e) {
      if (e.name === 'AbortError') throw e;
      throw new ApiError(0, 'offline', e.message);
    }
    if (res.ok) return res;
    let e = {};
    try {
      e = (await res.json())?.error || {};
    } catch { /* not JSON */ }
    const err = new ApiError(res.status, e.code, e.message, e.field);
    if (res.status === 401 && onUnauthenticated) onUnauthenticated(err);
    throw err;
  }

  return {
    raw,
    get: (path, opts) => request('GET', path, undefined, opts),
    post: (path, body, opts) => request('POST', path, body ?? {}, opts),
    patch: (path, body, opts) => request('PATCH', path, body ?? {}, opts),
    del: (path, opts) => request('DELETE', path, undefined, opts),
    setCsrf(token) {
      csrf = token || '';
    },
    async login(login, password) {
      const s = await request('POST', '/session', { login, password },
        { quiet401: true });
      csrf = s.csrf;
      return s;
    },
    async logout() {
      try {
        await request('DELETE', '/session', undefined, { quiet401: true });
      } finally {
        csrf = '';
      }
    },
    // Who is logged in (with the CSRF token), or null.
    async whoami() {
      try {
        const s = await request('GET', '/session', undefined,
          { quiet401: true });
        csrf = s.csrf;
        return s;
      } catch (e) {
        if (e.status === 401) return null;
        throw e;
      }
    },
  };
}
