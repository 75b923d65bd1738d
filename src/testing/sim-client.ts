/**
 * A client machine of a simulated world: a real `App` (session and connection actors, the real
 * store) on the machine's simulated disk and clock, reaching the server only through the
 * simulated network. It keeps what the invariants need: the writes whose `write` returned, the
 * writes a resolved `waitForUpload` covered, the waits and progress reports it saw.
 */
import type { SyncProgress } from '../../machines/types.js';
import { App } from '../client/app.js';
import { Credentials } from '../client/credentials.js';
import { Realm, realmFileOf } from '../client/realm.js';
import { SyncSession } from '../client/sync-session.js';
import type { ErrorActionToken } from '../client/errors.js';
import type { User } from '../client/user.js';
import type { Transaction } from '../store/transaction.js';
import { silentLogger } from '../store/logger.js';
import { RealmFile } from '../store/realm-file.js';
import type { FileSystem } from '../store/file-system.js';
import type { ClockView, SimClock } from './sim-clock.js';
import { SimDisk } from './sim-disk.js';
import type { SimNetwork } from './sim-network.js';
import type { SeededRandom } from './seeded-random.js';

/** The simulated server's base URL (nothing resolves it: the simulated network carries it). */
export const SIM_BASE_URL = 'http://sync.sim';

/** The document type of the shared documents clients write and delete. */
export const SHARED_TYPE = 'Doc';
/** The document type of the ledger: one document per write, never deleted, written by one client only. */
export const LEDGER_TYPE = 'Ledger';

/** One wait a client started, and how it ended. */
export interface SimWait {
  readonly id: string;
  readonly direction: 'upload' | 'download';
  /** The ledger entries written before the wait began (an upload wait covers them). */
  readonly covers: readonly string[];
  outcome: 'pending' | 'resolved' | 'rejected';
  /** Set when the machine crashed with the wait pending: it died with the process. */
  abandoned: boolean;
}

/** One progress notifier a client registered, and what it reported. */
export interface SimNotifier {
  readonly id: string;
  readonly direction: 'upload' | 'download';
  readonly mode: 'reportIndefinitely' | 'forCurrentlyOutstandingWork';
  readonly reports: SyncProgress[];
}

/**
 * Your app in the simulation: its own writes and its own invariant, run under every fault the
 * schedule draws (see the README, "Testing your own edge cases").
 */
export interface SimModel {
  /** The document types your writes touch: every replica of a partition must agree on them at the end. */
  readonly types?: readonly string[];
  /**
   * One write of your app, in one transaction: called for every `write` step of the schedule
   * on the client's open realm (the simulation adds its ledger entry to the same transaction).
   * Read what you need with `realm`; draw choices from `random` so the seed replays them.
   */
  write?(tx: Transaction, context: { readonly realm: Realm; readonly client: number; readonly random: SeededRandom }): void;
  /**
   * Your invariant over one replica: a message saying what is wrong, or `undefined`. Checked
   * after every step on every open realm, and at the end once they agree.
   */
  check?(realm: Realm, context: { readonly client: number }): string | undefined;
}

/** Where violations found inside callbacks go. */
export type ViolationSink = (message: string) => void;

