// Building the page without innerHTML: every text goes in as text, so
// that nothing a record carries can become markup (and no inline style:
// the Content-Security-Policy forbids it; classes do the styling).

// h('div.a.b', {attrs}, ...children): an element. attrs: on* listeners
// (onclick: fn), class, dataset {k: v}, hidden, value, checked, any
// other attribute. Children: nodes, strings, numbers, arrays, null.
export function h(tag, attrs, ...children) {
  const [name, ...classes] = tag.split('.');
  const el = document.createElement(name || 'div');
  if (classes.length) el.className = classes.join(' ');
  if (attrs && (typeof attrs !== 'object' || attrs instanceof Node ||
      Array.isArray(attrs))) {
    children.unshift(attrs);
    attrs = null;
  }
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') {
      el.addEventListener(k.slice(2), v);
    } else if (k === 'class') {
      el.className = [el.className, v].filter(Boolean).join(' ');
    } else if (k === 'dataset') {
      Object.assign(el.dataset, v);
    } else if (k === 'value' || k === 'checked' || k === 'selected' ||
               k === 'disabled' || k === 'hidden') {
      el[k] = v;
    } else {
      el.setAttribute(k, v === true ? '' : String(v));
    }
  }
  append(el, children);
  return el;
}

export function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// Replace the children of el.
export function clear(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

const SVGNS = 'http://www.w3.org/2000/svg';

// An SVG element, attributes as given (presentation attributes are not
// inline styles).
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVGNS, tag);
  for (const [k, v] of Object.entries(attrs || {}))
    if (v !== undefined && v !== null) el.setAttribute(k, String(v));
  for (const c of children.flat()) if (c) el.append(c);
  return el;
}

// A short message that goes away by itself.
export function toast(text, kind = 'info', ms = 4000) {
  let box = document.getElementById('toasts');
  if (!box) {
    box = h('div.toasts', { id: 'toasts', role: 'status' });
    document.body.append(box);
  }
  const t = h(`div.toast.toast-${kind}`, text);
  box.append(t);
  setTimeout(() => t.remove(), ms);
  return t;
}
