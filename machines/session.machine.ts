import { and, assign, enqueueActions, fromPromise, not, setup, stateIn, type AnyActorRef } from 'xstate';
import { progressMachine } from './progress.machine.js';
import { waiterMachine } from './waiter.machine.js';
import type {
  ByteCounts,
  ClientResetMode,
  Direction,
  ErrorAction,
  ProgressMode,
  StopPolicy,
  SyncErrorInfo,
} from './types.js';

/** Configuration a session actor starts with (the `sync` options that shape its chart). */
export interface SessionInput {
  readonly stopPolicy?: StopPolicy;
  readonly clientResetMode?: ClientResetMode;
  readonly cancelWaitsOnNonFatalError?: boolean;
  /** Pause before retrying an access-token refresh that failed for a network reason. */
  readonly refreshRetryDelayMs?: number;
}

/** The session's memory. Children are listed by their public id, with their direction. */
export interface SessionContext {
  readonly stopPolicy: StopPolicy;
  readonly clientResetMode: ClientResetMode;
  readonly cancelWaitsOnNonFatalError: boolean;
  readonly refreshRetryDelayMs: number;
  /** Whether a handle on the store is open; decides where a closed or refreshed session goes. */
  readonly storeOpen: boolean;
  readonly upload: ByteCounts;
  readonly download: ByteCounts;
  readonly waiters: Readonly<Record<string, Direction>>;
  readonly notifiers: Readonly<Record<string, Direction>>;
  /** A client reset ran and the server has not yet accepted the fresh state. */
  readonly resetUnacknowledged: boolean;
}

/** Facts the runtime attaches to an activation: is the user's access token already expired? */
interface Activation {
  readonly tokenExpired: boolean;
}

/**
 * Every event a session accepts. The runtime turns each outside happening (API call, store
 * event, socket message) into exactly one of these.
 */
export type SessionEvent =
  | ({ readonly type: 'store.opened' } & Activation)
  | { readonly type: 'store.closed' }
  | { readonly type: 'pause' }
  | ({ readonly type: 'resume' } & Activation)
  | ({ readonly type: 'user.loggedIn' } & Activation)
  | { readonly type: 'user.loggedOut' }
  | { readonly type: 'error'; readonly error: SyncErrorInfo }
  | { readonly type: 'connection.connecting' }
  | { readonly type: 'connection.open' }
  | { readonly type: 'connection.lost' }
  | { readonly type: 'server.ident' }
  | ({ readonly type: 'progress'; readonly direction: Direction } & ByteCounts)
  | { readonly type: 'wait'; readonly id: string; readonly direction: Direction }
  | { readonly type: 'wait.abort'; readonly id: string; readonly reason: unknown }
  | { readonly type: 'mark.reply'; readonly requestId: string }
  | { readonly type: 'notifier.add'; readonly id: string; readonly direction: Direction; readonly mode: ProgressMode }
  | { readonly type: 'notifier.remove'; readonly id: string }
  | { readonly type: 'reset.acknowledged' }
  | { readonly type: `xstate.done.actor.${string}`; readonly actorId: string; readonly output?: unknown }
  | { readonly type: `xstate.error.actor.${string}`; readonly error: unknown };

/** Parameters of `reportError`: hand the error (and the action the user must take) to `onError`. */
export interface ReportErrorParams {
  readonly error: SyncErrorInfo;
  readonly action?: ErrorAction;
}

/** Why a refresh failed, as the `refreshAccessToken` actor rejects: refused (401/403) or not. */
export interface RefreshFailure {
  readonly refused: boolean;
  readonly message?: string;
}

/** Child actor id of wait `id`. */
export const waiterChildId = (id: string): string => `wait:${id}`;
/** Child actor id of progress registration `id`. */
export const notifierChildId = (id: string): string => `progress:${id}`;

const refreshFailure = (error: unknown): RefreshFailure =>
  typeof error === 'object' && error !== null && 'refused' in error
    ? { refused: (error as { refused: unknown }).refused === true, message: String((error as { message?: unknown }).message ?? '') }
    : { refused: false, message: String(error) };

/** The auth error reported when the server refuses to refresh the access token. */
export const refreshRefusedError = (message: string): SyncErrorInfo => ({
  code: 'refreshRefused',
  category: 'auth',
  isFatal: true,
  message: message === '' ? 'the server refused to refresh the access token' : message,
});

