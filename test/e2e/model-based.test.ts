import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyStateMachine, InspectionEvent } from 'xstate';
import { declaredTransitions, transitionKeys } from '../../machines/explore.js';
import { sessionMachine } from '../../machines/session.machine.js';
import type { StopPolicy } from '../../machines/types.js';
import { App, Credentials, Realm, silentLogger, type SyncSession, type User } from '../../src/index.js';
import { startServer, type SyncServer } from '../../src/server/index.js';
import { initialRef, pendingWaits, liveNotifiers, step as refStep, type RefCommand, type RefSession } from '../machines/session.reference.js';
import { FaultProxy } from '../support/fault-proxy.js';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const numRuns = Number(process.env.MBT_RUNS ?? 40);
const RETRY_MS = 60;

/** Real-world steps a path is made of. */
const stepNames = [
  'open', 'openExpired', 'close', 'pause', 'resume', 'resumeExpired', 'write', 'drop', 'offline', 'online',
  'logout', 'login', 'loginExpired', 'authError', 'refreshOffline', 'refreshRefuses', 'refreshWorks',
  'fatalError', 'sessionError', 'clientReset', 'resetWillFail', 'afterWillFail', 'waitUpload', 'waitDownload', 'abortWait',
  'addNotifier', 'removeNotifier', 'stall', 'unstall', 'openAnother',
] as const;
type StepName = (typeof stepNames)[number];

let root: string;
let server: SyncServer;
let proxy: FaultProxy;
const coverage = new Set<string>();
const keysOf = new WeakMap<AnyStateMachine, Map<unknown, string>>();
let userCounter = 0;

/** Records every transition the real session actors take, keyed as the chart declares them. */
function recordCoverage(event: InspectionEvent): void {
  if (process.env.MBT_DEBUG && event.type === '@xstate.snapshot' && (event.actorRef as unknown as { logic?: AnyStateMachine }).logic?.id === 'connection') {
    const snap = event.snapshot as unknown as { value: unknown; context: { backoffMs: number; baseDelayMs: number } };
    console.log('connection', JSON.stringify(snap.value), event.event.type, snap.context.backoffMs, snap.context.baseDelayMs, Date.now() % 100000);
  }
  if (event.type !== '@xstate.microstep') return;
  const logic = (event.actorRef as unknown as { logic?: AnyStateMachine }).logic;
  if (logic?.id !== 'session') return;
  let keys = keysOf.get(logic);
  if (keys === undefined) {
    keys = transitionKeys(logic) as Map<unknown, string>;
    keysOf.set(logic, keys);
  }
  for (const t of event._transitions) coverage.add(keys.get(t) ?? `unknown ${t.eventType}`);
}

/** One run's world: a user, its realm and session, the model, and the faults in force. */
class World {
  offset = 0;
  /** Open handles, newest last. */
  readonly realms: Realm[] = [];
  get realm(): Realm | undefined {
    return this.realms.at(-1);
  }
  stalled = false;
  session!: SyncSession;
  user!: User;
  app!: App;
  offline = false;
  refreshMode: false | 502 | 401 = false;
  resetShouldFail = false;
  afterShouldFail = false;
  readonly waits: Array<{ id: string; promise: Promise<string>; abort: AbortController }> = [];
  readonly outcomes = new Map<string, string>();
  readonly notifiers: Array<{ id: string; unsubscribe: () => void; ended: boolean }> = [];
  model: RefSession;
  private n = 0;

  constructor(
    readonly email: string,
    readonly partition: string,
    readonly stopPolicy: StopPolicy,
    readonly manualReset: boolean,
    readonly cancelWaits: boolean,
  ) {
    this.model = initialRef({ stopPolicy, clientResetMode: manualReset ? 'manual' : 'recoverOrDiscard', cancelWaitsOnNonFatalError: cancelWaits, refreshRetryDelayMs: RETRY_MS });
  }

  nextId(): string {
    return `x${this.model.waits.length + this.model.notifiers.length}`;
  }

  async start(): Promise<void> {
    this.app = new App({
      baseUrl: proxy.url,
      storageDir: join(root, this.email),
      lingerMs: 30,
      refreshRetryDelayMs: RETRY_MS,
      reconnect: { initialDelayMs: 10, maxDelayMs: 40, multiplier: 2 },
      clock: () => Date.now() + this.offset,
      inspect: recordCoverage,
      // Errors are injected on purpose: silent unless debugging.
      logger: silentLogger,
      ...(process.env.MBT_DEBUG ? { logger: { info: (m: string, d?: object) => console.log('info', m, JSON.stringify(d)), warn: (m: string, d?: object) => console.log('warn', m, JSON.stringify(d)) } } : {}),
    });
    this.user = await this.app.logIn(Credentials.emailPassword(this.email, 'pw'));
    await this.open(false);
  }

