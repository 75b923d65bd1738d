// @ts-check
/**
 * The viewer's model, apart from the page: relay frames in, what the page shows out. Plain
 * JavaScript (checked by TypeScript through these JSDoc types), so the browser loads it as it
 * is and the tests run it in Node.
 */

/**
 * @typedef {{ status: string, value?: unknown, context?: unknown }} WireSnapshot
 * @typedef {{ type: string, [field: string]: unknown }} WireEvent
 * @typedef {{ type: '@xstate.actor', sessionId: string, name?: string, parentId?: string, createdAt?: string, snapshot: WireSnapshot }} ActorFrame
 * @typedef {{ type: '@xstate.snapshot', sessionId: string, createdAt?: string, event: WireEvent, snapshot: WireSnapshot }} SnapshotFrame
 * @typedef {{ type: '@xstate.event', sessionId: string, createdAt?: string, event: WireEvent }} EventFrame
 * @typedef {ActorFrame | SnapshotFrame | EventFrame} Frame
 * @typedef {{ seq: number, at: number, event: string, payload: WireEvent, snapshot: WireSnapshot }} Step
 * @typedef {{ id: string, name: string, parentId: string | undefined, createdAt: number, seenAt: number, seenSnapshot: WireSnapshot, snapshot: WireSnapshot, history: Step[] }} ActorRecord
 * @typedef {{ actors: Map<string, ActorRecord>, historyLimit: number, nextSeq: number }} Model
 * @typedef {{ realmPath: string, userId: string, partition: string }} SessionLabel
 * @typedef {{ transferred: number, transferable: number }} ByteCounts
 * @typedef {{ id: string, direction: string, since: number, transferred: number | undefined, target: number | undefined }} PendingWait
 * @typedef {{ id: string, label: SessionLabel, state: string, connection: string, upload: ByteCounts, download: ByteCounts, waits: PendingWait[], snapshot: WireSnapshot, history: Step[] }} SessionView
 */

/** @param {number} [historyLimit] how many steps each actor's timeline keeps @returns {Model} */
export function createModel(historyLimit = 500) {
  return { actors: new Map(), historyLimit, nextSeq: 1 };
}

/** @param {unknown} value @returns {value is Record<string, unknown>} */
const isRecord = (value) => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The latest time a `Date` can hold; a timestamp past it would make every clock reading throw. */
const MAX_TIME = 8.64e15;

/** A frame's time, or now when it carries none that a `Date` can hold. @param {string | undefined} text @returns {number} */
export const timeOf = (text) => {
  const at = Number(text);
  return Number.isFinite(at) && at > 0 && at <= MAX_TIME ? at : Date.now();
};

/**
 * Adds a step in time order. Frames arrive in order, but a viewer that joins late gets each
 * actor's announcement (stamped when the page got it, with the present state) before the recent
 * steps that led there.
 * @param {Model} model @param {ActorRecord} actor @param {Omit<Step, 'seq'>} step
 */
function addStep(model, actor, step) {
  const history = actor.history;
  let index = history.length;
  while (index > 0 && (history[index - 1]?.at ?? 0) > step.at) index--;
  history.splice(index, 0, { ...step, seq: model.nextSeq++ });
  if (history.length > model.historyLimit) history.splice(0, history.length - model.historyLimit);
}

/**
 * Applies one frame. Actors that stop leave the model; a frame for an actor never announced is
 * ignored (it belongs to a listener that joined before this page). An announcement sets the
 * actor's state and adds nothing to its timeline: the relay replays every live actor to each
 * viewer that connects, and that is not something the actor did.
 * @param {Model} model @param {Frame} frame
 */
export function applyFrame(model, frame) {
  if (frame.type === '@xstate.actor') {
    const known = model.actors.get(frame.sessionId);
    /** @type {ActorRecord} */
    const actor = {
      id: frame.sessionId,
      name: frame.name ?? frame.sessionId,
      parentId: frame.parentId,
      // A re-announcement (the app's link to the relay came back) keeps what the page knew.
      createdAt: known?.createdAt ?? timeOf(frame.createdAt),
      // When the page first knew the actor, and as what: its state from then on, until a step.
      seenAt: known?.seenAt ?? Date.now(),
      seenSnapshot: known?.seenSnapshot ?? frame.snapshot,
      snapshot: frame.snapshot,
      history: known?.history ?? [],
    };
    model.actors.set(frame.sessionId, actor);
    return;
  }
  if (frame.type !== '@xstate.snapshot') return;
  const actor = model.actors.get(frame.sessionId);
  if (actor === undefined) return;
  if (frame.snapshot.status !== 'active') {
    model.actors.delete(frame.sessionId);
    return;
  }
  actor.snapshot = frame.snapshot;
  addStep(model, actor, { at: timeOf(frame.createdAt), event: frame.event.type, payload: frame.event, snapshot: frame.snapshot });
}

