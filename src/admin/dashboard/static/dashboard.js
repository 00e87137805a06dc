// The dashboard page: a snapshot, then live updates over server-sent events; restart, stop and scale behind a
// confirmation, sent with the session's CSRF token. Every value is put in the page as text, never as markup.
import { createCharts } from '/dashboard/assets/charts.js';
import { ago, bytes, clock, duration, orDash, percent } from '/dashboard/assets/format.js';
import { Statechart } from '/dashboard/assets/statechart.js';

const MAX_ACTIVITY = 200;
const LOG_REFRESH_MS = 3_000;
const RECONNECT_CHECK_MS = 2_000;

const $ = (id) => document.getElementById(id);
const fleet = $('fleet');
const groups = new Map();
const rows = new Map();
const statechart = new Statechart($('statechart'));
const charts = createCharts();
let csrf = '';
let view;
let selected;
let stream;

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function button(label, action, data) {
  const node = element('button', 'small', label);
  node.type = 'button';
  node.dataset.action = action;
  for (const [key, value] of Object.entries(data)) node.dataset[key] = value;
  return node;
}

function notice(text, isError = false) {
  const box = $('notice');
  box.textContent = text;
  box.classList.toggle('error', isError);
  box.hidden = false;
  clearTimeout(notice.timer);
  notice.timer = setTimeout(() => {
    box.hidden = true;
  }, 4_000);
}

function setConnection(state, text) {
  const badge = $('connection');
  badge.dataset.state = state;
  badge.textContent = text;
}

// ---- the fleet table ----------------------------------------------------------------------------------------

function groupOf(type) {
  let group = groups.get(type.name);
  if (group === undefined) {
    const body = element('tbody', 'group');
    body.dataset.type = type.name;
    const head = element('tr', 'group-head');
    const cell = element('td');
    cell.colSpan = 11;
    const title = element('strong', 'mono', type.name);
    const summary = element('span', 'summary');
    cell.append(title, summary, button('Scale…', 'scale', { type: type.name }));
    head.append(cell);
    body.append(head);
    fleet.append(body);
    group = { body, summary };
    groups.set(type.name, group);
  }
  return group;
}

function typeSummary(type) {
  const queue = type.queue;
  const depth = queue === null ? '?' : queue.waiting + queue.prioritized + queue.delayed;
  const active = queue === null ? '?' : queue.active;
  return (
    `  min ${type.min} · desired ${type.desired} · max ${type.max} · running ${type.running}` +
    ` — queue: waiting ${depth}, active ${active} · last minute: completed ${type.lastMinute.completed},` +
    ` failed ${type.lastMinute.failed}`
  );
}

function rowOf(worker, body) {
  let row = rows.get(worker.name);
  if (row === undefined) {
    row = element('tr', 'worker');
    row.dataset.worker = worker.name;
    for (const name of ['name', 'type', 'state', 'pid', 'uptime', 'lastJob', 'restarts', 'reason', 'cpu', 'memory'])
      row.append(element('td', `c-${name}`));
    const actions = element('td', 'actions');
    actions.append(
      button('Restart', 'restart', { worker: worker.name }),
      button('Stop', 'stop', { worker: worker.name }),
    );
    row.append(actions);
    rows.set(worker.name, row);
  }
  if (row.parentElement !== body) body.append(row);
  return row;
}

function setCell(row, name, text) {
  const cell = row.querySelector(`.c-${name}`);
  if (cell.textContent !== text) cell.textContent = text;
}

