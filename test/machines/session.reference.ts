/**
 * A reference model of the session, written from the tables of docs/SEMANTICS.md §1–§2 and §4 as
 * plain TypeScript, independent of the chart. The model-based test runs the chart and this
 * model side by side and compares them after every event.
 */
import type { ConnectionState, SessionInput, SessionState, StopPolicy } from '../../machines/index.js';

export type WaitStatus = 'pending' | 'done' | 'aborted' | 'failed' | 'closed';

export interface RefWait {
  readonly id: string;
  readonly direction: 'upload' | 'download';
  readonly target: number;
  status: WaitStatus;
}

export interface RefNotifier {
  readonly id: string;
  live: boolean;
  ended: boolean;
}

/** The whole observable session, as the tables describe it. */
export interface RefSession {
  readonly stopPolicy: StopPolicy;
  readonly manualReset: boolean;
  readonly cancelWaitsOnNonFatalError: boolean;
  readonly refreshRetryDelayMs: number;
  state: SessionState;
  connection: ConnectionState;
  storeOpen: boolean;
  /** The user logged out (or a refresh was refused): only a login revives the session. */
  loggedOut: boolean;
  uploaded: number;
  committed: number;
  resetting: boolean;
  resetUnacknowledged: boolean;
  /** The file was reset; `onAfter` waits for the server's fresh state (docs/SEMANTICS.md §5). */
  resetEndDue: boolean;
  /** `onAfter` is running. */
  finishingReset: boolean;
  refresh: 'none' | 'inFlight' | 'retrying';
  retryAt: number;
  now: number;
  waits: RefWait[];
  notifiers: RefNotifier[];
  /** Codes of the errors handed to `onError`, in order. */
  reported: string[];
}

export function initialRef(input: Required<Pick<SessionInput, 'stopPolicy' | 'clientResetMode' | 'cancelWaitsOnNonFatalError' | 'refreshRetryDelayMs'>>): RefSession {
  return {
    stopPolicy: input.stopPolicy,
    manualReset: input.clientResetMode === 'manual',
    cancelWaitsOnNonFatalError: input.cancelWaitsOnNonFatalError,
    refreshRetryDelayMs: input.refreshRetryDelayMs,
    state: 'inactive',
    connection: 'disconnected',
    storeOpen: false,
    loggedOut: false,
    uploaded: 0,
    committed: 0,
    resetting: false,
    resetUnacknowledged: false,
    resetEndDue: false,
    finishingReset: false,
    refresh: 'none',
    retryAt: 0,
    now: 0,
    waits: [],
    notifiers: [],
    reported: [],
  };
}

/** Every input the model understands: the session's events plus what its effects answer. */
export type RefCommand =
  | { type: 'store.opened'; tokenExpired: boolean }
  | { type: 'store.closed' }
  | { type: 'pause' }
  | { type: 'resume'; tokenExpired: boolean }
  | { type: 'user.loggedIn'; tokenExpired: boolean }
  | { type: 'user.loggedOut' }
  | { type: 'error'; category: 'auth' | 'clientReset' | 'permission' | 'protocol' | 'session'; isFatal: boolean }
  | { type: 'connection.connecting' }
  | { type: 'connection.open' }
  | { type: 'connection.lost' }
  | { type: 'server.ident' }
  | { type: 'commit'; bytes: number }
  | { type: 'ack'; bytes: number }
  | { type: 'wait'; direction: 'upload' | 'download' }
  | { type: 'wait.abort'; pick: number }
  | { type: 'mark.reply'; pick: number }
  | { type: 'notifier.add' }
  | { type: 'notifier.remove'; pick: number }
  | { type: 'reset.acknowledged' }
  | { type: 'reset.downloaded' }
  | { type: 'resetAfter.succeeds' }
  | { type: 'resetAfter.fails' }
  | { type: 'refresh.succeeds' }
  | { type: 'refresh.refused' }
  | { type: 'refresh.offline' }
  | { type: 'reset.succeeds' }
  | { type: 'reset.fails' }
  | { type: 'tick'; ms: number };

const syncing = (m: RefSession): boolean => m.state === 'active' || m.state === 'dying';
/** A session resetting its file has left the connection until the reset is done. */
const wantsConnection = (m: RefSession): boolean => syncing(m) && !m.resetting;
const uploadPending = (m: RefSession): boolean => m.uploaded < m.committed;

