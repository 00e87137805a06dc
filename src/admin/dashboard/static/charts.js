// The four charts (uPlot, served by the daemon from node_modules): one series per script type or per worker
// state, a point per second, the last 15 minutes. A series that appears later (a new state) rebuilds the chart.
import uPlot from '/dashboard/assets/uPlot.esm.js';

const WINDOW_S = 15 * 60;
const HEIGHT = 160;
const PALETTE = ['#2f6f9f', '#d9822b', '#2e8b57', '#b03a48', '#7a5195', '#8c6d31', '#4a6278', '#c06c84'];
/** Fixed colours for the states people look for first. */
const STATE_COLOURS = {
  running: '#2e8b57',
  idle: '#7fb3d5',
  pinging: '#5dade2',
  starting: '#f5b041',
  restarting: '#d9822b',
  failed: '#b03a48',
  'failed (gave up)': '#7b241c',
  stopping: '#95a5a6',
  stopped: '#5d6d7e',
};

export class Chart {
  #element;
  #pick;
  #keys = [];
  #xs = [];
  #columns = new Map();
  #plot;

  /** `pick(sample)` gives the chart's values of one sample, by series name. */
  constructor(element, pick) {
    this.#element = element;
    this.#pick = pick;
    new ResizeObserver(() => this.#plot?.setSize(this.#size())).observe(element);
  }

  /** Replaces every point (a snapshot after a connect). */
  reset(samples) {
    this.#keys = [];
    this.#xs = [];
    this.#columns = new Map();
    for (const sample of samples) this.#append(sample);
    this.#render(true);
  }

  add(sample) {
    const grew = this.#append(sample);
    const cutoff = sample.at / 1000 - WINDOW_S;
    let drop = 0;
    while (drop < this.#xs.length && this.#xs[drop] < cutoff) drop++;
    if (drop > 0) {
      this.#xs.splice(0, drop);
      for (const column of this.#columns.values()) column.splice(0, drop);
    }
    this.#render(grew);
  }

  #append(sample) {
    const values = this.#pick(sample);
    let grew = false;
    for (const key of Object.keys(values)) {
      if (!this.#columns.has(key)) {
        this.#keys.push(key);
        this.#columns.set(key, new Array(this.#xs.length).fill(null));
        grew = true;
      }
    }
    this.#xs.push(sample.at / 1000);
    for (const key of this.#keys) this.#columns.get(key).push(values[key] ?? (key in values ? null : 0));
    return grew;
  }

  #render(rebuild) {
    const data = [this.#xs, ...this.#keys.map((key) => this.#columns.get(key))];
    this.#element.dataset.points = String(this.#xs.length);
    if (!rebuild && this.#plot !== undefined) {
      this.#plot.setData(data);
      return;
    }
    this.#plot?.destroy();
    const series = [
      {},
      ...this.#keys.map((key, index) => ({
        label: key,
        stroke: STATE_COLOURS[key] ?? PALETTE[index % PALETTE.length],
        width: 1.5,
        points: { show: false },
      })),
    ];
    this.#plot = new uPlot(
      { ...this.#size(), series, scales: { x: { time: true } }, axes: [{}, { size: 40 }], legend: { live: false } },
      data,
      this.#element,
    );
  }

  #size() {
    return { width: Math.max(200, this.#element.clientWidth), height: HEIGHT };
  }
}

export function createCharts() {
  const byType = (field) => (sample) => sample[field];
  return {
    queue: new Chart(document.getElementById('chart-queue'), byType('queueDepth')),
    jobs: new Chart(document.getElementById('chart-jobs'), byType('jobsPerSecond')),
    states: new Chart(document.getElementById('chart-states'), byType('workersByState')),
    restarts: new Chart(document.getElementById('chart-restarts'), (sample) => ({ restarts: sample.restarts })),
  };
}
