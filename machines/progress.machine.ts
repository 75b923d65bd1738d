import { assign, setup } from 'xstate';
import { nextReport, outstandingWorkDone, sameReport, type NotifierView } from './progress.report.js';
import type { ByteCounts, Direction, ProgressMode, SyncProgress } from './types.js';

/** What the session hands a notifier when it spawns one. */
export interface ProgressInput {
  /** The registration id; the runtime routes reports by it. */
  readonly id: string;
  readonly direction: Direction;
  readonly mode: ProgressMode;
  /** The session's counts for `direction` at registration. */
  readonly counts: ByteCounts;
}

/** A notifier's memory: its registration and its last report. */
export interface ProgressContext extends NotifierView {
  readonly id: string;
  readonly direction: Direction;
}

/** Events a notifier accepts: new counts from the session, or the end of the session. */
export type ProgressEvent =
  | ({ readonly type: 'progress' } & ByteCounts)
  | { readonly type: 'end' };

/** Parameters of the `report` effect. */
export interface ReportParams {
  readonly id: string;
  readonly direction: Direction;
  readonly progress: SyncProgress;
}

/** Parameters of the `finish` effect: the stream of `id` is over. */
export interface FinishParams {
  readonly id: string;
  readonly direction: Direction;
}

const view = (context: ProgressContext): NotifierView => context;

/** The parameters of `report`, read after `record` has stored the report. */
const lastReport = ({ context }: { context: ProgressContext }): ReportParams => ({
  id: context.id,
  direction: context.direction,
  // `record` always runs first, so `last` is set; the fallback keeps the type honest.
  progress: context.last ?? nextReport(view(context), context.start),
});

/**
 * One progress notifier (docs/SEMANTICS.md §3), spawned by the session per registration.
 *
 * It reports once at registration, then once per distinct change; a
 * `forCurrentlyOutstandingWork` notifier ends after the first report that covers the work it
 * captured, and every notifier ends when the session ends for good. The effects `report` and
 * `finish` do nothing here; the runtime provides the callbacks and streams.
 */
export const progressMachine = setup({
  types: {
    context: {} as ProgressContext,
    events: {} as ProgressEvent,
    input: {} as ProgressInput,
  },
  actions: {
    report: (_: unknown, _params: ReportParams) => {},
    finish: (_: unknown, _params: FinishParams) => {},
    /** Remembers the report for `counts` (the registration counts when the event has none). */
    record: assign({
      last: ({ context, event }) => nextReport(view(context), event.type === 'progress' ? event : context.start),
    }),
  },
  guards: {
    initialReportEndsWork: ({ context }) =>
      outstandingWorkDone(view(context), nextReport(view(context), context.start)),
    completesWork: ({ context, event }) =>
      event.type === 'progress' && outstandingWorkDone(view(context), nextReport(view(context), event)),
    changesReport: ({ context, event }) =>
      event.type === 'progress' && !sameReport(context.last, nextReport(view(context), event)),
  },
}).createMachine({
  id: 'progress',
  context: ({ input }) => ({
    id: input.id,
    direction: input.direction,
    mode: input.mode,
    start: input.counts,
    last: undefined,
  }),
  initial: 'registering',
  states: {
    registering: {
      entry: ['record', { type: 'report', params: lastReport }],
      always: [{ guard: 'initialReportEndsWork', target: 'done' }, { target: 'reporting' }],
    },
    reporting: {
      on: {
        progress: [
          { guard: 'completesWork', target: 'done', actions: ['record', { type: 'report', params: lastReport }] },
          { guard: 'changesReport', actions: ['record', { type: 'report', params: lastReport }] },
        ],
        end: 'done',
      },
    },
    done: {
      type: 'final',
      entry: { type: 'finish', params: ({ context }) => ({ id: context.id, direction: context.direction }) },
    },
  },
});

/**
 * Registrations worth exploring: both modes, with nothing outstanding, with work outstanding,
 * and half-way through it.
 */
export const progressInputs: readonly ProgressInput[] = (['reportIndefinitely', 'forCurrentlyOutstandingWork'] as const).flatMap(
  (mode) =>
    [
      { transferred: 0, transferable: 0 },
      { transferred: 0, transferable: 100 },
      { transferred: 50, transferable: 100 },
    ].map((counts) => ({ id: 'n1', direction: 'upload' as const, mode, counts })),
);

/**
 * The notifier's alphabet: counts that repeat (de-duplication), grow, complete, go backwards,
 * grow past the captured work; and the session's end.
 */
export const progressEvents: readonly ProgressEvent[] = [
  { type: 'progress', transferred: 0, transferable: 100 },
  { type: 'progress', transferred: 50, transferable: 100 },
  { type: 'progress', transferred: 40, transferable: 100 },
  { type: 'progress', transferred: 100, transferable: 100 },
  { type: 'progress', transferred: 100, transferable: 200 },
  { type: 'progress', transferred: 200, transferable: 200 },
  { type: 'end' },
];
