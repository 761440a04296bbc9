// The timeline under the map: records per day (per hour over short
// spans), stacked by precedence (uPlot), the chosen window shaded; a
// drag on the chart picks a window, the slider moves it through time,
// the buttons set its length.
import uPlot from 'uplot';
import { h } from '../core/dom.js';
import { t, fmtDateTime, fmtShortDate, fmtTime, getLang } from '../core/i18n.js';
import { PREC_COLOR } from '../map/symbols.js';

const HOUR = 3600e3;
const DAY = 24 * HOUR;
export const PRESETS = [['1d', DAY], ['7d', 7 * DAY], ['30d', 30 * DAY],
  ['90d', 90 * DAY], ['all', Infinity]];
// Bottom to top: routine first, flash on top.
const STACK = ['ROUTINE', 'PRIORITY', 'IMMEDIATE', 'FLASH'];

export class Timeline {
  constructor(el, { onWindow }) {
    this.el = el;
    this.onWindow = onWindow;
    this.range = null;              // [min, max] of the data (ms)
    this.win = null;                // [from, to]
    this.preset = '30d';
    this.plot = null;
    this.slider = h('input.tl-slider', {
      type: 'range', min: 0, max: 1000, step: 1, value: 1000,
      'aria-label': t('timeline.slider'),
      oninput: () => this._slide(),
    });
    this.label = h('span.tl-label');
    this.buttons = PRESETS.map(([k]) => h('button.tl-preset', {
      type: 'button',
      dataset: { preset: k },
      onclick: () => this.setPreset(k),
    }, t(`timeline.${k}`)));
    this.chart = h('div.tl-chart');
    el.append(h('div.tl-controls', h('span.tl-title', t('timeline.title')),
      ...this.buttons, this.slider, this.label), this.chart);
    this._resize = () => this.plot?.setSize(this._size());
    window.addEventListener('resize', this._resize);
  }

  destroy() {
    window.removeEventListener('resize', this._resize);
    this.plot?.destroy();
  }

  _size() {
    return { width: Math.max(200, this.chart.clientWidth || 600), height: 86 };
  }

  // The window for a preset ending at end (default: the window's end).
  setPreset(k, end) {
    this.preset = k;
    for (const b of this.buttons)
      b.setAttribute('aria-pressed', String(b.dataset.preset === k));
    if (!this.range) return;
    const len = PRESETS.find(([p]) => p === k)[1];
    const to = end ?? (this.win ? this.win[1] : this.range[1]);
    this.setWindow(len === Infinity ? [this.range[0], this.range[1]]
      : [to - len, to], true);
  }

  setWindow(win, notify) {
    this.win = win;
    this.label.textContent = t('timeline.window', {
      from: fmtDateTime(win[0]), to: fmtDateTime(win[1]) });
    if (this.range) {
      const span = Math.max(1, this.range[1] - this.range[0]);
      this.slider.value = String(Math.round(
        Math.min(1, Math.max(0, (win[1] - this.range[0]) / span)) * 1000));
    }
    this._shade();
    if (notify) this.onWindow(win, this.preset);
  }

  _slide() {
    if (!this.range || !this.win) return;
    const span = this.range[1] - this.range[0];
    const to = this.range[0] + span * Number(this.slider.value) / 1000;
    const len = this.win[1] - this.win[0];
    this.setWindow([to - len, to], true);
  }

  // features: what passes every filter but time; range: [min, max] ms.
  setData(features, range) {
    this.range = range;
    if (!range) {
      this.plot?.destroy();
      this.plot = null;
      return;
    }
    const span = range[1] - range[0];
    const step = span <= 3 * DAY ? HOUR : DAY;
    const start = Math.floor(range[0] / step) * step;
    const n = Math.max(1, Math.floor((range[1] - start) / step) + 1);
    const xs = new Array(n);
    for (let i = 0; i < n; i++) xs[i] = (start + i * step) / 1000;
    const counts = STACK.map(() => new Float64Array(n));
    const idx = Object.fromEntries(STACK.map((p, i) => [p, i]));
    for (const f of features) {
      const i = Math.floor((f._t - start) / step);
      if (i >= 0 && i < n) counts[idx[f._prec] ?? 0][i]++;
    }
    // Stacked: each series is itself plus those below; drawn top first.
    const stacked = [];
    let acc = new Float64Array(n);
    for (const c of counts) {
      acc = acc.map((v, i) => v + c[i]);
      stacked.push(Array.from(acc));
    }
    const data = [xs, ...stacked.reverse()];
    const series = [{}, ...[...STACK].reverse().map((p) => ({
      label: t(`precedence.${p}`),
      fill: PREC_COLOR[p],
      stroke: PREC_COLOR[p],
      width: 0,
      paths: uPlot.paths.bars({ size: [0.9, 40], align: 1 }),
      points: { show: false },
    }))];
    const lang = getLang();
    const opts = {
      ...this._size(),
      legend: { show: false },
      cursor: {
        drag: { x: true, y: false, setScale: false },
        points: { show: false },
      },
      select: { show: true },
      scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max)] } },
      axes: [
        { stroke: '#44505c', grid: { show: false }, size: 26,
          values: (u, vals) => vals.map((v) => (step === HOUR && lang
            ? fmtTime(v * 1000) : fmtShortDate(v * 1000))) },
        { show: false },
      ],
      series,
      hooks: {
        setSelect: [(u) => {
          if (this._shading || u.select.width < 4) return;
          const from = u.posToVal(u.select.left, 'x') * 1000;
          const to = u.posToVal(u.select.left + u.select.width, 'x') * 1000;
          this.preset = 'custom';
          for (const b of this.buttons) b.setAttribute('aria-pressed', 'false');
          this.setWindow([from, to], true);
        }],
      },
    };
    this.plot?.destroy();
    this.plot = new uPlot(opts, data, this.chart);
    this._shade();
  }

  // Show the window as the chart's selection.
  _shade() {
    const u = this.plot;
    if (!u || !this.win) return;
    const left = Math.max(0, u.valToPos(this.win[0] / 1000, 'x'));
    const right = Math.min(u.bbox.width / devicePixelRatio,
      u.valToPos(this.win[1] / 1000, 'x'));
    this._shading = true;
    u.setSelect({ left, top: 0, width: Math.max(0, right - left),
      height: u.bbox.height / devicePixelRatio }, false);
    this._shading = false;
  }
}