  async open(expired: boolean): Promise<void> {
    if (expired) this.offset = 3_600_000;
    const realm = await Realm.open({
      sync: {
        user: this.user,
        partition: this.partition,
        stopPolicy: this.stopPolicy,
        cancelWaitsOnNonFatalError: this.cancelWaits,
        clientReset: {
          mode: this.manualReset ? 'manual' : 'recoverOrDiscard',
          onBefore: () => {
            if (this.resetShouldFail) throw new Error('onBefore refuses');
          },
          onAfter: () => {
            if (this.afterShouldFail) throw new Error('onAfter refuses');
          },
        },
      },
    });
    this.offset = 0;
    this.realms.push(realm);
    this.session = realm.syncSession!;
    this.apply({ type: 'store.opened', tokenExpired: expired });
  }

  apply(command: RefCommand): void {
    refStep(this.model, command, this.nextId());
  }

  /** The commands the runtime performs on its own until it rests: reconnect, acks, refresh, reset, MARK answers. */
  settleModel(): void {
    for (let i = 0; i < 12; i++) {
      const m = this.model;
      const before = JSON.stringify(m);
      if (m.refresh === 'inFlight') this.apply({ type: this.refreshMode === false ? 'refresh.succeeds' : this.refreshMode === 401 ? 'refresh.refused' : 'refresh.offline' });
      else if (m.refresh === 'retrying' && this.refreshMode !== 502) this.apply({ type: 'tick', ms: RETRY_MS });
      else if (m.resetting) this.apply({ type: this.resetShouldFail ? 'reset.fails' : 'reset.succeeds' });
      else if (m.finishingReset) this.apply({ type: this.afterShouldFail ? 'resetAfter.fails' : 'resetAfter.succeeds' });
      else if (this.stalled) {
        // Sockets open but nothing gets through: a session that joins sends BIND and waits.
        if ((m.state === 'active' || m.state === 'dying') && !m.resetting && m.connection === 'disconnected' && !this.offline) this.apply({ type: 'connection.open' });
        return;
      } else if ((m.state === 'active' || m.state === 'dying') && m.connection !== 'connected' && !this.offline) {
        this.apply({ type: 'connection.open' });
        this.apply({ type: 'server.ident' });
        if (m.resetUnacknowledged) this.apply({ type: 'reset.acknowledged' });
        // The downloads after IDENT end with nothing left to download: the reset's end runs.
        if (m.resetEndDue) this.apply({ type: 'reset.downloaded' });
      } else if (m.connection === 'connected' && m.resetEndDue && m.state === 'active') this.apply({ type: 'reset.downloaded' });
      else if (m.connection === 'connected' && m.uploaded < m.committed) this.apply({ type: 'ack', bytes: m.committed - m.uploaded });
      else if (m.connection === 'connected' && pendingWaits(m).some((w) => w.direction === 'download')) this.apply({ type: 'mark.reply', pick: 0 });
      if (JSON.stringify(m) === before) return;
    }
  }

  matches(): boolean {
    if (this.session.state !== this.model.state) return false;
    const real = this.session.connectionState;
    // Offline, a syncing session keeps trying: each attempt shows `connecting`, each refusal
    // `disconnected`. Which one a look catches is timing, not semantics.
    const trying = this.offline && (this.model.state === 'active' || this.model.state === 'dying') && !this.model.resetting;
    if (trying ? real === 'connected' : real !== this.model.connection) return false;
    return this.model.waits.every((w) => (this.outcomes.get(w.id) ?? 'pending') === w.status);
  }

  describe(): string {
    const real = this.model.waits.map((w) => `${w.id}:${this.outcomes.get(w.id) ?? 'pending'}/${w.status}`).join(' ');
    return `real ${this.session.state}/${this.session.connectionState}, model ${this.model.state}/${this.model.connection}; waits real/model ${real}`;
  }
}

const injectError = (code: string, category: string, isFatal: boolean) => (session: number) => ({ type: 'error', session, code, category, isFatal, message: 'injected by the proxy', tryAgain: false });