/** One simulated client machine. */
export class SimClient {
  readonly name: string;
  readonly email: string;
  readonly disk: SimDisk;
  private clockView: ClockView | undefined;
  private fileSystem: FileSystem | undefined;
  app: App | undefined;
  user: User | undefined;
  realm: Realm | undefined;
  /** Ledger entries whose `write` returned: durable on this machine's disk. */
  readonly written = new Set<string>();
  /** Ledger entries a resolved `waitForUpload` covered: on the server. */
  readonly confirmed = new Set<string>();
  readonly waits: SimWait[] = [];
  readonly notifiers: SimNotifier[] = [];
  /**
   * Entries a client reset took out of the file until the server's fresh state is back in it
   * (`onBefore` to `onAfter`): a crash meanwhile finds acknowledged ones missing, by design
   * (docs/SEMANTICS.md §5.3); they come back from the server.
   */
  private resetPending = new Set<string>();
  /** Client resets begun. */
  resets = 0;
  /** An error's action the app has yet to run (`SyncSession.immediatelyHandleError`). */
  pendingAction: ErrorActionToken | undefined;
  /** Error actions run, and the backups they made. */
  readonly actionsRun: Array<string | undefined> = [];
  /** Ledger entries found in the backups error actions made: kept, but no longer synced. */
  readonly backedUp = new Set<string>();
  /**
   * Whether the server answers `read` for this client's user now (a `permission` step): its
   * writes are refused with compensating writes, and reverted in its file.
   */
  readOnly = false;
  /**
   * Entries that may have reached the server while it was read-only (written then, or written
   * before and not yet covered by a resolved upload wait): the ones a compensating write may
   * take out of the file.
   */
  private readonly exposed = new Set<string>();
  /** Entries a compensating write took out of the file: the server never stored them. */
  readonly refused = new Set<string>();
  /** Session error codes reported to `onError`, in order. */
  readonly errors: string[] = [];
  private writes = 0;
  private runs = 0;
  /** Whether the user wants the realm open / the user logged in / the session paused. */
  wantsOpen = true;
  wantsLogin = true;
  paused = false;

  constructor(
    readonly index: number,
    readonly partition: string,
    readonly password: string,
    private readonly clock: SimClock,
    private readonly network: SimNetwork,
    private readonly random: SeededRandom,
    private readonly report: ViolationSink,
    /** ms this machine's wall clock runs ahead of (or behind) the world's. */
    private readonly skewMs: number,
    /** Your app's writes and invariant, if any. */
    private readonly model: SimModel | undefined,
    /** The ledger entries the server has stored for this client's partition so far (durably). */
    private readonly serverLedger: () => ReadonlySet<string> = () => new Set(),
  ) {
    this.name = `c${index}`;
    this.email = `${this.name}@sim.example`;
    this.disk = new SimDisk(this.name, random.fork());
  }

  get storageDir(): string {
    return `/home/${this.name}/realms`;
  }

  get session(): SyncSession | undefined {
    return this.realm?.syncSession;
  }

  /** Starts a run of the machine's process: a new `App` on its disk. */
  boot(): void {
    this.clockView = this.clock.view(`${this.name}#${this.runs}`, this.skewMs);
    this.fileSystem = this.disk.mount();
    this.runs++;
    this.app = new App({
      baseUrl: SIM_BASE_URL,
      storageDir: this.storageDir,
      clock: this.clockView,
      random: this.random.fork().source,
      transport: this.network.transportFor(this.name),
      authTransport: this.network.authTransportFor(this.name),
      fileSystem: this.fileSystem,
      logger: silentLogger,
      reconnect: { initialDelayMs: 100, maxDelayMs: 5_000, multiplier: 2 },
      keepalive: { pingIntervalMs: 5_000, pongTimeoutMs: 3_000 },
      connectTimeoutMs: 3_000,
      lingerMs: 1_000,
      refreshRetryDelayMs: 1_000,
    });
    // The app's start ran the error actions recorded before the crash: a manual reset's move to
    // its backup among them, whose writes the backup keeps (docs/SEMANTICS.md §5.6).
    this.disk.unarmed(() => this.noteBackupsOnDisk(this.fileSystem!));
    this.user = undefined;
    this.realm = undefined;
  }

  /** Logs in; resolves once the login answered (either way). */
  async logIn(): Promise<void> {
    const app = this.app;
    if (app === undefined) return;
    const user = await app.logIn(Credentials.emailPassword(this.email, this.password));
    if (this.app === app) this.user = user;
  }

  logOut(): void {
    this.user?.logOut();
  }