/** The error reported when a client reset cannot run on its own and needs the user. */
export const manualResetError = (message: string): SyncErrorInfo => ({
  code: 'clientResetManual',
  category: 'clientReset',
  isFatal: true,
  message,
});

const removeKey = <T>(record: Readonly<Record<string, T>>, key: string): Record<string, T> => {
  const { [key]: _removed, ...rest } = record;
  return rest;
};

const idOfChild = (actorId: string): string => actorId.slice(actorId.indexOf(':') + 1);

/**
 * Child ids of the entries of `registry` (of `direction`, if given) that still run. A child
 * that reached its final state in this same step stays listed until its completion event
 * releases it, and must not be sent to.
 */
function running(
  self: AnyActorRef,
  registry: Readonly<Record<string, Direction>>,
  childId: (id: string) => string,
  direction?: Direction,
): string[] {
  const entries = Object.entries(registry);
  // With nothing registered there is nothing to filter; this is also the case while the actor
  // initializes, when its snapshot cannot be read yet.
  if (entries.length === 0) return [];
  const children: Readonly<Record<string, AnyActorRef | undefined>> = self.getSnapshot().children ?? {};
  return entries
    .filter(([, d]) => direction === undefined || d === direction)
    .map(([id]) => childId(id))
    .filter((id) => children[id]?.getSnapshot().status !== 'done');
}

const errorOf = (event: SessionEvent): SyncErrorInfo =>
  event.type === 'error'
    ? event.error
    : { code: 'unknown', category: 'session', isFatal: false, message: `unexpected ${event.type}` };

const reportParams = (error: SyncErrorInfo): ReportErrorParams =>
  error.category === 'permission' ? { error, action: 'deleteLocalFile' } : { error };

const manualResetParams = ({ event }: { event: SessionEvent }): ReportErrorParams => ({
  error: manualResetError(`client reset needs the user: ${errorOf(event).message}`),
  action: 'clientResetBackup',
});

const failedResetMessage = 'the client reset failed and needs the user';

/** The error that fails pending waits when `event` takes the session to `inactive`, if any. */
function failureOf(event: SessionEvent): SyncErrorInfo | undefined {
  if (event.type === 'error') return event.error.category === 'clientReset' ? manualResetParams({ event }).error : event.error;
  if (event.type === 'xstate.error.actor.refreshAccessToken') {
    return refreshRefusedError(refreshFailure(event.error).message ?? '');
  }
  if (event.type === 'xstate.error.actor.clientReset') return manualResetError(failedResetMessage);
  return undefined;
}

/** The default for an effect that is an actor: a promise that never settles, so nothing happens. */
const pending = <T>() => fromPromise<T>(() => new Promise<T>(() => {}));

/**
 * Where a session goes once it may sync again (`resume`, login, a refreshed token): syncing
 * while its store is open, and otherwise wherever the stop policy sends a closed store.
 */
const afterRefresh = [
  { guard: 'storeOpen', target: '#active' },
  { guard: 'livesIndefinitely', target: '#active' },
  { guard: 'uploadPendingAfterClose', target: '#dying' },
  { target: '#inactive' },
] as const;

/** `afterRefresh`, unless the access token has already expired. */
const activation = [{ guard: 'tokenExpired', target: '#waitingForAccessToken' }, ...afterRefresh] as const;

/**
 * The sync session as a parallel chart: `lifecycle` (SEMANTICS.md §1) beside `connection`
 * (§2). `active` and `dying` sit under `syncing`, the one state that wants a connection, so
 * reviving a dying session keeps its connection and leaving `syncing` for any other state
 * disconnects. Waits and progress notifiers are spawned children, keyed by id and stopped when
 * they finish.
 */
