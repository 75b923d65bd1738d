// @ts-check
/**
 * The viewer page: the live sessions on the left; for the selected one its charts with the
 * active states lit, its connection, progress bars and pending waits; its event timeline on the
 * right, where clicking an event shows the session as it was right after it.
 */
import { activeLeaves } from './chart-focus.js';
import { setChartMode, showChart } from './chart-view.js';
import { eventDetails, eventTitle, formatBytes } from './event-names.js';
import { linkToRelay } from './relay-link.js';
import { activePaths, applyFrame, connectionOfUser, createModel, liveSessions, sessionKey, sessionTitle, sessionView, snapshotAt, visibleSteps } from './viewer-model.js';

/** @typedef {import('./viewer-model.js').Frame} Frame */
/** @typedef {import('./viewer-model.js').SessionView} SessionView */
/** @typedef {import('./viewer-model.js').ByteCounts} ByteCounts */

let model = createModel();
/** @type {string | undefined} the selected session's key: its user and path, which survive a relay restart */
let selected;
/** @type {number | undefined} the `seq` of the timeline step shown instead of the present */
let pinned;
/** @type {string | undefined} why the pinned step is shown no more */
let unpinnedBecause;
let renderQueued = false;

/** @param {string} id @returns {HTMLElement} */
const byId = (id) => {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`viewer: #${id} is missing from the page`);
  return element;
};

/** @param {unknown} value @returns {value is Frame} */
const isFrame = (value) =>
  typeof value === 'object' &&
  value !== null &&
  typeof (/** @type {{ type?: unknown }} */ (value).type) === 'string' &&
  typeof (/** @type {{ sessionId?: unknown }} */ (value).sessionId) === 'string';

function scheduleRender() {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

/** @param {string} path */
const baseName = (path) => path.slice(path.lastIndexOf('/') + 1);

/** @param {number} at */
const clock = (at) => new Date(at).toISOString().slice(11, 23);

/** @param {string} tag @param {string} [className] @param {string} [text] */
function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className !== undefined) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/**
 * Replaces the items of `list` only when what they show changed: the page renders on every
 * frame and twice a second, and an item replaced under a pressed mouse never gets its click.
 * @param {HTMLElement} list @param {string} key what the items show @param {() => HTMLElement[]} build
 */
function replaceItems(list, key, build) {
  if (shownKeys.get(list) === key) return;
  shownKeys.set(list, key);
  list.replaceChildren(...build());
}

/** @type {WeakMap<HTMLElement, string>} what each list's items show now */
const shownKeys = new WeakMap();

/** @param {SessionView[]} sessions */
function renderSessionList(sessions) {
  const key = JSON.stringify([selected, sessions.map((s) => [s.id, s.state, s.connection, s.label])]);
  replaceItems(byId('session-list'), key, () =>
    sessions.map((session) => {
      const item = element('li', sessionKey(session) === selected ? 'session selected' : 'session');
      item.dataset['key'] = sessionKey(session);
      item.dataset['sessionId'] = session.id;
      item.dataset['state'] = session.state;
      item.dataset['connection'] = session.connection;
      // Two users' sessions of one partition share a file name: the title is partition and user.
      item.append(
        element('span', 'path', sessionTitle(session.label)),
        element('span', 'meta', baseName(session.label.realmPath)),
        element('span', `badge state-${session.state}`, session.state),
        element('span', `badge connection-${session.connection}`, session.connection),
      );
      item.title = session.label.realmPath;
      return item;
    }),
  );
  // A session lives from its realm's first open until its app closes or drops it; it may be inactive.
  const syncing = sessions.filter((s) => s.state === 'active' || s.state === 'dying').length;
  byId('session-count').textContent = `${sessions.length} session${sessions.length === 1 ? '' : 's'}, ${syncing} syncing`;
}

/** @param {string} id @param {ByteCounts} counts */
function renderBar(id, counts) {
  const bar = byId(id);
  const share = counts.transferable === 0 ? 1 : Math.min(1, counts.transferred / counts.transferable);
  bar.dataset['transferred'] = String(counts.transferred);
  bar.dataset['transferable'] = String(counts.transferable);
  const fill = /** @type {HTMLElement} */ (bar.querySelector('.fill'));
  fill.style.width = `${(share * 100).toFixed(1)}%`;
  const label = /** @type {HTMLElement} */ (bar.querySelector('.label'));
  label.textContent = `${formatBytes(counts.transferred)} / ${formatBytes(counts.transferable)} (${Math.round(share * 100)}%)`;
}

