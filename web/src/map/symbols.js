// Symbols of the map, the feed and the legend: one shape per domain (the
// model's top-level category), filled with the precedence's colour; an
// incident has a dark ring. SVG strings built from constants only.
export const PREC_COLOR = {
  FLASH: '#d7191c',
  IMMEDIATE: '#f07c12',
  PRIORITY: '#e3b505',
  ROUTINE: '#2b7bb9',
};
export const PREC_RANK = { FLASH: 0, IMMEDIATE: 1, PRIORITY: 2, ROUTINE: 3 };

// Border section levels (EUROSUR impact levels) and no level set.
export const LEVEL_COLOR = {
  low: '#3a9d4c',
  medium: '#e3b505',
  high: '#f07c12',
  critical: '#d7191c',
  none: '#8a94a0',
};
export const LEVELS = ['low', 'medium', 'high', 'critical'];

const SHAPES = {
  security: 'M12 2 L22 12 L12 22 L2 12 Z',                  // diamond
  corridor: 'M4 4 H20 V20 H4 Z',                              // square
  environment: 'M12 2 C12 2 20 11 20 15 A8 8 0 0 1 4 15 C4 11 12 2 12 2 Z',
  humanitarian: 'M9 3 H15 V9 H21 V15 H15 V21 H9 V15 H3 V9 H9 Z', // cross
  cooperation: 'M12 3 A9 9 0 1 1 11.99 3 Z',                  // circle
  patrol: 'M12 2 L22 20 H2 Z',                                // triangle
  section: 'M7 3 H17 L22 12 L17 21 H7 L2 12 Z',               // hexagon
};
const OTHER = 'M12 4 A8 8 0 1 1 11.99 4 Z';

export function shapeOf(root) {
  return SHAPES[root] || OTHER;
}

// The marker's SVG: shape of root, colour of precedence.
export function symbolSvg(root, prec, { size = 22, incident = false } = {}) {
  const fill = PREC_COLOR[prec] || PREC_COLOR.ROUTINE;
  const ring = incident ? '#1b1b1b' : '#ffffff';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" ` +
    `height="${size}" viewBox="0 0 24 24" aria-hidden="true"><path d="` +
    `${shapeOf(root)}" fill="${fill}" stroke="${ring}" stroke-width="` +
    `${incident ? 2.6 : 2}" stroke-linejoin="round"/></svg>`;
}

// The same as an element (feed, legend, detail).
export function symbolEl(root, prec, opts) {
  const span = document.createElement('span');
  span.className = 'sym';
  // Constant markup (a path of this file and a colour of the tables).
  span.innerHTML = symbolSvg(root, prec, opts);
  return span;
}
