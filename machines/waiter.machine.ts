import { assign, setup } from 'xstate';
import type { Direction, SyncErrorInfo } from './types.js';

/** What the session hands a waiter when it spawns one. */
export interface WaiterInput {
  /** The wait's id; for a download wait it is also the MARK request id. */
  readonly id: string;
  readonly direction: Direction;
  /**
   * Upload: the transferable bytes at the call, which count every local changeset whose commit
   * returned (durable yet or not); the wait is over once that much is acknowledged.
   */
  readonly target: number;
  /** Upload: the acknowledged bytes at the call. */
  readonly transferred: number;
}

/** A waiter's memory. */
export interface WaiterContext {
  readonly id: string;
  readonly direction: Direction;
  readonly target: number;
  readonly transferred: number;
}

/** Events a waiter accepts, all forwarded by its session. */
export type WaiterEvent =
  | { readonly type: 'progress'; readonly transferred: number }
  | { readonly type: 'connected' }
  | { readonly type: 'disconnected' }
  | { readonly type: 'mark.reply' }
  | { readonly type: 'abort'; readonly reason: unknown }
  | { readonly type: 'fail'; readonly error: SyncErrorInfo }
  | { readonly type: 'close' };

/** How a wait ended. */
export type WaiterOutcome =
  | { readonly outcome: 'done' }
  | { readonly outcome: 'aborted'; readonly reason: unknown }
  | { readonly outcome: 'failed'; readonly error: SyncErrorInfo }
  | { readonly outcome: 'closed' };

/** Parameters of the `settle` effect: resolve or reject the promise of wait `id`. */
export type SettleParams = { readonly id: string } & WaiterOutcome;

/**
 * One `waitForUpload` / `waitForDownload` (docs/SEMANTICS.md §4). A download wait starts offline;
 * its session tells it `connected` at once when it is.
 *
 * Pending until its condition holds, then settles exactly once: every final state runs
 * `settle` on entry and a final state has no way out. An upload wait is over once the server
 * acknowledged the bytes that were transferable at the call. A download wait sends a MARK
 * whenever it becomes connected and is over at the reply; a MARK lost with its socket is sent
 * again on the next connection.
 */
export const waiterMachine = setup({
  types: {
    context: {} as WaiterContext,
    events: {} as WaiterEvent,
    input: {} as WaiterInput,
  },
  actions: {
    sendMark: (_: unknown, _params: { id: string }) => {},
    settle: (_: unknown, _params: SettleParams) => {},
    recordProgress: assign({
      transferred: ({ context, event }) =>
        event.type === 'progress' ? Math.max(context.transferred, event.transferred) : context.transferred,
    }),
  },
  guards: {
    isUpload: ({ context }) => context.direction === 'upload',
    uploadAcknowledged: ({ context }) => context.transferred >= context.target,
  },
}).createMachine({
  id: 'waiter',
  context: ({ input }) => ({ ...input }),
  initial: 'pending',
  states: {
    pending: {
      initial: 'routing',
      on: {
        abort: 'aborted',
        fail: 'failed',
        close: 'closed',
      },
      states: {
        routing: {
          always: [{ guard: 'isUpload', target: 'uploading' }, { target: 'offline' }],
        },
        uploading: {
          always: { guard: 'uploadAcknowledged', target: '#waiter.done' },
          on: { progress: { actions: 'recordProgress' } },
        },
        offline: {
          on: { connected: 'marking' },
        },
        marking: {
          entry: { type: 'sendMark', params: ({ context }) => ({ id: context.id }) },
          on: {
            'mark.reply': '#waiter.done',
            disconnected: 'offline',
          },
        },
      },
    },
    done: {
      type: 'final',
      entry: { type: 'settle', params: ({ context }) => ({ id: context.id, outcome: 'done' }) },
    },
    aborted: {
      type: 'final',
      entry: {
        type: 'settle',
        params: ({ context, event }) => ({
          id: context.id,
          outcome: 'aborted',
          reason: event.type === 'abort' ? event.reason : undefined,
        }),
      },
    },
    failed: {
      type: 'final',
      entry: {
        type: 'settle',
        params: ({ context, event }): SettleParams =>
          event.type === 'fail'
            ? { id: context.id, outcome: 'failed', error: event.error }
            : { id: context.id, outcome: 'closed' },
      },
    },
    closed: {
      type: 'final',
      entry: { type: 'settle', params: ({ context }) => ({ id: context.id, outcome: 'closed' }) },
    },
  },
});

/** Waits worth exploring: an upload with work pending, one with nothing pending, a download. */
export const waiterInputs: readonly WaiterInput[] = [
  { id: 'w1', direction: 'upload', target: 100, transferred: 0 },
  { id: 'w1', direction: 'upload', target: 100, transferred: 100 },
  { id: 'w1', direction: 'download', target: 0, transferred: 0 },
];

/** The waiter's alphabet: partial and complete acknowledgement, the socket, the reply, and every way to end. */
export const waiterEvents: readonly WaiterEvent[] = [
  { type: 'progress', transferred: 50 },
  { type: 'progress', transferred: 100 },
  { type: 'connected' },
  { type: 'disconnected' },
  { type: 'mark.reply' },
  { type: 'abort', reason: 'aborted by test' },
  { type: 'fail', error: { code: 'badChangeset', category: 'session', isFatal: true, message: 'test' } },
  { type: 'close' },
];