  /** Opens the synced realm (the user must be logged in). */
  async open(): Promise<void> {
    if (this.user === undefined || this.realm !== undefined) return;
    const realm = await Realm.open({
      sync: {
        user: this.user,
        partition: this.partition,
        clientReset: {
          mode: 'recoverUnsyncedChanges',
          onBefore: () => {
            this.resets++;
            // Only what the server keeps may be missing after a crash in the window (it comes
            // back from there); an unsynced write must survive it (recoverUnsyncedChanges).
            const stored = this.serverLedger();
            const acknowledged = this.acknowledgedEntries();
            for (const entry of this.written) if (stored.has(entry) || acknowledged.has(entry)) this.resetPending.add(entry);
          },
          onAfter: () => this.resetPending.clear(),
        },
        onError: (_session, error) => {
          this.errors.push(error.code);
          // The file reverted the refused writes before this was called. A closed realm's
          // session syncs on (its stop policy): then the error's list names them.
          if (error.code === 'compensatingWrite') {
            if (this.realm !== undefined) this.settleRefused(this.ledger());
            else this.settleRefused(new Set(this.written), new Set(error.compensatingWrites.filter((w) => w.type === LEDGER_TYPE).map((w) => w.id)));
          }
          // As the README's example does: the action (a manual reset's backup) is run at once,
          // on the closed realm; the world reopens it after the step.
          if (error.actionToken !== undefined) {
            this.pendingAction = error.actionToken;
            this.runPendingAction();
          }
        },
      },
    });
    this.realm = realm;
    if (this.paused) realm.syncSession?.pause();
  }

  close(): void {
    this.realm?.close();
    this.realm = undefined;
  }

  /** The server's `permissions` answer for this user changes: to `read` (refused writes) or back. */
  setReadOnly(readOnly: boolean): void {
    this.readOnly = readOnly;
    if (readOnly) for (const entry of this.written) if (!this.confirmed.has(entry)) this.exposed.add(entry);
  }

  /**
   * Takes out of `written` the exposed entries a compensating write reverted: not in `present`
   * (the file's ledger), or named by the error (`named`, when no realm is open to read), and
   * never stored by the server. Any other returned write missing from
   * the file is still a lost write, reported where it is checked.
   */
  settleRefused(present: ReadonlySet<string>, named?: ReadonlySet<string>): void {
    if (this.exposed.size === 0) return;
    const stored = this.serverLedger();
    for (const entry of [...this.exposed]) {
      if (!this.written.has(entry) || stored.has(entry) || (named === undefined ? present.has(entry) : !named.has(entry))) continue;
      this.written.delete(entry);
      this.confirmed.delete(entry);
      this.exposed.delete(entry);
      this.refused.add(entry);
    }
  }

  /** One transaction: a field of a shared document (or the model's own write) and a new ledger entry. */
  write(doc: number, field: number): void {
    const { model } = this;
    const realm = this.realm;
    if (realm === undefined) return;
    const entry = `${this.name}-${this.writes++}`;
    realm.write((tx) => {
      if (model?.write !== undefined) model.write(tx, { realm, client: this.index, random: this.random });
      else tx.put(SHARED_TYPE, `d${doc}`, { [`f${field}`]: `${entry}` });
      tx.put(LEDGER_TYPE, entry, { by: this.name });
    });
    this.written.add(entry);
    if (this.readOnly) this.exposed.add(entry);
    this.noteVersion(entry, realm);
  }

  /** Deletes a shared document, with a new ledger entry. */
  delete(doc: number): void {
    const realm = this.realm;
    if (realm === undefined) return;
    const entry = `${this.name}-${this.writes++}`;
    realm.write((tx) => {
      tx.delete(SHARED_TYPE, `d${doc}`);
      tx.put(LEDGER_TYPE, entry, { by: this.name });
    });
    this.written.add(entry);
    if (this.readOnly) this.exposed.add(entry);
    this.noteVersion(entry, realm);
  }

  /** Which commit of which file each ledger entry went in with. */
  private readonly versions = new Map<string, { readonly fileIdent: string; readonly clientVersion: number }>();