function renderFleet() {
  const now = Date.now();
  for (const type of view.scriptTypes) groupOf(type).summary.textContent = typeSummary(type);
  const seen = new Set();
  for (const worker of view.workers) {
    seen.add(worker.name);
    const group = groups.get(worker.scriptType);
    if (group === undefined) continue;
    const row = rowOf(worker, group.body);
    row.dataset.state = worker.state;
    row.dataset.pid = worker.pid === null ? '' : String(worker.pid);
    row.classList.toggle('selected', worker.name === selected);
    setCell(row, 'name', worker.name);
    setCell(row, 'type', worker.scriptType);
    setCell(row, 'state', worker.state);
    row.querySelector('.c-state').dataset.state = worker.state.split(' ')[0];
    setCell(row, 'pid', orDash(worker.pid));
    setCell(row, 'uptime', duration(worker.uptimeMs));
    setCell(row, 'lastJob', ago(worker.lastJobAt, now));
    setCell(row, 'restarts', String(worker.restarts));
    setCell(row, 'reason', orDash(worker.reason));
    setCell(row, 'cpu', percent(worker.cpuPercent));
    setCell(row, 'memory', bytes(worker.memoryBytes));
  }
  for (const [name, row] of rows) {
    if (!seen.has(name)) {
      row.remove();
      rows.delete(name);
    }
  }
  fleet.dataset.workers = String(rows.size);
  const daemon = view.daemon;
  $('daemon').textContent =
    `${daemon.version} · pid ${daemon.pid} · up ${duration(daemon.uptimeMs)} · ${daemon.backend} · ${daemon.redisUrl}`;
}

// ---- the selected worker ------------------------------------------------------------------------------------

function renderSelected() {
  if (selected === undefined || !view.workers.some((worker) => worker.name === selected))
    selected = view.workers[0]?.name;
  const worker = view.workers.find((candidate) => candidate.name === selected);
  $('detail-name').textContent = worker?.name ?? '–';
  $('detail-state').textContent = worker?.state ?? '';
  $('detail-state').dataset.state = worker?.state.split(' ')[0] ?? '';
  statechart.highlight(worker?.statePath);
}

let lastReason = null;

/** A worker keeps its last failure's reason: it is shown on the transition where it changed, not on every one. */
function addTransition(transition) {
  const body = $('transitions').tBodies[0];
  const row = element('tr');
  const reason = transition.reason === lastReason ? '' : orDash(transition.reason);
  lastReason = transition.reason;
  row.append(
    element('td', 'mono', clock(transition.at)),
    element('td', 'fromto', `${transition.from ?? '∅'} → ${transition.to}`),
    element('td', 'mono', orDash(transition.event)),
    element('td', 'reason', reason),
  );
  body.prepend(row);
  while (body.rows.length > 40) body.deleteRow(-1);
}

/** Live transitions of the selected worker shown so far: a detail fetched before the latest one lacks it. */
let liveTransitions = 0;

async function loadWorker() {
  const name = selected;
  if (name === undefined) return;
  const liveBefore = liveTransitions;
  const response = await fetch(`/dashboard/api/workers/${encodeURIComponent(name)}`, { credentials: 'same-origin' });
  if (!response.ok || name !== selected) return;
  const detail = await response.json();
  // A transition that came live while this request was in flight may be missing from its reply: keep the rows
  // shown (the next refresh brings the whole list) rather than replace them with an older one.
  if (liveTransitions === liveBefore) {
    $('transitions').tBodies[0].replaceChildren();
    lastReason = null;
    for (const transition of detail.transitions) addTransition(transition);
  }
  $('logs').textContent = detail.logs.join('\n') || '(no output yet)';
}

function select(name) {
  if (name === selected) return;
  selected = name;
  for (const [worker, row] of rows) row.classList.toggle('selected', worker === name);
  renderSelected();
  loadWorker().catch(() => {});
}

// ---- lifecycle events ---------------------------------------------------------------------------------------

function addActivity(entry) {
  const list = $('activity');
  const item = element('li', `kind-${entry.kind}`);
  item.dataset.kind = entry.kind;
  item.append(element('time', 'mono', clock(entry.at)), element('span', '', ` ${entry.text}`));
  if (entry.reason) item.append(element('span', 'reason', ` — ${entry.reason}`));
  list.prepend(item);
  while (list.children.length > MAX_ACTIVITY) list.lastElementChild.remove();
}

// ---- actions ------------------------------------------------------------------------------------------------

function confirmAction(text, count) {
  const dialog = $('confirm');
  $('confirm-text').textContent = text;
  $('confirm-count-row').hidden = count === undefined;
  if (count !== undefined) {
    const input = $('confirm-count');
    input.min = String(count.min);
    input.max = String(count.max);
    input.value = String(count.value);
  }
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
  });
}

async function post(path, body = {}) {
  const response = await fetch(path, {
    method: 'POST',
    credentials: 'same-origin',
    headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': csrf },
    body: JSON.stringify(body),
  });
  const answer = await response.json().catch(() => ({}));
  if (!response.ok) throw new Error(answer.error?.message ?? `HTTP ${response.status}`);
  return answer;
}

