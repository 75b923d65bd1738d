import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { progressMachine, type ProgressMode, type SyncProgress } from '../../machines/index.js';

interface Run {
  reports: SyncProgress[];
  finished: number;
  /** Reports delivered before the notifier finished. */
  beforeFinish: number;
}

/** Runs one notifier through `events` and records what it reported. */
function runNotifier(
  mode: ProgressMode,
  start: { transferred: number; transferable: number },
  events: ReadonlyArray<{ transferred: number; transferable: number } | 'end'>,
): Run {
  const run: Run = { reports: [], finished: 0, beforeFinish: 0 };
  const actor = createActor(
    progressMachine.provide({
      actions: {
        report: (_, { progress }) => {
          run.reports.push(progress);
        },
        finish: () => {
          run.finished++;
          run.beforeFinish = run.reports.length;
        },
      },
    }),
    { input: { id: 'n', direction: 'download', mode, counts: start } },
  ).start();
  for (const e of events) {
    // The session stops sending to a notifier that finished; so does this driver.
    if (actor.getSnapshot().status !== 'active') break;
    actor.send(e === 'end' ? { type: 'end' } : { type: 'progress', ...e });
  }
  actor.stop();
  return run;
}

const counts = fc.record({ transferred: fc.nat(1_000), transferable: fc.nat(1_000) });
const events = fc.array(fc.oneof({ weight: 9, arbitrary: counts }, { weight: 1, arbitrary: fc.constant('end' as const) }), {
  maxLength: 40,
});
const mode = fc.constantFrom<ProgressMode>('reportIndefinitely', 'forCurrentlyOutstandingWork');
const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const numRuns = Number(process.env.FC_RUNS ?? 1_000);

describe('progress notifier (docs/SEMANTICS.md §3)', () => {
  it('reports are bounded, monotonic and never repeated, and nothing follows the end', () => {
    let reportsSeen = 0;
    fc.assert(
      fc.property(mode, counts, events, (m, start, evs) => {
        const run = runNotifier(m, start, evs);
        reportsSeen += run.reports.length;
        expect(run.reports.length).toBeGreaterThanOrEqual(1); // at registration
        expect(run.finished).toBeLessThanOrEqual(1);
        if (run.finished === 1) expect(run.reports.length).toBe(run.beforeFinish);
        run.reports.forEach((r, i) => {
          expect(r.transferredBytes).toBeLessThanOrEqual(r.transferableBytes);
          expect(r.progressEstimate).toBeGreaterThanOrEqual(0);
          expect(r.progressEstimate).toBeLessThanOrEqual(1);
          expect(r.isTransferComplete).toBe(r.transferredBytes >= r.transferableBytes);
          expect(r.isTransferComplete).toBe(r.progressEstimate === 1);
          const previous = run.reports[i - 1];
          if (previous === undefined) return;
          expect(r.transferredBytes).toBeGreaterThanOrEqual(previous.transferredBytes);
          expect(r).not.toEqual(previous);
        });
      }),
      { numRuns, seed },
    );
    console.log(`progress bounds: ${numRuns} runs, seed ${seed}, ${reportsSeen} reports checked`);
  });

  it('forCurrentlyOutstandingWork runs 0 → 1 against the work captured at registration and then ends', () => {
    let completed = 0;
    let immediate = 0;
    fc.assert(
      fc.property(counts, events, (start, evs) => {
        const run = runNotifier('forCurrentlyOutstandingWork', start, evs);
        const captured = Math.max(start.transferable, start.transferred);
        const first = run.reports[0]!;
        for (const r of run.reports) expect(r.transferableBytes).toBe(captured);
        if (start.transferred >= start.transferable) {
          // Nothing outstanding: one report with estimate 1, then the end (realm-core#7627).
          immediate++;
          expect(run.reports).toEqual([{ transferredBytes: captured, transferableBytes: captured, progressEstimate: 1, isTransferComplete: true }]);
          expect(run.finished).toBe(1);
          return;
        }
        expect(first.progressEstimate).toBe(0);
        const reachedAt = evs.findIndex((e) => e !== 'end' && e.transferred >= captured);
        const endAt = evs.indexOf('end');
        const completes = reachedAt !== -1 && (endAt === -1 || reachedAt < endAt);
        expect(run.finished).toBe(completes || endAt !== -1 ? 1 : 0);
        if (completes) {
          completed++;
          expect(run.reports.at(-1)).toEqual({ transferredBytes: captured, transferableBytes: captured, progressEstimate: 1, isTransferComplete: true });
        }
        // Only the last report may reach the captured work.
        run.reports.slice(0, -1).forEach((r) => expect(r.transferredBytes).toBeLessThan(captured));
      }),
      { numRuns, seed },
    );
    console.log(`progress forCurrentlyOutstandingWork: ${numRuns} runs, seed ${seed}, ${completed} completed, ${immediate} with nothing outstanding`);
    expect(completed).toBeGreaterThan(0);
    expect(immediate).toBeGreaterThan(0);
  });

  it('reportIndefinitely reports every new count and ends only with the session', () => {
    fc.assert(
      fc.property(counts, events, (start, evs) => {
        const run = runNotifier('reportIndefinitely', start, evs);
        const endAt = evs.indexOf('end');
        expect(run.finished).toBe(endAt === -1 ? 0 : 1);
        const seen = (endAt === -1 ? evs : evs.slice(0, endAt)).filter((e) => e !== 'end');
        const highest = Math.max(start.transferred, ...seen.map((e) => e.transferred));
        expect(run.reports.at(-1)!.transferredBytes).toBe(highest);
        const last = seen.at(-1);
        if (last !== undefined && last.transferred >= highest) {
          // The newest counts are what the stream shows last.
          expect(run.reports.at(-1)!.transferableBytes).toBe(Math.max(last.transferable, last.transferred));
        }
      }),
      { numRuns, seed },
    );
  });
});