/** @param {SessionView} view @param {number} now the present, or the time of the step looked back at */
function renderWaits(view, now) {
  byId('wait-list').replaceChildren(
    ...(view.waits.length === 0
      ? [element('li', 'none', 'none')]
      : view.waits.map((wait) => {
          const item = element('li', 'wait');
          item.dataset['waitId'] = wait.id;
          const reached = wait.target === undefined ? '' : ` · ${wait.transferred ?? 0}/${wait.target} B`;
          item.textContent = `${wait.direction} ${wait.id} · waiting ${((now - wait.since) / 1000).toFixed(1)} s${reached}`;
          return item;
        })),
  );
}

/** @param {SessionView} view */
function renderTimeline(view) {
  const steps = view.history;
  const hide = /** @type {HTMLInputElement} */ (byId('hide-progress')).checked;
  const key = JSON.stringify([pinned, hide, steps.length, steps[0]?.seq, steps.at(-1)?.seq]);
  replaceItems(byId('event-list'), key, () => {
    const items = [];
    for (const { step, index } of visibleSteps(steps, hide, pinned)) {
      const item = element('li', step.seq === pinned ? 'step pinned' : 'step');
      item.dataset['index'] = String(index);
      item.dataset['seq'] = String(step.seq);
      item.dataset['event'] = step.event;
      const title = eventTitle(step.payload);
      const name = element('span', 'event', title);
      name.title = title;
      item.append(element('span', 'at', clock(step.at)), name);
      items.push(item);
    }
    return items.length === 0 ? [element('li', 'none', steps.length === 0 ? 'no events yet' : 'only progress so far')] : items.reverse();
  });
  const hidden = steps.length - visibleSteps(steps, hide, pinned).length;
  byId('hidden-count').textContent = hidden === 0 ? '' : `${hidden} progress step${hidden === 1 ? '' : 's'} hidden`;
  const mode = byId('view-mode');
  const index = steps.findIndex((step) => step.seq === pinned);
  const step = steps[index];
  mode.dataset['mode'] = step === undefined ? 'live' : 'past';
  byId('view-mode-text').textContent =
    step === undefined ? `live${unpinnedBecause === undefined ? '' : ` (${unpinnedBecause})`}` : `as it was after event #${index} (${eventTitle(step.payload)}, ${clock(step.at)})`;
  const details = byId('event-details');
  details.dataset['empty'] = String(step === undefined);
  byId('event-details-title').textContent = step === undefined ? '' : `${eventTitle(step.payload)} · ${clock(step.at)}`;
  byId('event-details-json').textContent = step === undefined ? '' : eventDetails(step.payload);
}

/**
 * Runs one part of the page; a part that fails says so in place and the others still show.
 * @param {string} id @param {() => void} draw
 */
function section(id, draw) {
  const target = byId(id);
  try {
    draw();
    delete target.dataset['failed'];
  } catch (error) {
    target.dataset['failed'] = String(error);
  }
}

