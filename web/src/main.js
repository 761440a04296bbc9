// The entry point of the web UI (bundled by esbuild into app.js).
import 'leaflet/dist/leaflet.css';
import 'uplot/dist/uPlot.min.css';
import '../styles/app.css';
import { start } from './app.js';

start(document.getElementById('app'));
