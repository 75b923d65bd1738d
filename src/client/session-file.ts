import type { SessionEvent } from '../../machines/session.types.js';
import type { Direction } from '../../machines/types.js';
import type { RealmFile } from '../store/realm-file.js';
import type { ServerTerms } from './server-terms.js';

const directions: readonly Direction[] = ['upload', 'download'];

/**
 * The store file a session syncs, while the runtime has it open: its commits become the chart's
 * `progress` events. The counts of both directions go to the chart after every change, and the
 * chart's `countsChanged` guard decides which are news; nothing here remembers what it sent.
 */
export class SessionFile {
  private file: RealmFile | undefined;
  private stopListening: (() => void) | undefined;

  constructor(
    private readonly terms: ServerTerms,
    private readonly toChart: (event: SessionEvent) => void,
  ) {}

  /** The open file, or `undefined` once the runtime closed it. */
  get current(): RealmFile | undefined {
    return this.file;
  }

  /** The runtime (re)opened `file` for the session: its writes follow the server's terms, its commits report progress. */
  attach(file: RealmFile): void {
    this.stopListening?.();
    this.file = file;
    this.terms.applyTo(file);
    // Progress the moment `write` returns, durable or not yet (`batched`): the chart's upload
    // transferable is then every committed changeset, so a wait called next targets them all
    // (docs/SEMANTICS.md §4), and a store closed next leaves the session dying, not inactive.
    // A local commit moves the upload counts only.
    const stopCommits = file.addCommitListener(() => this.reportProgress('upload'));
    const stopChanges = file.addListener(({ origin }) => {
      if (origin === 'local') this.reportProgress('upload');
    });
    this.stopListening = () => {
      stopCommits();
      stopChanges();
    };
    this.reportProgress();
  }

  /** The file was closed: nothing of it is listened to any more. */
  release(): void {
    this.stopListening?.();
    this.stopListening = undefined;
    this.file = undefined;
  }

  /** Tells the chart the byte counts of `direction` (both when omitted) as the file has them now. */
  reportProgress(direction?: Direction): void {
    const file = this.file;
    if (file === undefined) return;
    const progress = file.progress;
    for (const each of direction === undefined ? directions : [direction]) this.toChart({ type: 'progress', direction: each, ...progress[each] });
  }
}