/** Runs one real step and tells the model what it means; returns false when the step does not apply now. */
async function run(w: World, name: StepName): Promise<boolean> {
  const m = w.model;
  const connected = m.connection === 'connected';
  switch (name) {
    case 'open':
    case 'openExpired':
      if (w.realm !== undefined || m.loggedOut) return false;
      await w.open(name === 'openExpired');
      return true;
    case 'openAnother':
      if (w.realm === undefined || m.loggedOut) return false;
      await w.open(false);
      return true;
    case 'close':
      if (w.realm === undefined) return false;
      w.realms.pop()!.close();
      if (w.realms.length === 0) w.apply({ type: 'store.closed' });
      return true;
    case 'stall':
    case 'unstall':
      w.stalled = name === 'stall';
      proxy.stall(w.stalled);
      return true;
    case 'pause':
      w.session.pause();
      w.apply({ type: 'pause' });
      return true;
    case 'resume':
    case 'resumeExpired':
      if (name === 'resumeExpired') w.offset = 3_600_000;
      w.session.resume();
      w.offset = 0;
      w.apply({ type: 'resume', tokenExpired: name === 'resumeExpired' });
      return true;
    case 'write':
      if (w.realm === undefined) return false;
      w.realm.write((tx) => tx.put('Task', `t${Math.random()}`, { n: 1 }));
      w.apply({ type: 'commit', bytes: 1 });
      return true;
    case 'drop':
      if (m.connection === 'disconnected') return false;
      proxy.drop();
      w.apply({ type: 'connection.lost' });
      return true;
    case 'offline':
      w.offline = true;
      proxy.refuse(true);
      if (m.connection !== 'disconnected') {
        proxy.drop();
        w.apply({ type: 'connection.lost' });
      }
      return true;
    case 'online':
      w.offline = false;
      proxy.refuse(false);
      return true;
    case 'logout':
      w.user.logOut();
      w.apply({ type: 'user.loggedOut' });
      return true;
    case 'login':
    case 'loginExpired':
      if (name === 'loginExpired') w.offset = 3_600_000;
      await w.app.logIn(Credentials.emailPassword(w.email, 'pw'));
      w.offset = 0;
      w.apply({ type: 'user.loggedIn', tokenExpired: name === 'loginExpired' && m.state === 'inactive' });
      return true;
    case 'authError':
      if (!connected) return false;
      proxy.inject(injectError('tokenExpired', 'auth', false));
      w.apply({ type: 'error', category: 'auth', isFatal: false });
      return true;
    case 'refreshOffline':
    case 'refreshRefuses':
    case 'refreshWorks':
      w.refreshMode = name === 'refreshOffline' ? 502 : name === 'refreshRefuses' ? 401 : false;
      proxy.failRefresh(w.refreshMode);
      return true;
    case 'fatalError':
      if (!connected) return false;
      proxy.inject(injectError('badCursor', 'protocol', true));
      w.apply({ type: 'error', category: 'protocol', isFatal: true });
      return true;
    case 'sessionError':
      if (!connected) return false;
      proxy.inject(injectError('badChangeset', 'session', false));
      w.apply({ type: 'error', category: 'session', isFatal: false });
      return true;
    case 'clientReset':
      // Also while stalled and rebinding after a reset: the second request of a loop.
      if (!connected && !(w.stalled && m.connection === 'connecting')) return false;
      proxy.inject(injectError('clientReset', 'clientReset', true));
      w.apply({ type: 'error', category: 'clientReset', isFatal: true });
      return true;
    case 'resetWillFail':
      w.resetShouldFail = !w.resetShouldFail;
      return true;
    case 'afterWillFail':
      w.afterShouldFail = !w.afterShouldFail;
      return true;
    case 'waitUpload':
    case 'waitDownload': {
      const id = w.nextId();
      const abort = new AbortController();
      const promise = (name === 'waitUpload' ? w.session.waitForUpload(abort.signal) : w.session.waitForDownload(abort.signal)).then(
        () => 'done',
        (error: { name?: string }) => (error?.name === 'SessionClosedError' ? 'closed' : error?.name === 'SyncError' ? 'failed' : 'aborted'),
      );
      void promise.then((outcome) => w.outcomes.set(id, outcome));
      w.waits.push({ id, promise, abort });
      w.apply({ type: 'wait', direction: name === 'waitUpload' ? 'upload' : 'download' });
      return true;
    }
    case 'abortWait': {
      const target = pendingWaits(m)[0];
      if (target === undefined) return false;
      w.waits.find((x) => x.id === target.id)?.abort.abort(new Error('aborted by the path'));
      w.apply({ type: 'wait.abort', pick: 0 });
      return true;
    }
    case 'addNotifier': {
      const id = w.nextId();
      const entry = { id, unsubscribe: () => {}, ended: false };
      entry.unsubscribe = w.session.getProgressStream('upload', 'reportIndefinitely').subscribe({ complete: () => (entry.ended = true) }).unsubscribe;
      w.notifiers.push(entry);
      w.apply({ type: 'notifier.add' });
      return true;
    }
    case 'removeNotifier': {
      const target = liveNotifiers(m)[0];
      if (target === undefined) return false;
      w.notifiers.find((x) => x.id === target.id)?.unsubscribe();
      w.apply({ type: 'notifier.remove', pick: 0 });
      return true;
    }
  }
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'mbt-'));
  server = await startServer({ dataDir: join(root, 'server'), users: Array.from({ length: 200 }, (_, i) => ({ email: `u${i}@test`, password: 'pw' })) });
  proxy = await new FaultProxy(server.url).start();
});
afterAll(async () => {
  await proxy.close();
  await server.close();
  rmSync(root, { recursive: true, force: true });
});

