// Leaflet, from npm (its ES module build), bundled into app.js.
export * from 'leaflet/dist/leaflet-src.esm.js';