/**
 * The snapshot `actor` had at time `at`: that of its latest step at or before `at`, or the one
 * the page first saw it with (at `seenAt`) if that is later; `undefined` when the page knows
 * nothing that early. For a late joiner the replayed steps come before `seenAt` and lead to
 * the announced present; for an actor born under the page's eyes they come after it.
 * @param {ActorRecord} actor @param {number} at @returns {WireSnapshot | undefined}
 */
export function snapshotAt(actor, at) {
  let latestAt = actor.seenAt <= at ? actor.seenAt : -Infinity;
  let snapshot = actor.seenAt <= at ? actor.seenSnapshot : undefined;
  for (const step of actor.history) {
    if (step.at <= at && step.at >= latestAt) {
      latestAt = step.at;
      snapshot = step.snapshot;
    }
  }
  return snapshot;
}

/**
 * The steps a timeline lists, each with its index in `history`: all of them, or (`hideProgress`)
 * all but progress reports, which come by the dozen in a sync and push the rest out of view; a
 * step looked at (`keep`, its `seq`) stays listed whatever it is.
 * @param {Step[]} history @param {boolean} hideProgress @param {number} [keep]
 * @returns {{ step: Step, index: number }[]}
 */
export function visibleSteps(history, hideProgress, keep) {
  return history.map((step, index) => ({ step, index })).filter(({ step }) => !hideProgress || step.event !== 'progress' || step.seq === keep);
}

/**
 * The children of every actor, by parent id: built once per look, so finding a session's waits
 * does not scan every actor.
 * @param {Model} model @returns {Map<string, ActorRecord[]>}
 */
export function childrenByParent(model) {
  /** @type {Map<string, ActorRecord[]>} */
  const index = new Map();
  for (const actor of model.actors.values()) {
    if (actor.parentId === undefined) continue;
    const siblings = index.get(actor.parentId);
    if (siblings === undefined) index.set(actor.parentId, [actor]);
    else siblings.push(actor);
  }
  return index;
}

/**
 * The chart paths a state value makes active: `session`, `session.lifecycle`,
 * `session.lifecycle.paused`, …, the ids of the drawn `state:` groups.
 * @param {string} root the machine id @param {unknown} value @returns {string[]}
 */
export function activePaths(root, value) {
  if (typeof value === 'string') return [root, `${root}.${value}`];
  if (!isRecord(value)) return [root];
  return [root, ...Object.entries(value).flatMap(([key, child]) => activePaths(`${root}.${key}`, child))];
}

/**
 * `session.state` of a session snapshot value, as the runtime names it.
 * @param {unknown} value @returns {string}
 */
export function sessionStateOf(value) {
  const lifecycle = isRecord(value) ? value['lifecycle'] : undefined;
  if (isRecord(lifecycle) && 'syncing' in lifecycle) {
    const syncing = lifecycle['syncing'];
    return syncing === 'dying' ? 'dying' : 'active';
  }
  if (typeof lifecycle === 'string') return lifecycle;
  if (isRecord(lifecycle)) return Object.keys(lifecycle)[0] ?? 'unknown';
  return 'unknown';
}

/** `session.connectionState` of a session snapshot value. @param {unknown} value @returns {string} */
export const connectionOf = (value) => {
  const connection = isRecord(value) ? value['connection'] : undefined;
  if (typeof connection === 'string') return connection;
  // `connected` has children (uploading, retryingUploads): the state is the key.
  const keys = isRecord(connection) ? Object.keys(connection) : [];
  return keys.length === 1 && typeof keys[0] === 'string' ? keys[0] : 'unknown';
};

/** @param {unknown} value @returns {ByteCounts} */
const countsOf = (value) => {
  const counts = isRecord(value) ? value : {};
  return {
    transferred: typeof counts['transferred'] === 'number' ? counts['transferred'] : 0,
    transferable: typeof counts['transferable'] === 'number' ? counts['transferable'] : 0,
  };
};