export const sessionMachine = setup({
  types: {
    context: {} as SessionContext,
    events: {} as SessionEvent,
    input: {} as SessionInput,
  },
  actors: {
    waiter: waiterMachine,
    progress: progressMachine,
    /** Resolves with a fresh access token; rejects with a `RefreshFailure`. */
    refreshAccessToken: pending<string>(),
    /** Runs a client reset in the configured mode; rejects when it must fall back to manual. */
    clientReset: pending<void>(),
  },
  actions: {
    joinConnection: () => {},
    leaveConnection: () => {},
    bind: () => {},
    reportError: (_: unknown, _params: ReportErrorParams) => {},
    markStoreOpen: assign({ storeOpen: true }),
    markStoreClosed: assign({ storeOpen: false }),
    markResetUnacknowledged: assign({ resetUnacknowledged: true }),
    markResetAcknowledged: assign({ resetUnacknowledged: false }),
    recordProgress: assign(({ context, event }) =>
      event.type === 'progress'
        ? { [event.direction]: { transferred: event.transferred, transferable: event.transferable } }
        : context,
    ),
    forwardProgress: enqueueActions(({ context, event, enqueue, self }) => {
      if (event.type !== 'progress') return;
      const counts = { transferred: event.transferred, transferable: event.transferable };
      for (const child of running(self, context.notifiers, notifierChildId, event.direction)) {
        enqueue.sendTo(child, { type: 'progress', ...counts });
      }
      if (event.direction !== 'upload') return;
      for (const child of running(self, context.waiters, waiterChildId, 'upload')) {
        enqueue.sendTo(child, { type: 'progress', transferred: counts.transferred });
      }
    }),
    spawnWaiter: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'wait') return;
      enqueue.spawnChild('waiter', {
        id: waiterChildId(event.id),
        input: {
          id: event.id,
          direction: event.direction,
          target: context.upload.transferable,
          transferred: context.upload.transferred,
        },
      });
      enqueue.assign({ waiters: { ...context.waiters, [event.id]: event.direction } });
    }),
    connectNewWaiter: enqueueActions(({ event, enqueue }) => {
      if (event.type === 'wait') enqueue.sendTo(waiterChildId(event.id), { type: 'connected' });
    }),
    closeNewWaiter: enqueueActions(({ event, enqueue }) => {
      if (event.type === 'wait') enqueue.sendTo(waiterChildId(event.id), { type: 'close' });
    }),
    abortWaiter: enqueueActions(({ event, enqueue }) => {
      if (event.type === 'wait.abort') enqueue.sendTo(waiterChildId(event.id), { type: 'abort', reason: event.reason });
    }),
    deliverMarkReply: enqueueActions(({ event, enqueue }) => {
      if (event.type === 'mark.reply') enqueue.sendTo(waiterChildId(event.requestId), { type: 'mark.reply' });
    }),
    tellWaitersConnected: enqueueActions(({ context, enqueue, self }) => {
      for (const child of running(self, context.waiters, waiterChildId, 'download')) enqueue.sendTo(child, { type: 'connected' });
    }),
    tellWaitersDisconnected: enqueueActions(({ context, enqueue, self }) => {
      for (const child of running(self, context.waiters, waiterChildId, 'download')) enqueue.sendTo(child, { type: 'disconnected' });
    }),
    /**
     * Every way into `inactive` passes here, so no wait is left pending there: waits fail with
     * the error that ended the session, or close. Progress streams end when the session ends
     * for good: its store is closed or its user is gone.
     */
    settleOnInactive: enqueueActions(({ context, event, enqueue, self }) => {
      const error = failureOf(event);
      for (const child of running(self, context.waiters, waiterChildId)) {
        enqueue.sendTo(child, error === undefined ? { type: 'close' } : { type: 'fail', error });
      }
      const userGone = event.type === 'user.loggedOut' || event.type === 'xstate.error.actor.refreshAccessToken';
      if (context.storeOpen && !userGone) return;
      for (const child of running(self, context.notifiers, notifierChildId)) enqueue.sendTo(child, { type: 'end' });
    }),
    failWaiters: enqueueActions(({ context, event, enqueue, self }) => {
      const error = errorOf(event);
      for (const child of running(self, context.waiters, waiterChildId)) enqueue.sendTo(child, { type: 'fail', error });
    }),
    spawnNotifier: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'notifier.add') return;
      enqueue.spawnChild('progress', {
        id: notifierChildId(event.id),
        input: { id: event.id, direction: event.direction, mode: event.mode, counts: context[event.direction] },
      });
      enqueue.assign({ notifiers: { ...context.notifiers, [event.id]: event.direction } });
    }),
    removeNotifier: enqueueActions(({ context, event, enqueue }) => {
      if (event.type !== 'notifier.remove') return;
      enqueue.stopChild(notifierChildId(event.id));
      enqueue.assign({ notifiers: removeKey(context.notifiers, event.id) });
    }),
    endNotifiers: enqueueActions(({ context, enqueue, self }) => {
      for (const child of running(self, context.notifiers, notifierChildId)) enqueue.sendTo(child, { type: 'end' });
    }),
    releaseChild: enqueueActions(({ context, event, enqueue }) => {
      if (!('actorId' in event)) return;
      enqueue.stopChild(event.actorId);
      const id = idOfChild(event.actorId);
      enqueue.assign(
        event.actorId === waiterChildId(id)
          ? { waiters: removeKey(context.waiters, id) }
          : { notifiers: removeKey(context.notifiers, id) },
      );
    }),
  },
  guards: {
    tokenExpired: ({ event }) => 'tokenExpired' in event && event.tokenExpired,
    storeOpen: ({ context }) => context.storeOpen,
    stopsImmediately: ({ context }) => context.stopPolicy === 'immediately',
    livesIndefinitely: ({ context }) => context.stopPolicy === 'liveIndefinitely',
    uploadComplete: ({ context }) => context.upload.transferred >= context.upload.transferable,
    uploadPendingAfterClose: ({ context }) =>
      context.stopPolicy === 'afterChangesUploaded' && context.upload.transferred < context.upload.transferable,
    progressCompletesUpload: ({ event }) =>
      event.type === 'progress' && event.direction === 'upload' && event.transferred >= event.transferable,
    isConnected: stateIn('#session.connection.connected'),
    wantsConnection: stateIn('#session.lifecycle.syncing'),
    isNewWaiter: ({ context, event }) => event.type === 'wait' && !(event.id in context.waiters),
    hasWaiter: ({ context, event }) => event.type === 'wait.abort' && event.id in context.waiters,
    hasDownloadWaiter: ({ context, event }) =>
      event.type === 'mark.reply' && context.waiters[event.requestId] === 'download',
    isNewNotifier: ({ context, event }) => event.type === 'notifier.add' && !(event.id in context.notifiers),
    hasNotifier: ({ context, event }) => event.type === 'notifier.remove' && event.id in context.notifiers,
    isSpawnedChild: ({ context, event }) =>
      'actorId' in event &&
      (event.actorId === waiterChildId(idOfChild(event.actorId))
        ? idOfChild(event.actorId) in context.waiters
        : event.actorId === notifierChildId(idOfChild(event.actorId)) && idOfChild(event.actorId) in context.notifiers),
    isAuthError: ({ event }) => event.type === 'error' && event.error.category === 'auth',
    isClientReset: ({ event }) => event.type === 'error' && event.error.category === 'clientReset',
    resetNeedsUser: ({ context }) => context.clientResetMode === 'manual' || context.resetUnacknowledged,
    isFatalError: ({ event }) => event.type === 'error' && event.error.isFatal,
    cancelsWaitsOnNonFatal: ({ context }) => context.cancelWaitsOnNonFatalError,
    refreshRefused: ({ event }) => 'error' in event && refreshFailure(event.error).refused,
  },
  delays: {
    refreshRetry: ({ context }) => context.refreshRetryDelayMs,
  },
}).createMachine({
  id: 'session',
  type: 'parallel',
  context: ({ input }) => ({
    stopPolicy: input.stopPolicy ?? 'afterChangesUploaded',
    clientResetMode: input.clientResetMode ?? 'recoverOrDiscard',
    cancelWaitsOnNonFatalError: input.cancelWaitsOnNonFatalError ?? false,
    refreshRetryDelayMs: input.refreshRetryDelayMs ?? 5_000,
    storeOpen: false,
    upload: { transferred: 0, transferable: 0 },
    download: { transferred: 0, transferable: 0 },
    waiters: {},
    notifiers: {},
    resetUnacknowledged: false,
  }),
  states: {
    lifecycle: {
      initial: 'inactive',
      on: {
        progress: { actions: ['recordProgress', 'forwardProgress'] },
        wait: [
          { guard: and(['isNewWaiter', 'isConnected']), actions: ['spawnWaiter', 'connectNewWaiter'] },
          { guard: 'isNewWaiter', actions: 'spawnWaiter' },
        ],
        'wait.abort': { guard: 'hasWaiter', actions: 'abortWaiter' },
        'mark.reply': { guard: 'hasDownloadWaiter', actions: 'deliverMarkReply' },
        'notifier.add': { guard: 'isNewNotifier', actions: 'spawnNotifier' },
        'notifier.remove': { guard: 'hasNotifier', actions: 'removeNotifier' },
        'xstate.done.actor.*': { guard: 'isSpawnedChild', actions: 'releaseChild' },
      },
      states: {
        inactive: {
          id: 'inactive',
          entry: 'settleOnInactive',
          initial: 'idle',
          on: {
            'store.closed': { actions: ['markStoreClosed', 'endNotifiers'] },
            wait: { guard: 'isNewWaiter', actions: ['spawnWaiter', 'closeNewWaiter'] },
          },
          states: {
            idle: {
              on: {
                'store.opened': [
                  { guard: 'tokenExpired', target: '#waitingForAccessToken', actions: 'markStoreOpen' },
                  { target: '#active', actions: 'markStoreOpen' },
                ],
                // As `activation`, but staying inactive is no transition at all.
                resume: [...activation.slice(0, -1), {}],
                'user.loggedIn': [...activation.slice(0, -1), {}],
                pause: '#paused',
              },
            },
            // The user is gone: nothing revives the session but the user logging in again.
            loggedOut: {
              id: 'loggedOut',
              on: { 'user.loggedIn': [...activation.slice(0, -1), { target: 'idle' }] },
            },
          },
        },
        syncing: {
          entry: 'joinConnection',
          exit: 'leaveConnection',
          initial: 'active',
          on: {
            pause: '#paused',
            'user.loggedOut': '#loggedOut',
            error: [
              { guard: 'isAuthError', target: '#waitingForAccessToken' },
              // A reset the running state did not take on itself needs the user: manual mode,
              // a reset requested again before the last one was acknowledged, or a dying session.
              { guard: 'isClientReset', target: '#inactive', actions: { type: 'reportError', params: manualResetParams } },
              {
                guard: 'isFatalError',
                target: '#inactive',
                actions: { type: 'reportError', params: ({ event }) => reportParams(errorOf(event)) },
              },
              {
                guard: 'cancelsWaitsOnNonFatal',
                actions: [
                  { type: 'reportError', params: ({ event }) => reportParams(errorOf(event)) },
                  'failWaiters',
                ],
              },
              { actions: { type: 'reportError', params: ({ event }) => reportParams(errorOf(event)) } },
            ],
            'reset.acknowledged': { actions: 'markResetAcknowledged' },
          },
          states: {
            active: {
              id: 'active',
              initial: 'running',
              on: {
                'store.opened': { actions: 'markStoreOpen' },
                'store.closed': [
                  { guard: 'stopsImmediately', target: '#inactive', actions: 'markStoreClosed' },
                  { guard: 'livesIndefinitely', actions: 'markStoreClosed' },
                  { guard: 'uploadComplete', target: '#inactive', actions: 'markStoreClosed' },
                  { target: '#dying', actions: 'markStoreClosed' },
                ],
              },
              states: {
                running: {
                  on: {
                    error: { guard: and(['isClientReset', not('resetNeedsUser')]), target: 'resetting' },
                  },
                },
                resetting: {
                  entry: 'markResetUnacknowledged',
                  invoke: {
                    id: 'clientReset',
                    src: 'clientReset',
                    onDone: 'running',
                    onError: {
                      target: '#inactive',
                      actions: {
                        type: 'reportError',
                        params: () => ({ error: manualResetError(failedResetMessage), action: 'clientResetBackup' as const }),
                      },
                    },
                  },
                },
              },
            },
            dying: {
              id: 'dying',
              on: {
                'store.opened': [
                  { guard: 'tokenExpired', target: '#waitingForAccessToken', actions: 'markStoreOpen' },
                  { target: '#active', actions: 'markStoreOpen' },
                ],
                progress: [
                  { guard: 'progressCompletesUpload', target: '#inactive', actions: ['recordProgress', 'forwardProgress'] },
                  { actions: ['recordProgress', 'forwardProgress'] },
                ],
              },
            },
          },
        },
        waitingForAccessToken: {
          id: 'waitingForAccessToken',
          initial: 'refreshing',
          on: {
            'store.opened': { actions: 'markStoreOpen' },
            'store.closed': { target: '#inactive', actions: 'markStoreClosed' },
            pause: '#paused',
            'user.loggedOut': '#loggedOut',
          },
          states: {
            refreshing: {
              invoke: {
                id: 'refreshAccessToken',
                src: 'refreshAccessToken',
                onDone: [...afterRefresh],
                onError: [
                  {
                    guard: 'refreshRefused',
                    target: '#loggedOut',
                    actions: {
                      type: 'reportError',
                      params: ({ event }) => ({ error: refreshRefusedError(refreshFailure(event.error).message ?? '') }),
                    },
                  },
                  { target: 'retrying' },
                ],
              },
            },
            retrying: {
              after: { refreshRetry: 'refreshing' },
            },
          },
        },
        paused: {
          id: 'paused',
          on: {
            resume: [...activation],
            'store.opened': { actions: 'markStoreOpen' },
            'store.closed': { actions: 'markStoreClosed' },
            'user.loggedOut': '#loggedOut',
          },
        },
      },
    },
    connection: {
      initial: 'disconnected',
      states: {
        disconnected: {
          on: {
            'connection.connecting': { guard: 'wantsConnection', target: 'connecting' },
            'connection.open': { guard: 'wantsConnection', target: 'connecting', actions: 'bind' },
          },
        },
        connecting: {
          always: { guard: not('wantsConnection'), target: 'disconnected' },
          on: {
            'connection.open': { actions: 'bind' },
            'server.ident': 'connected',
            'connection.lost': 'disconnected',
          },
        },
        connected: {
          entry: 'tellWaitersConnected',
          exit: 'tellWaitersDisconnected',
          always: { guard: not('wantsConnection'), target: 'disconnected' },
          on: {
            'connection.lost': 'disconnected',
          },
        },
      },
    },
  },
});

