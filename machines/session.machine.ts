import { and, assertEvent, assign, emit, enqueueActions, fromCallback, fromPromise, not, setup, stateIn, type GuardPredicate } from 'xstate';
import { progressMachine } from './progress.machine.js';
import { idOfChild, notifierChildId, removeKey, running, waiterChildId } from './session.children.js';
import {
  resetReplacedUploads,
  errorEventParams,
  failedResetParams,
  failureOf,
  manualResetParams,
  refreshFailure,
  refreshRefusedError,
} from './session.errors.js';
import type { ConnectionStateChanged, ReportErrorParams, SessionContext, SessionEvent, SessionInput } from './session.types.js';
import { waiterMachine } from './waiter.machine.js';

// The chart's vocabulary and alphabet live beside it; importing the machine module gives all.
export * from './session.alphabet.js';
export * from './session.children.js';
export * from './session.errors.js';
export * from './session.types.js';

/** The default for an effect that is an actor: a promise that never settles, so nothing happens. */
const pending = <T>() => fromPromise<T>(() => new Promise<T>(() => {}));

/**
 * Whether the lifecycle is in `inactive`, for `check` inside an action: `stateIn`'s guard is typed
 * for any guard set, `check` wants one of none (the cast only narrows that parameter).
 */
const inInactive = stateIn('#inactive') as GuardPredicate<SessionContext, SessionEvent, undefined, never>;

/** The wait before uploading again when the server asked for a retry without naming one. */
export const DEFAULT_UPLOAD_RETRY_MS = 1_000;

/** The shortest: a server answering every resend at once with `backoffMs: 0` gets no hot loop. */
export const MIN_UPLOAD_RETRY_MS = 100;

/**
 * The longest uploads pause whatever `backoffMs` the server named: a stamp a day ahead is still
 * tried every minute (the server's clock may have been the wrong one), and no timer overflows
 * (Node fires a delay beyond 2^31 − 1 ms at once: a hot loop).
 */
export const MAX_UPLOAD_RETRY_MS = 60_000;


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

/** Parameters of `forwardProgress`. */
export interface ForwardProgressParams {
  /** Whether upload waits hear upload progress too (not while a client reset rewrites the file). */
  readonly toUploadWaiters: boolean;
}

/**
 * Hands a `progress` event to the notifiers of its direction and, if `toUploadWaiters`, an
 * upload's to the upload waits. Typed outside `setup` with no actions, guards or actors of its
 * own to enqueue, so that `setup` infers its params before it types the other actions.
 */
const forwardProgress = enqueueActions<SessionContext, SessionEvent, ForwardProgressParams, SessionEvent, never, never, never, never, never>(
  ({ context, event, enqueue, self }, params) => {
    assertEvent(event, 'progress');
    const counts = { transferred: event.transferred, transferable: event.transferable };
    for (const child of running(self, context.notifiers, notifierChildId, event.direction)) {
      enqueue.sendTo(child, { type: 'progress', ...counts });
    }
    if (!params.toUploadWaiters || event.direction !== 'upload') return;
    for (const child of running(self, context.waiters, waiterChildId, 'upload')) {
      enqueue.sendTo(child, { type: 'progress', transferred: counts.transferred });
    }
  },
);

/** Progress as everywhere but in a reset: its notifiers and, for uploads, the upload waits hear it. */
const forwardProgressToAll = { type: 'forwardProgress', params: { toUploadWaiters: true } } as const;

/** Hands a failed automatic client reset (its run or its end) to the user. */
const reportFailedReset = { type: 'reportError', params: failedResetParams } as const;

/** The completion event of a child actor: only these carry the `actorId` a release needs. */
type ChildDoneEvent = Extract<SessionEvent, { readonly type: `xstate.done.actor.${string}` }>;

/** Throws unless `event` is a child's completion, as `assertEvent` does for one named type. */
function assertChildDone(event: SessionEvent): asserts event is ChildDoneEvent {
  if (!event.type.startsWith('xstate.done.actor.')) throw new Error(`expected a child's completion event, got ${event.type}`);
}

