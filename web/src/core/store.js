// The records the map, the timeline and the feed show: the newest
// current records of the node (GET /api/v1/records, newest first, paged
// by its "next" links up to a cap), kept up to date by the server-sent
// events without reloading. Shared by the views, so that going from one
// view to another reloads nothing.
export class RecordsStore {
  constructor(api, model, { cap = 10000, first = 1000, page = 3000 } = {}) {
    this.api = api;
    this.model = model;
    this.cap = cap;
    this.first = first;
    this.page = page;
    this.byId = new Map();
    this.version = 0;
    this.loading = false;
    this.complete = false;
    this.next = null;
    this.error = null;
    this.fresh = new Map();         // id -> when it arrived live
    this.listeners = new Set();
    this._list = null;
    this._gen = 0;
    this._notifyTimer = null;
  }

  on(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  _changed(now = false) {
    this.version++;
    this._list = null;
    clearTimeout(this._notifyTimer);
    const fire = () => {
      for (const fn of this.listeners) fn(this);
    };
    if (now) fire();
    else this._notifyTimer = setTimeout(fire, 30);
  }

  _prepare(f) {
    const p = f.properties || {};
    f._t = Date.parse(p.observed_at);
    f._cat = p.category || '';
    f._root = this.model.root(p.category);
    f._prec = p.precedence || 'ROUTINE';
    f._aud = (p.audience || []).join(',');
    return f;
  }

  _add(f) {
    const p = f.properties || {};
    if (p.kind === 'retraction') {
      if (p.retracts) this.byId.delete(p.retracts);
      return;
    }
    if (p.supersedes) this.byId.delete(p.supersedes);
    if (p.status && p.status !== 'current') {
      this.byId.delete(f.id);
      return;
    }
    this.byId.set(f.id, this._prepare(f));
  }

  // Everything anew: the first page fast (the map shows at once on a
  // slow link), the rest in the background up to the cap.
  async load() {
    const gen = ++this._gen;
    this.loading = true;
    this.error = null;
    this.complete = false;
    this.next = null;
    this.byId.clear();
    this._changed(true);
    try {
      await this._page(`/records?limit=${Math.min(this.first, this.cap)}`,
        gen);
      while (this.next && this.byId.size < this.cap && gen === this._gen) {
        const left = this.cap - this.byId.size;
        const url = this.next.replace(/([?&])limit=\d+/,
          `$1limit=${Math.min(this.page, left)}`);
        await this._page(url, gen);
      }
    } catch (e) {
      if (gen === this._gen) this.error = e;
    } finally {
      if (gen === this._gen) {
        this.loading = false;
        this._changed(true);
      }
    }
  }

  async _page(url, gen) {
    const fc = await this.api.get(url);
    if (gen !== this._gen) return;
    for (const f of fc.features || []) this._add(f);
    const next = (fc.links || []).find((l) => l.rel === 'next');
    this.next = next ? next.href : null;
    this.complete = !this.next;
    this._changed();
  }

  // Older records beyond the cap: n more.
  async loadMore(n = 10000) {
    if (!this.next || this.loading) return;
    this.cap += n;
    const gen = this._gen;
    this.loading = true;
    this._changed(true);
    try {
      while (this.next && this.byId.size < this.cap && gen === this._gen) {
        const url = this.next.replace(/([?&])limit=\d+/, `$1limit=${this.page}`);
        await this._page(url, gen);
      }
    } catch (e) {
      this.error = e;
    } finally {
      this.loading = false;
      this._changed(true);
    }
  }

  // A server-sent event: fetch what it names, or reload when it could
  // not name everything.
  async applyEvent(ev) {
    if (!ev || !ev.complete || !Array.isArray(ev.ids) || ev.ids.length > 100) {
      await this.load();
      return [];
    }
    const got = [];
    const queue = [...ev.ids];
    const worker = async () => {
      while (queue.length) {
        const id = queue.shift();
        try {
          const f = await this.api.get(`/records/${id}`);
          this._add(f);
          if (f.properties?.kind !== 'retraction') {
            this.fresh.set(f.id, Date.now());
            got.push(f);
          }
        } catch { /* gone meanwhile, or not ours to read */ }
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    this._changed(true);
    return got;
  }

  // One record as the list would show it (after a write of this page).
  upsert(f) {
    this._add(f);
    this._changed(true);
  }

  get(id) {
    return this.byId.get(id) || null;
  }

  // Every record, newest first (cached until the next change).
  list() {
    if (!this._list)
      this._list = [...this.byId.values()].sort((a, b) => b._t - a._t ||
        (a.id < b.id ? 1 : -1));
    return this._list;
  }

  isFresh(id, ms = 60000) {
    const t = this.fresh.get(id);
    return t !== undefined && Date.now() - t < ms;
  }

  // [oldest, newest] observed_at of what is loaded (ms), or null.
  range() {
    const l = this.list();
    if (!l.length) return null;
    return [l[l.length - 1]._t, l[0]._t];
  }

  // The newest observed_at of a record with a place on the map, or null:
  // where the map's period ends (a newer record without a place, such as
  // a section's level, must not leave the map empty).
  newestLocated() {
    for (const f of this.list()) if (f.geometry) return f._t;
    return null;
  }
}