  private noteVersion(entry: string, realm: Realm): void {
    const file = realmFileOf(realm);
    if (file !== undefined) this.versions.set(entry, { fileIdent: file.fileIdent, clientVersion: file.clientVersion });
  }

  /**
   * The entries the server acknowledged to this file (as far as the client knows, now or at the
   * last step's check): stored there, even if the server's append never told its caller.
   */
  private acknowledgedEntries(): Set<string> {
    const file = this.realm === undefined ? undefined : realmFileOf(this.realm);
    const fileIdent = file?.fileIdent ?? this.lastCursors?.fileIdent;
    const acknowledged = file?.cursors.upload.clientVersion ?? this.lastCursors?.upload;
    const out = new Set<string>();
    if (fileIdent === undefined || acknowledged === undefined) return out;
    for (const [entry, v] of this.versions) if (v.fileIdent === fileIdent && v.clientVersion <= acknowledged) out.add(entry);
    return out;
  }

  /** Starts a wait, optionally aborted after `abortAfterMs` of this machine's time. */
  wait(direction: 'upload' | 'download', abortAfterMs: number | undefined): void {
    const session = this.session;
    if (session === undefined || this.clockView === undefined) return;
    const wait: SimWait = { id: `${this.name}-w${this.waits.length}`, direction, covers: [...this.written], outcome: 'pending', abandoned: false };
    this.waits.push(wait);
    const controller = abortAfterMs === undefined ? undefined : new AbortController();
    if (controller !== undefined) this.clockView.setTimeout(() => controller.abort(new Error('aborted by the schedule')), abortAfterMs ?? 0);
    const promise = direction === 'upload' ? session.waitForUpload(controller?.signal) : session.waitForDownload(controller?.signal);
    // What a resolved download wait must have brought: everything the server had at the call.
    const serverHad = direction === 'download' ? [...this.serverLedger()] : [];
    const settle = (outcome: 'resolved' | 'rejected'): void => {
      // At most once is the promise's (and the waiter chart's, model-tested); at least once is
      // checked at the end, where every wait must have settled.
      if (wait.abandoned) return;
      wait.outcome = outcome;
      // A refused entry's upload was answered (emptied, acknowledged): it is not on the server.
      if (outcome === 'resolved' && direction === 'upload') for (const entry of wait.covers) if (!this.refused.has(entry)) this.confirmed.add(entry);
      if (outcome === 'resolved' && direction === 'download' && this.realm !== undefined) {
        const have = this.ledger();
        const missing = serverHad.filter((entry) => !have.has(entry));
        if (missing.length > 0) this.report(`${this.name}: waitForDownload ${wait.id} resolved without ${missing.length} entries the server had at the call (${missing.slice(0, 3).join(', ')})`);
      }
    };
    promise.then(
      () => settle('resolved'),
      () => settle('rejected'),
    );
  }

  /** Registers a progress notifier whose every report the invariants check. */
  addProgress(direction: 'upload' | 'download', mode: 'reportIndefinitely' | 'forCurrentlyOutstandingWork'): void {
    const session = this.session;
    if (session === undefined) return;
    const notifier: SimNotifier = { id: `${this.name}-n${this.notifiers.length}`, direction, mode, reports: [] };
    const token = session.addProgressNotification(direction, mode, (progress) => {
      const last = notifier.reports.at(-1);
      notifier.reports.push(progress);
      const where = `progress ${notifier.id} (${direction}, ${mode})`;
      if (!(progress.progressEstimate >= 0 && progress.progressEstimate <= 1)) this.report(`${where}: estimate ${progress.progressEstimate} outside [0, 1]`);
      if (progress.isTransferComplete !== (progress.progressEstimate === 1)) this.report(`${where}: isTransferComplete ${String(progress.isTransferComplete)} with estimate ${progress.progressEstimate}`);
      if (progress.transferredBytes > progress.transferableBytes) this.report(`${where}: transferred ${progress.transferredBytes} > transferable ${progress.transferableBytes}`);
      if (last !== undefined) {
        if (progress.transferredBytes < last.transferredBytes) this.report(`${where}: transferred went back from ${last.transferredBytes} to ${progress.transferredBytes}`);
        if (mode === 'forCurrentlyOutstandingWork' && last.progressEstimate === 1) this.report(`${where}: a report after the end`);
        if (progress.transferredBytes === last.transferredBytes && progress.transferableBytes === last.transferableBytes && progress.progressEstimate === last.progressEstimate) {
          this.report(`${where}: the same report twice`);
        }
      }
    });
    if (token !== undefined) this.notifiers.push(notifier);
  }

