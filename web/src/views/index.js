// The views of the app, in the order of the navigation bar. Adding a
// view: a module exporting {id, perm, nav, label, mount(el, ctx, params)}
// and one line here (see docs/web.md).
import map from './map.js';
import report from './report.js';
import patrols from './patrols.js';
import sections from './sections.js';
import sync from './sync.js';
import admin from './admin.js';

export const views = [map, report, patrols, sections, sync, admin];