/** The session ends up `inactive`: pending waits fail with `error` or close; streams may end. */
function becomeInactive(m: RefSession, error: string | undefined, userGone = false): void {
  m.state = 'inactive';
  m.loggedOut = userGone;
  for (const w of m.waits) if (w.status === 'pending') w.status = error === undefined ? 'closed' : 'failed';
  if (!m.storeOpen || userGone) endNotifiers(m);
}

function endNotifiers(m: RefSession): void {
  for (const n of m.notifiers) if (n.live) { n.live = false; n.ended = true; }
}

/** Where a session whose store is closed goes when it may sync: by its stop policy. */
function settleClosedStore(m: RefSession): void {
  if (m.stopPolicy === 'liveIndefinitely') m.state = 'active';
  else if (m.stopPolicy === 'afterChangesUploaded' && uploadPending(m)) m.state = 'dying';
  else if (m.state !== 'inactive') becomeInactive(m, undefined);
}

function waitForToken(m: RefSession): void {
  m.state = 'waitingForAccessToken';
  m.refresh = 'inFlight';
}

/** `resume()` or a login: §1 "store opened / resume() / login". */
function activate(m: RefSession, tokenExpired: boolean): void {
  if (tokenExpired) waitForToken(m);
  else if (m.storeOpen) m.state = 'active';
  else settleClosedStore(m);
}

function settleUploads(m: RefSession): void {
  for (const w of m.waits) if (w.status === 'pending' && w.direction === 'upload' && m.uploaded >= w.target) w.status = 'done';
}

const pick = <T>(list: readonly T[], index: number): T | undefined => (list.length === 0 ? undefined : list[index % list.length]);

/** Pending waits in creation order: what `pick` chooses from. */
export const pendingWaits = (m: RefSession): RefWait[] => m.waits.filter((w) => w.status === 'pending');
export const liveNotifiers = (m: RefSession): RefNotifier[] => m.notifiers.filter((n) => n.live);