  /**
   * Power loss. The process dies with everything it held in memory; pending waits die with it
   * (nobody is left to be told).
   */
  crash(): void {
    this.clockView?.stop();
    this.network.clientDown(this.name);
    this.disk.crash();
    for (const wait of this.waits) if (wait.outcome === 'pending') wait.abandoned = true;
    this.app = undefined;
    this.user = undefined;
    this.realm = undefined;
    this.lastCursors = undefined;
  }

  /**
   * After a crash, before the app opens anything: every entry whose `write` returned must be in
   * the realm file on disk (durability `full`). Read through the store alone, without a session.
   */
  checkDurable(): void {
    const fileSystem = this.disk.mount();
    // A manual reset's move to the backup is durable before the action returns: a crash after it
    // and before the app heard where the file went leaves the writes in the backup.
    this.noteBackupsOnDisk(fileSystem);
    const path = this.realmPathOnDisk(fileSystem);
    if (path === undefined) {
      const gone = [...this.written].filter((entry) => !this.backedUp.has(entry) && !this.resetPending.has(entry));
      if (gone.length > 0) this.report(`${this.name}: after a crash its realm file is gone, ${gone.length} returned writes with it`);
      return;
    }
    // The checker is a process of this machine too: its clock and randomness are the run's.
    const file = RealmFile.open({ path, fileSystem, now: () => this.clock.now(), random: this.random.fork().source });
    try {
      const present = new Set(file.objects(LEDGER_TYPE).map((d) => d.id));
      // A compensating write whose record is on disk, its error never heard: a crash right after.
      this.settleRefused(present);
      const lost = [...this.written].filter((entry) => !present.has(entry) && !this.resetPending.has(entry));
      if (lost.length > 0) this.report(`${this.name}: after a crash ${lost.length} returned writes are gone from its file: ${lost.slice(0, 5).join(', ')}`);
    } finally {
      file.close();
    }
  }

  /** The realm file under the storage dir, found on disk (the path encodes the user's id). */
  private realmPathOnDisk(fileSystem: FileSystem): string | undefined {
    for (const path of this.userFilesOnDisk(fileSystem)) if (path.endsWith('.realm')) return path;
    return undefined;
  }

  /** Every file in the user folders under the storage dir. */
  private *userFilesOnDisk(fileSystem: FileSystem): Generator<string> {
    const root = this.storageDir;
    if (!fileSystem.existsSync(root)) return;
    for (const dir of fileSystem.readdirSync(root)) {
      const folder = `${root}/${dir}`;
      if (!fileSystem.statSync(folder).isDirectory()) continue;
      for (const name of fileSystem.readdirSync(folder)) yield `${folder}/${name}`;
    }
  }

  /** Every backup an error action left under the storage dir: its ledger entries are kept there, no longer synced. */
  private noteBackupsOnDisk(fileSystem: FileSystem): void {
    // A list first: opening a backup makes its lock file in the folder being read.
    for (const path of [...this.userFilesOnDisk(fileSystem)]) {
      if (path.includes('.realm.backup-') && !path.endsWith('.lock')) this.noteBackup(path, fileSystem);
    }
  }

