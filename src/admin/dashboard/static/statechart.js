// The worker machine's generated diagram (Graphviz SVG from machines/), with one state lit up. Nodes are found by
// their <title>, which is the state's id (`worker.running`, `worker.failed.gaveUp`; compound states are clusters
// titled `cluster_worker.failed`), so the highlight follows the machine whatever the layout or the state names.

export class Statechart {
  #container;
  #nodes = new Map();
  #machine = '';
  #current;

  constructor(container) {
    this.#container = container;
  }

  async load(url) {
    const response = await fetch(url, { credentials: 'same-origin' });
    if (!response.ok) throw new Error(`statechart: ${url} answered ${response.status}`);
    const doc = new DOMParser().parseFromString(await response.text(), 'image/svg+xml');
    const svg = document.importNode(doc.documentElement, true);
    svg.removeAttribute('width');
    svg.removeAttribute('height');
    svg.setAttribute('role', 'img');
    this.#machine = svg.querySelector('g.graph > title')?.textContent ?? '';
    for (const group of svg.querySelectorAll('g.node, g.cluster')) {
      const title = group.querySelector(':scope > title')?.textContent ?? '';
      const id = title.replace(/^cluster_/, '');
      if (!id.endsWith('.__initial')) this.#nodes.set(id, group);
    }
    this.#container.replaceChildren(svg);
  }

  /** The state names of the diagram (`running`, `failed.backingOff`, ...). */
  get states() {
    return [...this.#nodes.keys()].map((id) => id.slice(this.#machine.length + 1));
  }

  /**
   * Lights up `statePath` (`running`, `failed.gaveUp`): the deepest node of the diagram on that path, so a state
   * the diagram draws as a compound cluster lights the cluster, and an unknown sub-state lights its parent.
   */
  highlight(statePath) {
    let segments = (statePath ?? '').split('.').filter(Boolean);
    let found;
    while (segments.length > 0 && found === undefined) {
      found = this.#nodes.get([this.#machine, ...segments].join('.'));
      if (found === undefined) segments = segments.slice(0, -1);
    }
    if (found === this.#current) return;
    this.#current?.classList.remove('current');
    found?.classList.add('current');
    this.#current = found;
    this.#container.dataset.current = found === undefined ? '' : segments.join('.');
  }
}
