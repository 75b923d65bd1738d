import type { Logger } from '../store/logger.js';
import type { RealmFile } from '../store/realm-file.js';
import type { ClientResetConfig, DocumentsSnapshot } from './sync-config.js';

/** Why a reset effect did not run: the session actor stopped before it began. */
const stoppedMessage = 'the session stopped before the client reset ran';

/**
 * The bodies of the session chart's `clientReset` and `clientResetAfter` actors
 * (docs/SEMANTICS.md §5): the file started over in the configured mode, then `onAfter` once the
 * server's fresh state is in. Each takes the actor's `AbortSignal`: an actor stopped before the
 * file is rewritten (inside `onBefore`: the app closed, the session was let go of) leaves the
 * file as it was, and XState drops whatever a stopped actor's promise settles with.
 */
export class ClientResetRunner {
  /** What `onAfter` gets besides the documents after: kept from the reset until its end runs. */
  private before: { readonly documents: DocumentsSnapshot; readonly recovered: boolean } | undefined;

  constructor(
    private readonly config: ClientResetConfig | undefined,
    private readonly logger: Logger,
    private readonly realmPath: string,
  ) {}

  /**
   * `onBefore` with the documents as they were, then the file started over (discarding, or
   * replaying what was not uploaded). Anything thrown rejects, and the chart falls back to manual.
   */
  async run(store: RealmFile | undefined, signal: AbortSignal): Promise<void> {
    if (signal.aborted) throw new Error(stoppedMessage);
    if (store === undefined) throw new Error('the store is closed');
    const mode = this.config?.mode ?? 'recoverOrDiscard';
    const documents = store.snapshotDocuments();
    this.config?.onBefore?.(documents);
    // `onBefore` may have closed the app (or let go of the session): then the file is not touched.
    if (signal.aborted) throw new Error(stoppedMessage);
    let recovered = false;
    if (mode === 'discardUnsyncedChanges') store.resetForClientReset('discard');
    else if (mode === 'recoverUnsyncedChanges') recovered = store.resetForClientReset('recover').recovered;
    else {
      try {
        recovered = store.resetForClientReset('recover').recovered;
      } catch (error) {
        this.logger.warn('recovering unsynced changes failed; discarding them', { error: String(error) });
        store.resetForClientReset('discard');
      }
    }
    this.before = { documents, recovered };
  }

  /**
   * `onAfter` with the documents before, those now (the server's state, and in recover mode
   * the replayed local changes on it) and whether it recovered. A throw rejects: manual.
   */
  async finish(store: RealmFile | undefined, signal: AbortSignal): Promise<void> {
    const before = this.before;
    this.before = undefined;
    if (before === undefined || signal.aborted) return;
    if (store === undefined) {
      // Closed meanwhile: the reset itself is done, and no file is open to show `onAfter`.
      this.logger.warn('the realm was closed before the client reset ended; onAfter not called', { path: this.realmPath });
      return;
    }
    this.config?.onAfter?.(before.documents, store.snapshotDocuments(), before.recovered);
  }
}