/** Applies one command; `newId` names a new wait or notifier. */
export function step(m: RefSession, c: RefCommand, newId: string): void {
  switch (c.type) {
    case 'store.opened':
      m.storeOpen = true;
      if (m.loggedOut) break; // nothing but a login revives a logged-out user's session
      if (m.state === 'inactive' || m.state === 'dying') {
        if (c.tokenExpired) waitForToken(m);
        else m.state = 'active';
      }
      break;
    case 'store.closed':
      if (m.state === 'dying') break;
      m.storeOpen = false;
      if (m.state === 'active') {
        if (m.stopPolicy === 'immediately') becomeInactive(m, undefined);
        else if (m.stopPolicy === 'afterChangesUploaded') {
          if (uploadPending(m)) m.state = 'dying';
          else becomeInactive(m, undefined);
        }
      } else if (m.state === 'waitingForAccessToken') becomeInactive(m, undefined);
      else if (m.state === 'inactive') endNotifiers(m);
      break;
    case 'pause':
      if (m.state !== 'paused' && !m.loggedOut) m.state = 'paused';
      break;
    case 'resume':
      if ((m.state === 'paused' || m.state === 'inactive') && !m.loggedOut) activate(m, c.tokenExpired);
      break;
    case 'user.loggedIn':
      if (m.state === 'inactive') {
        m.loggedOut = false;
        activate(m, c.tokenExpired);
      }
      break;
    case 'user.loggedOut':
      if (m.state !== 'inactive') becomeInactive(m, undefined, true);
      else if (!m.loggedOut) {
        m.loggedOut = true;
        endNotifiers(m);
      }
      break;
    case 'error': {
      if (!syncing(m)) break;
      const code = `test.${c.category}`;
      if (c.category === 'auth') waitForToken(m);
      else if (c.category === 'clientReset') {
        // Taken on its own only by a session that is not already in the middle of one.
        const running = m.state === 'active' && !m.resetting && !m.resetEndDue && !m.finishingReset;
        if (running && !m.manualReset && !m.resetUnacknowledged) {
          m.resetting = true;
          m.resetUnacknowledged = true;
        } else {
          m.reported.push('clientResetManual');
          becomeInactive(m, 'clientResetManual');
        }
      } else if (c.isFatal) {
        m.reported.push(code);
        becomeInactive(m, code);
      } else {
        m.reported.push(code);
        if (m.cancelWaitsOnNonFatalError) for (const w of m.waits) if (w.status === 'pending') w.status = 'failed';
      }
      break;
    }
    case 'connection.connecting':
      if (wantsConnection(m) && m.connection === 'disconnected') m.connection = 'connecting';
      break;
    case 'connection.open':
      if (wantsConnection(m) && m.connection === 'disconnected') m.connection = 'connecting';
      break;
    case 'connection.lost':
      m.connection = 'disconnected';
      break;
    case 'server.ident':
      if (m.connection === 'connecting') m.connection = 'connected';
      break;
    case 'commit':
      m.committed += c.bytes;
      // Every progress report carries the acknowledged bytes: an upload wait may settle on any.
      if (!m.resetting) settleUploads(m);
      break;
    case 'ack': {
      const before = m.uploaded;
      m.uploaded = Math.min(m.committed, m.uploaded + c.bytes);
      // Only a change of the counts moves the chart (the runtime reports after each change of
      // the file): an ack of nothing new settles nothing, even the waits an ack heard while
      // resetting (which upload waits do not hear) would now cover.
      if (!m.resetting && m.uploaded !== before) settleUploads(m);
      if (m.state === 'dying' && !uploadPending(m)) becomeInactive(m, undefined);
      break;
    }
    case 'wait': {
      const w: RefWait = { id: newId, direction: c.direction, target: m.committed, status: 'pending' };
      m.waits.push(w);
      if (c.direction === 'upload' && m.uploaded >= w.target) w.status = 'done';
      else if (m.state === 'inactive') w.status = 'closed';
      break;
    }
    case 'wait.abort': {
      const w = pick(pendingWaits(m), c.pick);
      if (w) w.status = 'aborted';
      break;
    }
    case 'mark.reply': {
      // The reply counts only for a MARK the wait has sent on the connection it is on.
      const w = pick(pendingWaits(m).filter((x) => x.direction === 'download'), c.pick);
      if (w && m.connection === 'connected') w.status = 'done';
      break;
    }
    case 'notifier.add': {
      // Registered on a session that ended for good: one report, then the end.
      const endedForGood = m.state === 'inactive' && (!m.storeOpen || m.loggedOut);
      m.notifiers.push({ id: newId, live: !endedForGood, ended: endedForGood });
      break;
    }
    case 'notifier.remove': {
      const n = pick(liveNotifiers(m), c.pick);
      if (n) n.live = false;
      break;
    }
    case 'reset.acknowledged':
      if (syncing(m)) m.resetUnacknowledged = false;
      break;
    case 'reset.downloaded':
      // A DOWNLOAD: the server took the fresh file (as `reset.acknowledged`), and with nothing
      // left to download the fresh state is in: `onAfter` runs, once.
      if (syncing(m)) m.resetUnacknowledged = false;
      if (m.state === 'active' && m.resetEndDue) {
        m.resetEndDue = false;
        m.finishingReset = true;
      }
      break;
    case 'resetAfter.succeeds':
      if (m.finishingReset) m.finishingReset = false;
      break;
    case 'resetAfter.fails':
      if (m.finishingReset) {
        m.reported.push('clientResetManual');
        becomeInactive(m, 'clientResetManual');
      }
      break;
    case 'refresh.succeeds':
      if (m.refresh === 'inFlight') {
        if (m.storeOpen) m.state = 'active';
        else settleClosedStore(m);
      }
      break;
    case 'refresh.refused':
      if (m.refresh === 'inFlight') {
        m.reported.push('refreshRefused');
        becomeInactive(m, 'refreshRefused', true);
      }
      break;
    case 'refresh.offline':
      if (m.refresh === 'inFlight') {
        m.refresh = 'retrying';
        m.retryAt = m.now + m.refreshRetryDelayMs;
      }
      break;
    case 'reset.succeeds':
      if (m.resetting) {
        m.resetting = false;
        m.resetEndDue = true;
        // The changes pending upload waits were for were discarded or replayed anew.
        for (const w of m.waits) if (w.status === 'pending' && w.direction === 'upload') w.status = 'failed';
      }
      break;
    case 'reset.fails':
      if (m.resetting) {
        m.reported.push('clientResetManual');
        becomeInactive(m, 'clientResetManual');
      }
      break;
    case 'tick':
      m.now += c.ms;
      if (m.refresh === 'retrying' && m.now >= m.retryAt) m.refresh = 'inFlight';
      break;
  }
  // §1–§2: only a syncing session has a connection, a refresh runs only while waiting for a
  // token, a reset only while active.
  if (m.state !== 'active') {
    m.resetting = false;
    m.finishingReset = false;
  }
  if (!wantsConnection(m)) m.connection = 'disconnected';
  if (m.state !== 'waitingForAccessToken') m.refresh = 'none';
}
