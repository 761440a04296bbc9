// The node's data model (GET /api/v1/model, both languages): categories
// by id with what they inherit (kind, precedence, geometry, attributes),
// and their labels.
import { t, text } from './i18n.js';

// Kinds written only through their own domain (src/node/node.c,
// node_domain_owned): never offered by the generic report form.
const DOMAIN_KINDS = new Set(['patrol', 'track', 'approval', 'status',
  'alert']);

export const PRECEDENCES = ['FLASH', 'IMMEDIATE', 'PRIORITY', 'ROUTINE'];

export class Model {
  constructor(doc) {
    this.doc = doc;
    this.version = doc.version;
    this.notice = doc.notice;
    this.byId = new Map();
    this.roots = [];
    const walk = (c, parent, depth) => {
      const cat = {
        id: c.id,
        label: c.label,
        description: c.description,
        parent,
        depth,
        kind: c.kind ?? parent?.kind ?? null,
        precedence: c.precedence ?? parent?.precedence ?? 'ROUTINE',
        geometry: c.geometry ?? parent?.geometry ?? 'optional',
        own: c.attributes || [],
        attributes: [...(parent ? parent.attributes : []),
          ...(c.attributes || [])],
        children: [],
      };
      this.byId.set(c.id, cat);
      if (parent) parent.children.push(cat);
      else this.roots.push(cat);
      for (const ch of c.children || []) walk(ch, cat, depth + 1);
    };
    for (const c of doc.categories || []) walk(c, null, 0);
  }

  get(id) {
    return this.byId.get(id) || null;
  }

  // The top-level category of id ("security" for security.x.y).
  root(id) {
    let c = this.get(id);
    while (c && c.parent) c = c.parent;
    return c ? c.id : String(id || '').split('.')[0];
  }

  // The category of id at depth d (0: root) or null.
  atDepth(id, d) {
    let c = this.get(id);
    while (c && c.depth > d) c = c.parent;
    return c && c.depth === d ? c : null;
  }

  label(id) {
    const c = this.get(id);
    return c ? text(c.label) : id || t('record.unknown_category');
  }

  // "Sécurité › Groupes armés › Observation"
  path(id) {
    const parts = [];
    for (let c = this.get(id); c; c = c.parent) parts.unshift(text(c.label));
    return parts.length ? parts.join(' › ') : (id || '');
  }

  isLeaf(id) {
    const c = this.get(id);
    return !!c && c.children.length === 0;
  }

  isDomain(id) {
    const c = this.get(id);
    return !!c && DOMAIN_KINDS.has(c.kind);
  }

  // Leaf categories anyone with the create permission may report.
  reportable() {
    return [...this.byId.values()].filter((c) => c.children.length === 0 &&
      !DOMAIN_KINDS.has(c.kind));
  }

  attribute(catId, key) {
    const c = this.get(catId);
    return c ? c.attributes.find((a) => a.key === key) || null : null;
  }
}

// The label of an enum value of attribute a.
export function valueLabel(a, v) {
  const e = (a?.values || []).find((x) => x.id === v);
  return e ? text(e.label) : String(v);
}