/** Configurations worth exploring: every stop policy, a manual and an automatic client reset, both wait policies. */
export const sessionInputs: readonly SessionInput[] = (['afterChangesUploaded', 'immediately', 'liveIndefinitely'] as const).flatMap(
  (stopPolicy) =>
    (['manual', 'recoverOrDiscard'] as const).flatMap((clientResetMode) =>
      [false, true].map((cancelWaitsOnNonFatalError) => ({ stopPolicy, clientResetMode, cancelWaitsOnNonFatalError })),
    ),
);

const testError = (category: SyncErrorInfo['category'], isFatal: boolean): SyncErrorInfo => ({
  code: `test.${category}`,
  category,
  isFatal,
  message: `a ${category} error`,
});

/**
 * The session's alphabet: every event type it accepts, with payloads that reach both outcomes
 * of each guard (an expired and a valid token; pending and complete uploads; new, known and
 * unknown ids; each error category that steers the chart).
 */
export const sessionEvents: readonly SessionEvent[] = [
  { type: 'store.opened', tokenExpired: false },
  { type: 'store.opened', tokenExpired: true },
  { type: 'store.closed' },
  { type: 'pause' },
  { type: 'resume', tokenExpired: false },
  { type: 'resume', tokenExpired: true },
  { type: 'user.loggedIn', tokenExpired: false },
  { type: 'user.loggedIn', tokenExpired: true },
  { type: 'user.loggedOut' },
  { type: 'error', error: testError('auth', false) },
  { type: 'error', error: testError('clientReset', true) },
  { type: 'error', error: testError('permission', true) },
  { type: 'error', error: testError('session', false) },
  { type: 'connection.connecting' },
  { type: 'connection.open' },
  { type: 'connection.lost' },
  { type: 'server.ident' },
  { type: 'progress', direction: 'upload', transferred: 0, transferable: 100 },
  { type: 'progress', direction: 'upload', transferred: 100, transferable: 100 },
  { type: 'progress', direction: 'download', transferred: 0, transferable: 100 },
  { type: 'wait', id: 'u1', direction: 'upload' },
  { type: 'wait', id: 'd1', direction: 'download' },
  { type: 'wait.abort', id: 'u1', reason: 'aborted by test' },
  { type: 'mark.reply', requestId: 'd1' },
  { type: 'notifier.add', id: 'n1', direction: 'upload', mode: 'reportIndefinitely' },
  { type: 'notifier.remove', id: 'n1' },
  { type: 'reset.acknowledged' },
  { type: 'xstate.done.actor.wait:u1', actorId: 'wait:u1' },
  { type: 'xstate.done.actor.wait:d1', actorId: 'wait:d1' },
  { type: 'xstate.done.actor.progress:n1', actorId: 'progress:n1' },
  { type: 'xstate.done.actor.refreshAccessToken', actorId: 'refreshAccessToken' },
  { type: 'xstate.error.actor.refreshAccessToken', error: { refused: true, message: 'refused by test' } },
  { type: 'xstate.error.actor.refreshAccessToken', error: { refused: false, message: 'offline' } },
  { type: 'xstate.done.actor.clientReset', actorId: 'clientReset' },
  { type: 'xstate.error.actor.clientReset', error: new Error('onBefore threw') },
];
