import type { ByteCounts, ProgressMode, SyncProgress } from './types.js';

/**
 * What a notifier remembers between reports: the counts it saw at registration
 * (the baseline of a `forCurrentlyOutstandingWork` estimate) and its last report.
 */
export interface NotifierView {
  readonly mode: ProgressMode;
  /** Counts at registration. */
  readonly start: ByteCounts;
  /** The last report delivered, if any. */
  readonly last: SyncProgress | undefined;
}

const clamp01 = (x: number): number => (x < 0 ? 0 : x > 1 ? 1 : x);

/**
 * The report a notifier would deliver for `counts`, before de-duplication.
 *
 * Guarantees, whatever the input: `transferredBytes` never below the last report's,
 * `transferredBytes <= transferableBytes`, and an estimate in [0, 1]. A
 * `forCurrentlyOutstandingWork` notifier reports against the transferable bytes it captured
 * at registration, so its estimate runs 0 → 1 from that moment.
 */
export function nextReport(view: NotifierView, counts: ByteCounts): SyncProgress {
  const floor = view.last?.transferredBytes ?? 0;
  if (view.mode === 'reportIndefinitely') {
    const transferred = Math.max(floor, counts.transferred);
    const transferable = Math.max(transferred, counts.transferable);
    return {
      transferredBytes: transferred,
      transferableBytes: transferable,
      progressEstimate: transferable === 0 ? 1 : transferred / transferable,
      isTransferComplete: transferred >= transferable,
    };
  }
  const target = Math.max(view.start.transferable, view.start.transferred);
  const transferred = Math.min(target, Math.max(floor, counts.transferred));
  const span = target - view.start.transferred;
  return {
    transferredBytes: transferred,
    transferableBytes: target,
    progressEstimate: span <= 0 ? 1 : clamp01((transferred - view.start.transferred) / span),
    isTransferComplete: transferred >= target,
  };
}

/** True when `next` says nothing `last` did not (realm-core#7031: no duplicate reports). */
export function sameReport(last: SyncProgress | undefined, next: SyncProgress): boolean {
  return (
    last !== undefined &&
    last.transferredBytes === next.transferredBytes &&
    last.transferableBytes === next.transferableBytes &&
    last.progressEstimate === next.progressEstimate
  );
}

/** True when a `forCurrentlyOutstandingWork` notifier has seen the end of the work it captured. */
export function outstandingWorkDone(view: NotifierView, report: SyncProgress): boolean {
  return view.mode === 'forCurrentlyOutstandingWork' && report.transferredBytes >= report.transferableBytes;
}