async function act(target) {
  const { action, worker, type } = target.dataset;
  try {
    if (action === 'restart' || action === 'stop') {
      if (!(await confirmAction(`${action === 'restart' ? 'Restart' : 'Stop'} ${worker}?`))) return;
      await post(`/dashboard/api/${action}/${encodeURIComponent(worker)}`);
      notice(`${worker}: ${action} sent`);
    } else if (action === 'scale') {
      const current = view.scriptTypes.find((candidate) => candidate.name === type);
      const count = { min: current.min, max: current.max, value: current.desired };
      if (!(await confirmAction(`Scale ${type} (${current.min}–${current.max}) to:`, count))) return;
      const n = Number($('confirm-count').value);
      await post('/dashboard/api/scale', { type, n });
      notice(`${type}: scaled to ${n}`);
    }
  } catch (error) {
    notice(error.message, true);
  }
}

fleet.addEventListener('click', (event) => {
  const target = event.target.closest('button[data-action]');
  if (target !== null) {
    act(target);
    return;
  }
  const row = event.target.closest('tr.worker');
  if (row !== null) select(row.dataset.worker);
});

$('logout').addEventListener('click', async () => {
  await fetch('/dashboard/logout', { method: 'POST', credentials: 'same-origin' });
  location.reload();
});

// ---- the stream ---------------------------------------------------------------------------------------------

function onSnapshot(snapshot) {
  view = snapshot.view;
  $('activity').replaceChildren();
  for (const entry of snapshot.activity) addActivity(entry);
  charts.queue.reset(snapshot.history);
  charts.jobs.reset(snapshot.history);
  charts.states.reset(snapshot.history);
  charts.restarts.reset(snapshot.history);
  renderFleet();
  renderSelected();
  loadWorker().catch(() => {});
}

function onTick({ view: next, sample }) {
  view = next;
  for (const chart of Object.values(charts)) chart.add(sample);
  renderFleet();
  renderSelected();
}

/** A transition shows at once, between two ticks: a crash and its restart can take less than a second. */
function onTransition(transition) {
  const worker = view?.workers.find((candidate) => candidate.name === transition.worker);
  if (worker !== undefined) {
    worker.state = transition.to;
    worker.statePath = transition.to;
    worker.pid = transition.pid;
    worker.reason = transition.reason;
    renderFleet();
    renderSelected();
  }
  if (transition.worker === selected) {
    liveTransitions += 1;
    addTransition(transition);
  }
}

/** After a lost stream the browser retries by itself; a refused one (new token) sends the page to the login. */
async function recover() {
  try {
    const response = await fetch('/dashboard/api/session', { credentials: 'same-origin' });
    if (response.status === 401) {
      location.reload();
      return;
    }
    if (response.ok) {
      csrf = (await response.json()).csrf;
      connect();
      return;
    }
  } catch {
    // the daemon is still away
  }
  setTimeout(recover, RECONNECT_CHECK_MS);
}

function connect() {
  stream?.close();
  stream = new EventSource('/dashboard/api/stream');
  const on = (name, handler) => stream.addEventListener(name, (event) => handler(JSON.parse(event.data)));
  on('snapshot', onSnapshot);
  on('tick', onTick);
  on('activity', addActivity);
  on('transition', onTransition);
  stream.addEventListener('open', () => setConnection('live', 'live'));
  stream.addEventListener('error', () => {
    setConnection('reconnecting', 'reconnecting…');
    if (stream.readyState === EventSource.CLOSED) setTimeout(recover, RECONNECT_CHECK_MS);
  });
}

async function start() {
  const response = await fetch('/dashboard/api/session', { credentials: 'same-origin' });
  if (response.status === 401) {
    location.reload();
    return;
  }
  csrf = (await response.json()).csrf;
  // Without its diagram the dashboard still shows everything else.
  await statechart.load('/dashboard/assets/worker.svg').catch((error) => notice(error.message, true));
  connect();
  setInterval(() => loadWorker().catch(() => {}), LOG_REFRESH_MS);
}

start().catch((error) => notice(`The dashboard could not start: ${error.message}`, true));
