import type { SessionEvent } from '../../machines/session.types.js';
import type { ByteCounts, Direction } from '../../machines/types.js';
import type { RealmFile } from '../store/realm-file.js';
import type { ServerTerms } from './server-terms.js';

const directions: readonly Direction[] = ['upload', 'download'];
const zero: ByteCounts = { transferred: 0, transferable: 0 };

/**
 * The store file a session syncs, while the runtime has it open: its commits become the chart's
 * `progress` events. A direction's counts are sent when they differ from the last ones sent, as
 * a sensor reports a change: the chart (whose `countsChanged` guard drops a report that moves
 * nothing, whatever sends it) and the inspector then see one event per real change, not one per
 * listener call.
 */
export class SessionFile {
  private file: RealmFile | undefined;
  private stopListening: (() => void) | undefined;
  /** The counts last sent per direction: what the chart was told (a session starts at zero), not read back from it. */
  private readonly reported: Record<Direction, ByteCounts> = { upload: zero, download: zero };

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
    for (const each of direction === undefined ? directions : [direction]) {
      const counts = progress[each];
      const last = this.reported[each];
      if (last.transferred === counts.transferred && last.transferable === counts.transferable) continue;
      this.reported[each] = { transferred: counts.transferred, transferable: counts.transferable };
      this.toChart({ type: 'progress', direction: each, ...counts });
    }
  }
}