function render() {
  const sessions = liveSessions(model);
  let current = sessions.find((s) => sessionKey(s) === selected);
  if (current === undefined) {
    current = sessions[0];
    selected = current === undefined ? undefined : sessionKey(current);
    pinned = undefined;
  }
  section('sessions', () => renderSessionList(sessions));
  const actor = current === undefined ? undefined : model.actors.get(current.id);
  const detail = byId('detail');
  if (actor === undefined) {
    detail.dataset['empty'] = 'true';
    return;
  }
  delete detail.dataset['empty'];
  const step = pinned === undefined ? undefined : actor.history.find((s) => s.seq === pinned);
  if (pinned !== undefined && step === undefined) {
    // Its timeline moved past the step (only the latest steps are kept).
    pinned = undefined;
    unpinnedBecause = 'the step looked at is no longer kept';
  }
  const view = sessionView(model, actor, step);
  if (view === undefined) return;
  section('summary', () => {
    byId('summary-path').textContent = view.label.realmPath;
    byId('summary-user').textContent = view.label.userId;
    byId('summary-partition').textContent = view.label.partition;
    byId('summary-state').textContent = view.state;
    byId('summary-connection').textContent = view.connection;
  });
  section('bars', () => {
    renderBar('upload-bar', view.upload);
    renderBar('download-bar', view.download);
  });
  section('wait-list', () => renderWaits(view, step?.at ?? Date.now()));
  section('timeline', () => renderTimeline(view));
  void showChart(byId('session-chart'), 'session', view.snapshot.value);
  // Zoomed in, the enclosing states' names are out of view: the note names the active leaves in full.
  byId('session-note').textContent =
    byId('session-chart').dataset['view'] === 'whole' ? 'the whole chart' : `zoomed to ${activeLeaves(activePaths('session', view.snapshot.value)).map((path) => path.slice('session.'.length))
          // The lifecycle first, as the chart draws it.
          .sort((a, b) => Number(b.startsWith('lifecycle')) - Number(a.startsWith('lifecycle')))
          .join(' + ')}`;
  const socket = connectionOfUser(model, view.label.userId);
  // Looking back, the socket is shown as it was at that moment too.
  const socketSnapshot = socket === undefined ? undefined : step === undefined ? socket.snapshot : snapshotAt(socket, step.at);
  byId('connection-note').textContent =
    socket === undefined
      ? 'no live connection'
      : step !== undefined && socketSnapshot === undefined
        ? 'not known at that moment'
        : `${step === undefined ? "the user's shared socket, live" : `as it was at ${clock(step.at)}`}: ${activeLeaves(activePaths('connection', socketSnapshot?.value)).map((path) => path.slice('connection.'.length)).join(' + ')}`;
  void showChart(byId('connection-chart'), 'connection', socketSnapshot?.value);
}

for (const button of document.querySelectorAll('button.chart-mode')) {
  button.addEventListener('click', () => {
    const chart = byId(/** @type {HTMLElement} */ (button).dataset['chart'] ?? '');
    const whole = chart.dataset['view'] !== 'whole';
    setChartMode(chart, whole ? 'whole' : 'follow');
    button.textContent = whole ? 'follow active states' : 'whole chart';
    scheduleRender();
  });
}

byId('hide-progress').addEventListener('change', scheduleRender);

/**
 * Calls `choose` with the item of `list` under a press of the primary button. On press, not on
 * click, and on the list, not on its items: a list whose items change while the button is down
 * still takes the press.
 * @param {string} listId @param {(item: HTMLElement) => void} choose
 */
function onItemPress(listId, choose) {
  byId(listId).addEventListener('pointerdown', (event) => {
    if (event.button !== 0 || !(event.target instanceof Element)) return;
    const item = event.target.closest('li');
    if (item instanceof HTMLElement) choose(item);
  });
}

onItemPress('session-list', (item) => {
  if (item.dataset['key'] === undefined) return;
  selected = item.dataset['key'];
  pinned = undefined;
  scheduleRender();
});

onItemPress('event-list', (item) => {
  if (item.dataset['seq'] === undefined) return;
  pinned = Number(item.dataset['seq']);
  unpinnedBecause = undefined;
  scheduleRender();
});

byId('live-button').addEventListener('click', () => {
  pinned = undefined;
  unpinnedBecause = undefined;
  scheduleRender();
});

linkToRelay({
  up: () => {
    // The relay replays everything alive; start from nothing so nothing stale survives.
    model = createModel();
    pinned = undefined;
    document.body.dataset['relay'] = 'connected';
    byId('relay-status').dataset['status'] = 'connected';
    byId('relay-status').textContent = 'relay connected';
    scheduleRender();
  },
  down: () => {
    // What is shown stays, greyed: it is the last known state, not the present.
    document.body.dataset['relay'] = 'disconnected';
    byId('relay-status').dataset['status'] = 'disconnected';
    byId('relay-status').textContent = 'relay unreachable, retrying (showing the last known state)';
  },
  frame: (frame) => {
    if (!isFrame(frame)) return;
    applyFrame(model, frame);
    scheduleRender();
  },
});

// Wait ages grow without any frame arriving.
setInterval(scheduleRender, 500);