/**
 * The sync session as a parallel chart: `lifecycle` (docs/SEMANTICS.md §1) beside `connection`
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
    emitted: {} as ConnectionStateChanged,
  },
  actors: {
    waiter: waiterMachine,
    progress: progressMachine,
    /** Resolves with a fresh access token; rejects with a `RefreshFailure`. */
    refreshAccessToken: pending<string>(),
    /** Runs a client reset in the configured mode; rejects when it must fall back to manual. */
    clientReset: pending<void>(),
    /** Ends a client reset once the server's fresh state is in (`onAfter`); rejects when it must fall back to manual. */
    clientResetAfter: pending<void>(),
    /**
     * Uploads what the server has not been sent on this binding, from the last acknowledged
     * changeset, and each durable commit after it; stopped when the session leaves
     * `connection.connected.uploading`. Sends back an `error` for a changeset it cannot upload.
     */
    upload: fromCallback<SessionEvent>(() => {}),
  },
  actions: {
    joinConnection: () => {},
    leaveConnection: () => {},
    bind: () => {},
    /** Skips the shared connection's reconnect delay. */
    reconnect: () => {},
    reportError: (_: unknown, _params: ReportErrorParams) => {},
    markStoreOpen: assign({ storeOpen: true }),
    markStoreClosed: assign({ storeOpen: false }),
    markResetUnacknowledged: assign({ resetUnacknowledged: true }),
    markResetAcknowledged: assign({ resetUnacknowledged: false }),
    markResetEndDue: assign({ resetEndDue: true }),
    markResetEndStarted: assign({ resetEndDue: false }),
    // One per change the connection region can make; the runtime's `connectionStateChanges`.
    announceConnecting: emit({ type: 'connectionState.changed', previous: 'disconnected', current: 'connecting' } as const),
    announceConnected: emit({ type: 'connectionState.changed', previous: 'connecting', current: 'connected' } as const),
    announceConnectingAbandoned: emit({ type: 'connectionState.changed', previous: 'connecting', current: 'disconnected' } as const),
    announceDisconnected: emit({ type: 'connectionState.changed', previous: 'connected', current: 'disconnected' } as const),
    recordUploadRetryDelay: assign(({ event }) => {
      assertEvent(event, 'error');
      return { uploadRetryDelayMs: Math.min(Math.max(event.backoffMs ?? DEFAULT_UPLOAD_RETRY_MS, MIN_UPLOAD_RETRY_MS), MAX_UPLOAD_RETRY_MS) };
    }),
    recordProgress: assign(({ event }) => {
      assertEvent(event, 'progress');
      return { [event.direction]: { transferred: event.transferred, transferable: event.transferable } };
    }),
    forwardProgress,
    spawnWaiter: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'wait');
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
    // Only a download wait cares about the connection (it sends a MARK).
    connectNewWaiter: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, 'wait');
      if (event.direction === 'download') enqueue.sendTo(waiterChildId(event.id), { type: 'connected' });
    }),
    // An upload wait with nothing pending is done the moment it starts; only the others close.
    closeNewWaiter: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'wait');
      if (event.direction === 'upload' && context.upload.transferred >= context.upload.transferable) return;
      enqueue.sendTo(waiterChildId(event.id), { type: 'close' });
    }),
    abortWaiter: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, 'wait.abort');
      enqueue.sendTo(waiterChildId(event.id), { type: 'abort', reason: event.reason });
    }),
    deliverMarkReply: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, 'mark.reply');
      enqueue.sendTo(waiterChildId(event.requestId), { type: 'mark.reply' });
    }),
    tellWaitersConnected: enqueueActions(({ context, enqueue, self }) => {
      for (const child of running(self, context.waiters, waiterChildId, 'download')) enqueue.sendTo(child, { type: 'connected' });
    }),
    tellWaitersDisconnected: enqueueActions(({ context, enqueue, self, check }) => {
      // Leaving the connection because the session went inactive: `settleOnInactive` settled
      // every wait a microstep ago, and a wait told `disconnected` now would be a stopped actor.
      if (check(inInactive)) return;
      for (const child of running(self, context.waiters, waiterChildId, 'download')) enqueue.sendTo(child, { type: 'disconnected' });
    }),
    /**
     * Every way into `inactive` passes here, so no wait is left pending there: waits fail with
     * the error that ended the session, or close. Progress streams end when the session ends
     * for good: its store is closed or its user is gone.
     */
    settleOnInactive: enqueueActions(({ context, event, enqueue, self }) => {
      const error = failureOf(event);
      // A dying session whose last upload this progress completed: the same step forwarded it to
      // the upload waits, which are done by it; a `close` after it would reach stopped actors.
      const uploadsDone = event.type === 'progress' && event.direction === 'upload' && event.transferred >= event.transferable;
      for (const child of running(self, context.waiters, waiterChildId, uploadsDone ? 'download' : undefined)) {
        enqueue.sendTo(child, error === undefined ? { type: 'close' } : { type: 'fail', error });
      }
      const userGone = event.type === 'user.loggedOut' || event.type === 'xstate.error.actor.refreshAccessToken';
      if (context.storeOpen && !userGone) return;
      for (const child of running(self, context.notifiers, notifierChildId)) enqueue.sendTo(child, { type: 'end' });
    }),
    /**
     * After a client reset, the changes an upload wait was for were discarded or replayed as
     * new changesets: the wait cannot tell, so it fails rather than resolve for changes the
     * server never got.
     */
    failUploadWaiters: enqueueActions(({ context, enqueue, self }) => {
      for (const child of running(self, context.waiters, waiterChildId, 'upload')) enqueue.sendTo(child, { type: 'fail', error: resetReplacedUploads });
    }),
    failWaiters: enqueueActions(({ context, event, enqueue, self }) => {
      assertEvent(event, 'error');
      for (const child of running(self, context.waiters, waiterChildId)) enqueue.sendTo(child, { type: 'fail', error: event.error });
    }),
    spawnNotifier: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'notifier.add');
      enqueue.spawnChild('progress', {
        id: notifierChildId(event.id),
        input: { id: event.id, direction: event.direction, mode: event.mode, counts: context[event.direction] },
      });
      enqueue.assign({ notifiers: { ...context.notifiers, [event.id]: event.direction } });
    }),
    endNewNotifier: enqueueActions(({ event, enqueue }) => {
      assertEvent(event, 'notifier.add');
      enqueue.sendTo(notifierChildId(event.id), { type: 'end' });
    }),
    removeNotifier: enqueueActions(({ context, event, enqueue }) => {
      assertEvent(event, 'notifier.remove');
      enqueue.stopChild(notifierChildId(event.id));
      enqueue.assign({ notifiers: removeKey(context.notifiers, event.id) });
    }),
    endNotifiers: enqueueActions(({ context, enqueue, self }) => {
      for (const child of running(self, context.notifiers, notifierChildId)) enqueue.sendTo(child, { type: 'end' });
    }),
    releaseChild: enqueueActions(({ context, event, enqueue }) => {
      assertChildDone(event);
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
    /** A `progress` event whose counts differ from the chart's: the runtime reports after every change of the file, and only real changes move the chart. */
    countsChanged: ({ context, event }) =>
      event.type === 'progress' &&
      (event.transferred !== context[event.direction].transferred || event.transferable !== context[event.direction].transferable),
    progressCompletesUpload: ({ event }) =>
      event.type === 'progress' && event.direction === 'upload' && event.transferred >= event.transferable,
    isConnected: stateIn('#session.connection.connected'),
    wantsConnection: and([stateIn('#session.lifecycle.syncing'), not(stateIn('#session.lifecycle.syncing.active.resetting'))]),
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
    resetEndDue: ({ context }) => context.resetEndDue,
    resetUnacknowledged: ({ context }) => context.resetUnacknowledged,
    nothingLeftToDownload: ({ event }) => event.type === 'server.download' && event.downloadableBytes === 0,
    /**
     * The server could not store or read history for this session (a `connection` error),
     * refused a stamp until its clock catches up (`clockSkew` with a wait), or refused writes the
     * runtime has since emptied (`compensatingWrite`): what was sent since the last
     * acknowledgement goes again after the wait (docs/SEMANTICS.md §5.7, §5.9).
     */
    asksToRetryUploads: ({ event }) =>
      event.type === 'error' &&
      (event.error.category === 'connection' || event.error.code === 'compensatingWrite' || (event.error.code === 'clockSkew' && event.backoffMs !== undefined)),
    isFatalError: ({ event }) => event.type === 'error' && event.error.isFatal,
    cancelsWaitsOnNonFatal: ({ context }) => context.cancelWaitsOnNonFatalError,
    refreshRefused: ({ event }) => 'error' in event && refreshFailure(event.error).refused,
  },
  delays: {
    refreshRetry: ({ context }) => context.refreshRetryDelayMs,
    uploadRetry: ({ context }) => context.uploadRetryDelayMs,
  },
}).createMachine({
  id: 'session',
  type: 'parallel',
  context: ({ input }) => ({
    ...(input.label === undefined ? {} : { label: input.label }),
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
    resetEndDue: false,
    uploadRetryDelayMs: DEFAULT_UPLOAD_RETRY_MS,
  }),
  states: {
    lifecycle: {
      initial: 'inactive',
      on: {
        progress: { guard: 'countsChanged', actions: ['recordProgress', forwardProgressToAll] },
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
            // A session that ended for good (its store closed) ends a new stream at once.
            'notifier.add': [
              { guard: and(['isNewNotifier', not('storeOpen')]), actions: ['spawnNotifier', 'endNewNotifier'] },
              { guard: 'isNewNotifier', actions: 'spawnNotifier' },
            ],
          },
          states: {
            idle: {
              on: {
                'user.loggedOut': { target: '#loggedOut', actions: 'endNotifiers' },
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
              on: {
                'user.loggedIn': [...activation.slice(0, -1), { target: 'idle' }],
                'store.opened': { actions: 'markStoreOpen' },
                'notifier.add': { guard: 'isNewNotifier', actions: ['spawnNotifier', 'endNewNotifier'] },
              },
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
              { guard: 'isFatalError', target: '#inactive', actions: { type: 'reportError', params: errorEventParams } },
              { guard: 'cancelsWaitsOnNonFatal', actions: [{ type: 'reportError', params: errorEventParams }, 'failWaiters'] },
              { actions: { type: 'reportError', params: errorEventParams } },
            ],
            // The server took the fresh file after a reset: a reset requested from now on is a new one.
            'server.download': { guard: 'resetUnacknowledged', actions: 'markResetAcknowledged' },
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
                  // Back in `active` (resumed, token refreshed, store reopened) with a reset whose
                  // end has not run yet: it still waits for the server's fresh state.
                  always: { guard: 'resetEndDue', target: 'awaitingFreshState' },
                  on: {
                    error: { guard: and(['isClientReset', not('resetNeedsUser')]), target: 'resetting' },
                  },
                },
                // The server ended the binding; the session leaves the connection while its file
                // starts over, and joins again (a fresh BIND and IDENT) once it has.
                resetting: {
                  entry: ['markResetUnacknowledged', 'leaveConnection'],
                  // The file's counters jump while it starts over: notifiers see it, upload waits
                  // do not (they fail when the reset is done, see failUploadWaiters).
                  on: { progress: { guard: 'countsChanged', actions: ['recordProgress', { type: 'forwardProgress', params: { toUploadWaiters: false } }] } },
                  invoke: {
                    id: 'clientReset',
                    src: 'clientReset',
                    onDone: { target: 'awaitingFreshState', actions: ['markResetEndDue', 'failUploadWaiters', 'joinConnection'] },
                    onError: { target: '#inactive', actions: reportFailedReset },
                  },
                },
                // The file has started over and the session is back on the connection; the reset
                // ends (`onAfter`) once the server's fresh state is integrated: at the first
                // DOWNLOAD after which nothing is left to download.
                awaitingFreshState: {
                  on: { 'server.download': { guard: 'nothingLeftToDownload', target: 'finishingReset', actions: 'markResetAcknowledged' } },
                },
                // The end runs once: leaving this state before it is done (a pause inside
                // `onAfter`) does not run it again.
                finishingReset: {
                  entry: 'markResetEndStarted',
                  invoke: {
                    id: 'clientResetAfter',
                    src: 'clientResetAfter',
                    onDone: 'running',
                    onError: { target: '#inactive', actions: reportFailedReset },
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
                  { guard: and(['countsChanged', 'progressCompletesUpload']), target: '#inactive', actions: ['recordProgress', forwardProgressToAll] },
                  { guard: 'countsChanged', actions: ['recordProgress', forwardProgressToAll] },
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
    // Every change of state here is announced (`connectionState.changed`): the runtime's
    // `connectionStateChanges` is what this region emits, never re-derived from snapshots.
    connection: {
      initial: 'disconnected',
      // Only a session on the connection may make it skip its delay: one resetting its file,
      // or not syncing, has no say in the other sessions' socket.
      on: { reconnect: { guard: 'wantsConnection', actions: 'reconnect' } },
      states: {
        disconnected: {
          on: {
            'connection.connecting': { guard: 'wantsConnection', target: 'connecting', actions: 'announceConnecting' },
            'connection.open': { guard: 'wantsConnection', target: 'connecting', actions: ['bind', 'announceConnecting'] },
          },
        },
        connecting: {
          always: { guard: not('wantsConnection'), target: 'disconnected', actions: 'announceConnectingAbandoned' },
          on: {
            'connection.open': { actions: 'bind' },
            'server.ident': { target: 'connected', actions: 'announceConnected' },
            'connection.lost': { target: 'disconnected', actions: 'announceConnectingAbandoned' },
          },
        },
        connected: {
          entry: 'tellWaitersConnected',
          exit: 'tellWaitersDisconnected',
          always: { guard: not('wantsConnection'), target: 'disconnected', actions: 'announceDisconnected' },
          on: {
            'connection.lost': { target: 'disconnected', actions: 'announceDisconnected' },
            // Entered again if asked again while waiting: the wait starts over from the new request.
            error: { guard: 'asksToRetryUploads', target: '.retryingUploads', actions: 'recordUploadRetryDelay' },
          },
          initial: 'uploading',
          states: {
            uploading: {
              invoke: { id: 'upload', src: 'upload' },
            },
            // Until the wait is over a commit sends nothing: a changeset past the refused one
            // would only be refused as a gap. Leaving restarts the upload from the last
            // acknowledged changeset.
            retryingUploads: {
              after: { uploadRetry: 'uploading' },
            },
          },
        },
      },
    },
  },
});