/** @param {unknown} value @returns {SessionLabel | undefined} */
const labelOf = (value) => {
  if (!isRecord(value)) return undefined;
  const { realmPath, userId, partition } = value;
  return typeof realmPath === 'string' && typeof userId === 'string' && typeof partition === 'string' ? { realmPath, userId, partition } : undefined;
};

/** @param {ActorRecord} actor @returns {boolean} */
const isSession = (actor) => actor.name === 'session' && isRecord(actor.snapshot.value) && 'lifecycle' in actor.snapshot.value;

/**
 * The view of one session actor: its present, or (given `step`) as it was right after that
 * step — then wait ages end at the step, and what the waits had transferred, which the page
 * only knows for the present, is left out.
 * @param {Model} model @param {ActorRecord} actor @param {Step} [step] @param {Map<string, ActorRecord[]>} [children]
 * @returns {SessionView | undefined}
 */
export function sessionView(model, actor, step, children = childrenByParent(model)) {
  const snapshot = step?.snapshot ?? actor.snapshot;
  const context = isRecord(snapshot.context) ? snapshot.context : {};
  const label = labelOf(context['label']);
  if (label === undefined) return undefined;
  const waiters = isRecord(context['waiters']) ? context['waiters'] : {};
  /** @type {PendingWait[]} */
  const waits = Object.entries(waiters).map(([id, direction]) => {
    const child = children.get(actor.id)?.find((c) => c.name === `wait:${id}`);
    const childContext = child !== undefined && step === undefined && isRecord(child.snapshot.context) ? child.snapshot.context : {};
    return {
      id,
      direction: String(direction),
      since: child?.createdAt ?? firstSeen(actor, id),
      transferred: typeof childContext['transferred'] === 'number' ? childContext['transferred'] : undefined,
      target: typeof childContext['target'] === 'number' ? childContext['target'] : undefined,
    };
  });
  return {
    id: actor.id,
    label,
    state: sessionStateOf(snapshot.value),
    connection: connectionOf(snapshot.value),
    upload: countsOf(context['upload']),
    download: countsOf(context['download']),
    waits,
    snapshot,
    history: actor.history,
  };
}

/** @param {WireSnapshot} snapshot @param {string} id */
const hasWaiter = (snapshot, id) => {
  const context = isRecord(snapshot.context) ? snapshot.context : {};
  return isRecord(context['waiters']) && id in context['waiters'];
};

/**
 * When the page first knew of wait `id`: its first step listing it, or the announcement if the
 * wait was pending then (the step that made it may be older than the relay's replay).
 * @param {ActorRecord} actor @param {string} id
 */
function firstSeen(actor, id) {
  const step = actor.history.find((s) => hasWaiter(s.snapshot, id));
  const announced = hasWaiter(actor.seenSnapshot, id) ? actor.seenAt : Infinity;
  const at = Math.min(step?.at ?? Infinity, announced);
  return Number.isFinite(at) ? at : Date.now();
}

/** Every live session, by realm path. @param {Model} model @returns {SessionView[]} */
export function liveSessions(model) {
  const children = childrenByParent(model);
  /** @type {SessionView[]} */
  const views = [];
  for (const actor of model.actors.values()) {
    if (!isSession(actor)) continue;
    const view = sessionView(model, actor, undefined, children);
    if (view !== undefined) views.push(view);
  }
  return views.sort((a, b) => a.label.realmPath.localeCompare(b.label.realmPath) || a.id.localeCompare(b.id));
}

/**
 * How the page titles a session: partition and user, whole (two users' sessions of one
 * partition share a file name, and user ids often share a prefix; the path is the tooltip).
 * @param {SessionLabel} label @returns {string}
 */
export const sessionTitle = (label) => `${label.partition} · ${label.userId}`;

/** What names a session across relay restarts, when its actor ids change. @param {SessionView} view */
export const sessionKey = (view) => `${view.label.userId}\u0000${view.label.realmPath}`;

/**
 * The shared connection actor of `userId` (the socket its sessions use), if alive.
 * @param {Model} model @param {string} userId @returns {ActorRecord | undefined}
 */
export function connectionOfUser(model, userId) {
  /** @type {ActorRecord | undefined} */
  let found;
  for (const actor of model.actors.values()) {
    const context = isRecord(actor.snapshot.context) ? actor.snapshot.context : {};
    const label = isRecord(context['label']) ? context['label'] : {};
    if (actor.name === 'connection' && label['userId'] === userId) found = actor;
  }
  return found;
}