interface PathConfig {
  readonly stopPolicy: StopPolicy;
  readonly manualReset: boolean;
  readonly cancelWaits: boolean;
}

let paths = 0;
let steps = 0;

/** Runs one path on a fresh user and realm; fails with the path so far at the first disagreement. */
async function runPath(config: PathConfig, path: readonly StepName[]): Promise<void> {
  paths++;
  proxy.refuse(false);
  proxy.failRefresh(false);
  proxy.stall(false);
  const n = userCounter++ % 200;
  const w = new World(`u${n}@test`, `mbt-${paths}`, config.stopPolicy, config.manualReset, config.cancelWaits);
  await w.start();
  const taken: string[] = ['open'];
  /**
   * The real system must come to the model's state and stay there (60 ms without a change),
   * not just pass by it: a dropped socket's close arrives a moment later.
   */
  const converge = async () => {
    w.settleModel();
    const deadline = Date.now() + 5_000;
    let since: number | undefined;
    while (Date.now() < deadline) {
      if (!w.matches()) since = undefined;
      else if (since === undefined) since = Date.now();
      else if (Date.now() - since >= 60) break;
      await new Promise((r) => setTimeout(r, 5));
    }
    if (!w.matches()) throw new Error(`${JSON.stringify(config)} after ${taken.join(' → ')}: ${w.describe()}`);
  };
  try {
    await converge();
    for (const name of path) {
      if (!(await run(w, name))) continue;
      taken.push(name);
      steps++;
      await converge();
    }
  } finally {
    for (const realm of w.realms.splice(0)) realm.close();
    w.app.close();
    proxy.refuse(false);
    proxy.stall(false);
  }
}

const after: PathConfig = { stopPolicy: 'afterChangesUploaded', manualReset: false, cancelWaits: false };
const live: PathConfig = { ...after, stopPolicy: 'liveIndefinitely' };
const immediately: PathConfig = { ...after, stopPolicy: 'immediately' };

/**
 * Paths written to take every lifecycle transition the public API can reach; the random paths
 * after them look for what nobody thought of.
 */