  /** What the backup at `path` holds is no longer the app's to sync: the next file starts from the server. */
  private noteBackup(path: string, fileSystem: FileSystem): void {
    const file = RealmFile.open({ path, fileSystem, now: () => this.clock.now(), random: this.random.fork().source });
    try {
      for (const d of file.objects(LEDGER_TYPE)) {
        this.backedUp.add(d.id);
        this.written.delete(d.id);
      }
    } finally {
      file.close();
    }
  }

  /** The replica's documents, as comparable text. */
  contents(): string | undefined {
    const realm = this.realm;
    if (realm === undefined) return undefined;
    const types = new Set([SHARED_TYPE, ...(this.model?.types ?? [])]);
    // Fields sorted: replicas agree on values, not on the order fields first arrived in.
    const documents = [...types].sort().map((type) => realm.objects(type).map((d) => [d.id, Object.fromEntries(Object.entries(d.fields).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))]));
    return JSON.stringify([documents, realm.objects(LEDGER_TYPE).map((d) => d.id)]);
  }

  /**
   * Runs the error action an error handed over, as an app does: closes the realm, runs it, and
   * notes what the backup it made holds. Returns the backup's path, if it made one.
   */
  runPendingAction(): string | undefined {
    const token = this.pendingAction;
    const app = this.app;
    if (token === undefined || app === undefined || this.fileSystem === undefined) return undefined;
    this.pendingAction = undefined;
    this.close();
    const backup = SyncSession.immediatelyHandleError(token, app.syncManager);
    this.actionsRun.push(backup);
    const fileSystem = this.fileSystem;
    if (backup !== undefined) {
      // Read by the harness, not the app: no armed power loss strikes inside it.
      this.disk.unarmed(() => this.noteBackup(backup, fileSystem));
    }
    return backup;
  }

  /** The model's invariant over this replica, if it has one and the realm is open. */
  checkModel(): string | undefined {
    const realm = this.realm;
    if (realm === undefined || this.model?.check === undefined) return undefined;
    return this.model.check(realm, { client: this.index });
  }

  /** The cursors as last checked, with the file and epoch they belong to. */
  private lastCursors: { readonly fileIdent: string; readonly epoch: string | undefined; readonly upload: number; readonly download: number } | undefined;

  /**
   * Cursors only move forward within one file ident and epoch: the upload cursor (the last
   * client version the server acknowledged, never past what was committed) and the download
   * cursor (the server version integrated). A crash (which may take unsynced cursor records)
   * or a client reset (a new ident) starts the comparison over.
   */
  checkCursors(): void {
    const file = this.realm === undefined ? undefined : realmFileOf(this.realm);
    if (file === undefined || file.isClosed) return;
    const { upload, download, epoch } = file.cursors;
    const now = { fileIdent: file.fileIdent, epoch, upload: upload.clientVersion, download: download.serverVersion };
    if (upload.clientVersion > file.clientVersion) this.report(`${this.name}: upload cursor ${upload.clientVersion} is past the last commit ${file.clientVersion}`);
    const last = this.lastCursors;
    if (last !== undefined && last.fileIdent === now.fileIdent && last.epoch === now.epoch) {
      if (now.upload < last.upload) this.report(`${this.name}: upload cursor went back from ${last.upload} to ${now.upload}`);
      if (now.download < last.download) this.report(`${this.name}: download cursor went back from ${last.download} to ${now.download}`);
    }
    this.lastCursors = now;
  }

  /**
   * Entries of a reset window that are back in the replica leave the window: a crash in the
   * window kills the `onAfter` that would have closed it, and the exemption must not outlive it.
   */
  closeResetWindow(): void {
    if (this.resetPending.size === 0 || this.realm === undefined) return;
    const have = this.ledger();
    for (const entry of [...this.resetPending]) if (have.has(entry)) this.resetPending.delete(entry);
  }

  /** The ledger entries in the replica now. */
  ledger(): Set<string> {
    return new Set(this.realm?.objects(LEDGER_TYPE).map((d) => d.id) ?? []);
  }
}