const curated: ReadonlyArray<[PathConfig, StepName[]]> = [
  [after, ['pause', 'write', 'waitUpload', 'abortWait', 'resume']],
  [after, ['pause', 'resume', 'pause', 'resumeExpired']],
  [after, ['pause', 'write', 'close', 'resume']],
  [after, ['pause', 'openAnother', 'close', 'close', 'logout']],
  [live, ['pause', 'close', 'resume']],
  [immediately, ['pause', 'close', 'resume']],
  [live, ['close', 'fatalError', 'resume']],
  [live, ['close', 'fatalError', 'login']],
  [live, ['close', 'logout', 'login']],
  [live, ['close', 'authError']],
  [after, ['fatalError', 'login']],
  [after, ['fatalError', 'loginExpired']],
  [after, ['fatalError', 'resume']],
  [after, ['fatalError', 'resumeExpired']],
  [after, ['stall', 'write', 'close', 'fatalError', 'unstall', 'resume']],
  [after, ['stall', 'write', 'close', 'fatalError', 'login', 'unstall']],
  [after, ['stall', 'write', 'close', 'logout', 'login', 'unstall']],
  [after, ['stall', 'write', 'close', 'authError', 'unstall']],
  [after, ['stall', 'write', 'write', 'close', 'unstall']],
  [after, ['stall', 'write', 'close', 'open', 'unstall']],
  [after, ['stall', 'write', 'close', 'openExpired', 'unstall']],
  [immediately, ['close', 'logout', 'login', 'addNotifier', 'logout', 'addNotifier', 'removeNotifier']],
  [immediately, ['close', 'open', 'logout', 'loginExpired']],
  [immediately, ['close', 'openExpired']],
  [immediately, ['close', 'resume', 'login']],
  [after, ['logout', 'login', 'logout', 'resume', 'pause']],
  [after, ['refreshOffline', 'authError', 'openAnother', 'pause', 'resume', 'refreshWorks']],
  [after, ['refreshOffline', 'authError', 'close', 'refreshWorks']],
  [after, ['refreshOffline', 'authError', 'refreshWorks']],
  [after, ['refreshRefuses', 'authError', 'login']],
  [after, ['refreshOffline', 'authError', 'logout']],
  [after, ['resetWillFail', 'clientReset']],
  // A reset that failed leaves the fresh file unacknowledged: the first DOWNLOAD after resume acknowledges it.
  [after, ['resetWillFail', 'clientReset', 'resume']],
  [after, ['clientReset', 'write', 'waitUpload']],
  // A reset with a change not yet acknowledged: its counters move while the file starts over.
  [after, ['stall', 'write', 'clientReset', 'unstall']],
  [after, ['stall', 'clientReset', 'clientReset', 'unstall']],
  // The reset's end waits for the fresh state across a pause; and a throw in onAfter is manual.
  [after, ['stall', 'clientReset', 'pause', 'resume', 'unstall']],
  [after, ['afterWillFail', 'clientReset']],
  [after, ['fatalError', 'addNotifier', 'waitUpload', 'write', 'waitUpload', 'pause', 'resume']],
  [immediately, ['close', 'resumeExpired']],
  [{ ...after, manualReset: true }, ['clientReset']],
  [{ ...after, cancelWaits: true }, ['pause', 'write', 'waitUpload', 'resume', 'sessionError', 'waitDownload', 'sessionError']],
  [after, ['sessionError', 'waitDownload', 'drop', 'addNotifier', 'write', 'removeNotifier']],
  [after, ['offline', 'write', 'waitUpload', 'waitDownload', 'online']],
  [after, ['pause', 'logout', 'login', 'resume']],
  [after, ['pause', 'fatalError', 'close', 'addNotifier']],
];

/** Lifecycle transitions no public API call can take: the runtime refuses `Realm.open` for a logged-out user. */
const unreachableFromApi = ['loggedOut —store.opened[0]→ (self)'];

describe('model-based test of the real runtime (real server, fault-injecting proxy)', () => {
  it('after every step of curated and random paths, state, connection state and waits equal the reference model', async () => {
    for (const [config, path] of process.env.MBT_PATH ? [] : curated) await runPath(config, path);
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<StopPolicy>('afterChangesUploaded', 'immediately', 'liveIndefinitely'),
        fc.boolean(),
        fc.boolean(),
        process.env.MBT_PATH
          ? fc.constant(process.env.MBT_PATH.split(',') as StepName[])
          : fc.array(fc.constantFrom(...stepNames), { minLength: 6, maxLength: 24 }),
        (stopPolicy, manualReset, cancelWaits, path) => runPath({ stopPolicy, manualReset, cancelWaits }, path),
      ),
      { numRuns, seed, endOnFailure: true },
    );
    const inLifecycle = (id: string) => sessionMachine.getStateNodeById(id).path[0] === 'lifecycle';
    const lifecycle = declaredTransitions(sessionMachine).filter((t) => t.source !== 'session' && inLifecycle(t.source));
    const covered = lifecycle.filter((t) => coverage.has(t.key));
    console.log(
      `model-based: ${paths} paths (${curated.length} curated), ${steps} steps, seed ${seed}; ` +
        `lifecycle transitions the real runtime took: ${covered.length}/${lifecycle.length}`,
    );
    for (const t of lifecycle) {
      const mark = coverage.has(t.key) ? 'covered' : unreachableFromApi.includes(t.key) ? 'unreachable from the API' : 'NOT COVERED';
      console.log(`  ${mark}  ${t.key}${t.guard ? ` [${t.guard}]` : ''}`);
    }
    if (!process.env.MBT_PATH) {
      expect(lifecycle.filter((t) => !coverage.has(t.key) && !unreachableFromApi.includes(t.key)).map((t) => t.key)).toEqual([]);
    }
  }, 900_000);
});
