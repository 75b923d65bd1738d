/**
 * A simulated world: one server machine and N client machines on one simulated clock and
 * network, running a schedule step by step and checking the invariants after every step.
 */
import { createHash, type Hash } from 'node:crypto';
import { LEDGER_TYPE, SimClient, SHARED_TYPE, type SimModel } from './sim-client.js';
import { SimClock } from './sim-clock.js';
import { SimNetwork } from './sim-network.js';
import { SimScheduler } from './sim-scheduler.js';
import { SimServer } from './sim-server.js';
import { SeededRandom } from './seeded-random.js';
import { describeStep, type RunShape, type Step } from './schedule.js';

/** One broken invariant: at which step, and what. */
export interface Violation {
  /** The index of the step after which it was seen (`steps` for the end of the run). */
  readonly step: number;
  readonly message: string;
}

/** What a run did, for its report. */
export interface RunStats {
  readonly steps: number;
  readonly skippedSteps: number;
  readonly writes: number;
  readonly waitsResolved: number;
  readonly waitsRejected: number;
  readonly progressReports: number;
  readonly clientCrashes: number;
  readonly serverCrashes: number;
  readonly partitionResets: number;
  /** Ledger entries compensating writes reverted (the server refused them: the user could only read). */
  readonly refusedWrites: number;
  readonly sessionErrors: Readonly<Record<string, number>>;
  readonly timersFired: number;
  readonly framesToServer: number;
  readonly framesToClients: number;
  /** `state` frames the server sent (clients bootstrapping from a folded state). */
  readonly stateFrames: number;
  readonly simulatedMs: number;
}

/** How long the end of a run may take, in simulated ms, for everything to settle and agree. */
const END_BUDGET_MS = 10 * 60_000;
/** Most simulated time one step that waits (a login, a restart) may take. */
const STEP_BUDGET_MS = 60_000;

/** Session states whose connection must be `disconnected` (docs/SEMANTICS.md §1.7). */
const OFFLINE_STATES = new Set(['inactive', 'waitingForAccessToken', 'paused']);

/** The world of one run. */
export class SimWorld {
  readonly clock = new SimClock();
  readonly network: SimNetwork;
  readonly scheduler: SimScheduler;
  readonly server: SimServer;
  readonly clients: SimClient[] = [];
  readonly violations: Violation[] = [];
  private readonly trace: Hash = createHash('sha256');
  private readonly lines: string[] = [];
  private stepIndex = 0;
  private stepsRun = 0;
  private duplicatesSeen = 0;
  private skipped = 0;
  private writes = 0;
  private clientCrashes = 0;
  private serverCrashes = 0;
  private resets = 0;
  /** The users a `permission` step made read-only. */
  private readonly readOnlyUsers = new Set<string>();
  private readonly started: number;
  private readonly auditRandom: SeededRandom;
  private readonly auditors: SimClient[] = [];
  /** Clients whose machine lost power during the step (inside a disk call): restarted after it. */
  private readonly crashedClients = new Set<SimClient>();
  private readonly model: SimModel | undefined;

  constructor(
    readonly seed: number,
    readonly shape: RunShape,
    /** Keep the trace's lines (for a failure's report); the digest is kept either way. */
    private readonly keepLines = false,
    /** Your app's writes and invariant. */
    model?: SimModel,
  ) {
    const random = new SeededRandom(seed);
    this.started = this.clock.now();
    this.network = new SimNetwork(this.clock.view('network'), random.fork());
    const disks = (): number => {
      let n = this.server.disk.stats.writes + this.server.disk.stats.syncs;
      for (const c of [...this.clients, ...this.auditors]) n += c.disk.stats.writes + c.disk.stats.syncs;
      return n;
    };
    this.scheduler = new SimScheduler(this.clock, () => this.network.activities + disks() + this.clock.timersSet, () => this.network.busy, () => this.network.workDone());
    // One more user per partition: the auditor that downloads it afresh at the end.
    const users = Array.from({ length: shape.clients + shape.partitions }, (_, i) => ({ email: `c${i}@sim.example`, password: `pw-${i}` }));
    // What a `permission` step set: the server asks at every BIND and UPLOAD.
    this.server = new SimServer(this.clock, this.network, random.fork(), users, { permissions: (userId) => (this.readOnlyUsers.has(userId) ? 'read' : 'readWrite') });
    for (let i = 0; i < shape.clients; i++) {
      const skew = random.pick([0, 0, 5, -5, 40, -300]);
      const partition = `p${i % shape.partitions}`;
      const serverLedger = (): ReadonlySet<string> => this.server.stored.putIdsOf(partition, LEDGER_TYPE);
      this.clients.push(new SimClient(i, partition, `pw-${i}`, this.clock, this.network, random.fork(), (m) => this.violate(m), skew, model, serverLedger));
    }
    this.auditRandom = random.fork();
    this.model = model;
  }

  /** Records a broken invariant at the current step. */
  violate(message: string): void {
    this.violations.push({ step: this.stepIndex, message });
    this.note(`VIOLATION ${message}`);
  }

  private note(line: string): void {
    this.trace.update(`${line}\n`);
    if (this.keepLines) this.lines.push(line);
  }

  /** The trace's lines so far (kept only with `keepLines`). */
  get traceLines(): readonly string[] {
    return this.lines;
  }

  /** Starts the server and every client: logged in, realm open. */
  async boot(): Promise<void> {
    await this.scheduler.drive(this.scheduler.track(this.server.start()), STEP_BUDGET_MS);
    for (const client of this.clients) {
      client.boot();
      await this.bringUp(client);
    }
    await this.scheduler.settle();
    this.note(`boot ${this.summary()}`);
  }

  /** Logs `client` in and opens its realm, as far as the network lets it within the step budget. */
  private async bringUp(client: SimClient): Promise<void> {
    // A logged-out user logs in again (the same User: its sessions revive).
    if (client.user !== undefined && !client.user.isLoggedIn && client.wantsLogin) client.user = undefined;
    if (client.user === undefined && client.wantsLogin) {
      const outcome = await this.scheduler.drive(client.logIn(), STEP_BUDGET_MS);
      if (outcome?.ok === false) this.note(`${client.name} login failed: ${errorName(outcome.error)}`);
    }
    // A realm opens for a logged-in user only (Realm.open refuses a logged-out one).
    if (client.user?.isLoggedIn === true && client.wantsOpen && client.realm === undefined) {
      const app = client.app;
      const outcome = await this.scheduler.drive(client.open(), STEP_BUDGET_MS);
      // An open the machine's power loss cut short is no failure of the open.
      if (outcome?.ok === false && client.app === app) this.violate(`${client.name}: Realm.open failed: ${errorName(outcome.error)}`);
      else if (outcome?.ok === false) this.note(`${client.name}: Realm.open died with its machine`);
    }
  }

  /** Runs one step, lets the system settle, and checks the invariants. */
  async step(step: Step): Promise<void> {
    let ran = true;
    try {
      ran = await this.apply(step);
    } catch (error) {
      // A write whose machine lost power inside it does not return: no broken promise. Only
      // that: the step's own client died in it (anything else thrown is a violation).
      const acting = 'client' in step ? this.clients[step.client % this.clients.length] : undefined;
      if (acting !== undefined && this.crashedClients.has(acting)) this.note(`step ${describeStep(step)} died with its machine: ${errorName(error)}`);
      else this.violate(`step ${describeStep(step)} threw: ${errorName(error)}`);
    }
    if (!ran) this.skipped++;
    await this.scheduler.settle();
    await this.restartCrashedClients();
    await this.scheduler.settle();
    await this.runErrorActions();
    this.check();
    this.note(`${this.stepIndex} ${describeStep(step)}${ran ? '' : ' (skipped)'} @${this.clock.now() - this.started} ${this.summary()}`);
    this.stepIndex++;
    this.stepsRun++;
  }

  /** The client's machine loses power (now, or inside a disk call): restarted after the step. */
  private clientPowerLoss(client: SimClient): void {
    if (client.app === undefined) return;
    this.clientCrashes++;
    client.crash();
    this.crashedClients.add(client);
  }

  /** Restarts the clients that lost power: their disks checked first, then a new app on them. */
  private async restartCrashedClients(): Promise<void> {
    // Bounded: a crash armed inside the restart strikes once, and arms are not renewed here.
    for (let round = 0; round < 4 && this.crashedClients.size > 0; round++) {
      for (const client of [...this.crashedClients]) {
        this.crashedClients.delete(client);
        client.checkDurable();
        client.boot();
        await this.bringUp(client);
      }
    }
  }

  /** The server's machine loses power (now, or inside a disk call); a timer of the world restarts it. */
  private serverPowerLoss(): void {
    if (!this.server.isUp) return;
    this.serverCrashes++;
    this.server.crash();
    // Down for a while; the restart is the world's own timer, not the dead machine's.
    const downMs = 1 + (this.stepIndex * 7919) % 5_000;
    this.network.clock.setTimeout(() => void this.scheduler.track(this.server.start()).catch((error: unknown) => this.violate(`the server did not restart: ${errorName(error)}`)), downMs);
  }

  private async apply(step: Step): Promise<boolean> {
    const client = 'client' in step ? this.clients[step.client % this.clients.length]! : undefined;
    switch (step.kind) {
      case 'write':
        if (client?.realm === undefined) return false;
        client.write(step.doc, step.field);
        this.writes++;
        return true;
      case 'delete':
        if (client?.realm === undefined) return false;
        client.delete(step.doc);
        this.writes++;
        return true;
      case 'waitUpload':
      case 'waitDownload':
        if (client?.session === undefined) return false;
        client.wait(step.kind === 'waitUpload' ? 'upload' : 'download', step.abortAfterMs);
        return true;
      case 'progress':
        if (client?.session === undefined) return false;
        client.addProgress(step.direction, step.mode);
        return true;
      case 'pause':
        if (client?.session === undefined) return false;
        client.paused = true;
        client.session.pause();
        return true;
      case 'resume':
        if (client === undefined) return false;
        client.paused = false;
        client.session?.resume();
        return true;
      case 'close':
        if (client?.realm === undefined) return false;
        client.wantsOpen = false;
        client.close();
        return true;
      case 'reopen':
        if (client === undefined || client.realm !== undefined || client.user?.isLoggedIn !== true) return false;
        client.wantsOpen = true;
        await this.bringUp(client);
        return true;
      case 'logout':
        if (client?.user === undefined) return false;
        client.wantsLogin = false;
        client.logOut();
        return true;
      case 'login':
        if (client === undefined) return false;
        client.wantsLogin = true;
        await this.bringUp(client);
        return true;
      case 'crashClient':
        if (client === undefined) return false;
        if (step.insideCalls !== undefined) {
          if (client.app === undefined) return false;
          client.disk.armCrash(step.insideCalls, () => this.clientPowerLoss(client));
          return true;
        }
        this.clientPowerLoss(client);
        return true;
      case 'crashServer': {
        if (!this.server.isUp) return false;
        if (step.insideCalls !== undefined) {
          this.server.disk.armCrash(step.insideCalls, () => this.serverPowerLoss());
          return true;
        }
        this.serverPowerLoss();
        return true;
      }
      case 'resetPartition': {
        const core = this.server.core;
        if (core === undefined) return false;
        this.resets++;
        const outcome = await this.scheduler.drive(core.resetPartition(`p${step.partition % this.shape.partitions}`), STEP_BUDGET_MS);
        if (outcome?.ok === false && this.server.isUp) this.note(`resetPartition failed: ${errorName(outcome.error)}`);
        return true;
      }
      case 'cut':
        if (client === undefined) return false;
        this.network.cut(client.name);
        return true;
      case 'partition':
        if (client === undefined) return false;
        this.network.partition(client.name);
        return true;
      case 'stall':
        if (client === undefined) return false;
        this.network.stall(client.name);
        return true;
      case 'heal':
        if (client === undefined) return false;
        this.network.heal(client.name);
        return true;
      case 'flaky':
        this.network.refuseChance = step.refuseChance;
        return true;
      case 'permission': {
        if (client?.user === undefined || client.readOnly === (step.permission === 'read')) return false;
        client.setReadOnly(step.permission === 'read');
        if (step.permission === 'read') this.readOnlyUsers.add(client.user.id);
        else this.readOnlyUsers.delete(client.user.id);
        return true;
      }
      case 'elapse':
        await this.scheduler.runFor(step.ms);
        return true;
    }
  }

  /** Reopens the realms whose error action a client ran (a manual reset's backup), noting each. */
  private async runErrorActions(): Promise<void> {
    for (const client of this.clients) {
      const run = client.actionsRun.splice(0);
      if (run.length === 0) continue;
      for (const backup of run) this.note(`${client.name} ran its error action${backup === undefined ? '' : ' (a backup)'}`);
      await this.bringUp(client);
      await this.scheduler.settle();
    }
  }

  /** The invariants that hold after every step. */
  private check(): void {
    for (const client of this.clients) {
      const session = client.session;
      if (session === undefined) continue;
      const state = session.state;
      const connection = session.connectionState;
      if (OFFLINE_STATES.has(state) && connection !== 'disconnected') this.violate(`${client.name}: session ${state} but ${connection} (§1.7)`);
    }
    for (const client of this.clients) client.checkCursors();
    for (const client of this.clients) client.closeResetWindow();
    for (const client of this.clients) {
      const broken = client.checkModel();
      if (broken !== undefined) this.violate(`${client.name}: your invariant: ${broken}`);
    }
    const duplicates = this.server.stored.duplicates;
    if (duplicates.length > this.duplicatesSeen) {
      this.violate(`the server stored a changeset twice: ${duplicates.slice(this.duplicatesSeen).join(', ')}`);
      this.duplicatesSeen = duplicates.length;
    }
  }

  /**
   * The end of a run: the network healed, the server up, every client logged in with its realm
   * open and resumed; then every wait must settle and every replica of a partition must agree
   * with a fresh download of it, holding every write a resolved `waitForUpload` covered.
   */
  async finish(): Promise<void> {
    this.stepIndex = this.stepsRun;
    // No more power losses: an armed one that has not struck is dropped, and the machines it
    // struck in the last step are up again.
    this.server.disk.disarm();
    for (const client of this.clients) client.disk.disarm();
    await this.restartCrashedClients();
    this.network.healAll();
    this.network.refuseChance = 0;
    if (!this.server.isUp) await this.scheduler.until(() => this.server.isUp, STEP_BUDGET_MS);
    if (!this.server.isUp) await this.scheduler.drive(this.scheduler.track(this.server.start()), STEP_BUDGET_MS);
    for (const client of this.clients) {
      client.wantsLogin = true;
      client.wantsOpen = true;
      client.paused = false;
      await this.bringUp(client);
      client.session?.resume();
    }
    // Until everything agrees, running any error action handed over meanwhile (bounded: each
    // round either ends the wait or runs an action, and a run hands over a few at most).
    const actionPending = (): boolean => this.clients.some((c) => c.actionsRun.length > 0 || (c.realm === undefined && c.wantsOpen && c.user?.isLoggedIn === true));
    let agreed = false;
    for (let round = 0; round < 10; round++) {
      await this.runErrorActions();
      agreed = await this.scheduler.until(() => (this.allWaitsSettled() && this.replicasAgree()) || actionPending(), END_BUDGET_MS);
      if (actionPending()) continue;
      // Replicas may agree for a moment while sync still runs (a bootstrap staged but not yet
      // shown, a reset under way): they must still agree once every upload is acknowledged and
      // then every download done.
      // A wait the barrier lost to a client reset (which replays the changes) is waited again.
      if (agreed) agreed = (await this.syncBarrier()) && this.replicasAgree();
      if (agreed) break;
    }
    agreed = agreed && !actionPending();
    if (!this.allWaitsSettled()) {
      const pending = this.clients.flatMap((c) => c.waits.filter((w) => w.outcome === 'pending' && !w.abandoned).map((w) => w.id));
      this.violate(`at the end ${pending.length} waits never settled: ${pending.slice(0, 5).join(', ')}`);
    }
    if (!agreed) {
      const disagreement = this.disagreement();
      this.violate(disagreement === undefined ? 'at the end the sessions never finished their uploads and downloads (every waitForUpload, then every waitForDownload)' : `at the end the replicas do not agree: ${disagreement}`);
    }
    if (!agreed) for (const c of this.clients) this.note(`${c.name} holds ${c.contents() ?? '(no open realm)'}`);
    for (const client of this.clients) {
      const broken = client.checkModel();
      if (broken !== undefined) this.violate(`${client.name}: your invariant, at the end: ${broken}`);
    }
    for (const client of this.clients) {
      const have = client.ledger();
      // A refusal heard while its realm was closed, of a write the error's list left out.
      client.settleRefused(have);
      const stored = this.server.stored.putIdsOf(client.partition, LEDGER_TYPE);
      const back = [...client.refused].filter((entry) => have.has(entry) || stored.has(entry));
      if (back.length > 0) this.violate(`${client.name}: ${back.length} writes a compensating write reverted are in its replica or on the server: ${back.slice(0, 5).join(', ')}`);
      const lost = [...client.confirmed].filter((entry) => !have.has(entry));
      if (lost.length > 0) this.violate(`${client.name}: ${lost.length} writes a resolved waitForUpload covered are missing at the end: ${lost.slice(0, 5).join(', ')}`);
      const unsent = [...client.written].filter((entry) => !have.has(entry) && !client.backedUp.has(entry));
      if (unsent.length > 0) this.violate(`${client.name}: ${unsent.length} returned writes are missing from its own replica at the end: ${unsent.slice(0, 5).join(', ')}`);
    }
    if (agreed) await this.audit();
    this.note(`end @${this.clock.now() - this.started} ${this.summary()}`);
  }

  /**
   * What the server keeps, not what it said: the server loses power, restarts from its disk, and
   * a new client per partition (an empty disk, its own user) downloads the partition. It must
   * get exactly what the replicas agreed on: everything a replica held came from the server
   * after it was durable (or was acknowledged to its writer as durable).
   */
  private async audit(): Promise<void> {
    const agreed = new Map<string, string>();
    for (const c of this.clients) agreed.set(c.partition, c.contents()!);
    this.server.crash();
    await this.scheduler.drive(this.scheduler.track(this.server.start()), STEP_BUDGET_MS);
    for (let k = 0; k < this.shape.partitions; k++) {
      const partition = `p${k}`;
      if (!agreed.has(partition)) continue;
      const index = this.shape.clients + k;
      const auditor = new SimClient(index, partition, `pw-${index}`, this.clock, this.network, this.auditRandom.fork(), (m) => this.violate(m), 0, this.model);
      this.auditors.push(auditor);
      auditor.boot();
      await this.bringUp(auditor);
      const session = auditor.session;
      if (session === undefined) {
        this.violate(`the auditor of ${partition} could not open it after the server's restart`);
        continue;
      }
      const downloaded = await this.scheduler.drive(session.waitForDownload(), END_BUDGET_MS);
      if (downloaded?.ok !== true) {
        this.violate(`the auditor of ${partition} did not download it after the server's restart: ${downloaded === undefined ? 'still waiting' : errorName(downloaded.error)}`);
      } else if (auditor.contents() !== agreed.get(partition)) {
        const held = auditor.ledger();
        const lost = this.clients.filter((c) => c.partition === partition).flatMap((c) => [...c.confirmed].filter((e) => !held.has(e)));
        this.violate(
          `after the server's power loss, a fresh download of ${partition} is not what its replicas agreed on (${short(auditor.contents() ?? '')} ≠ ${short(agreed.get(partition)!)})` +
            (lost.length > 0 ? `; acknowledged writes lost: ${lost.slice(0, 5).join(', ')}` : ''),
        );
      }
      auditor.app?.close();
    }
  }

  /** Every open session's `waitForUpload`, then every one's `waitForDownload`: whether all resolved. */
  private async syncBarrier(): Promise<boolean> {
    for (const direction of ['upload', 'download'] as const) {
      for (const client of this.clients) {
        const session = client.session;
        if (session === undefined) return false;
        const outcome = await this.scheduler.drive(direction === 'upload' ? session.waitForUpload() : session.waitForDownload(), END_BUDGET_MS);
        if (outcome?.ok !== true) {
          this.note(`${client.name}: the end's waitFor${direction === 'upload' ? 'Upload' : 'Download'} ${outcome === undefined ? 'did not settle' : `failed: ${errorName(outcome.error)}`}`);
          return false;
        }
      }
    }
    return true;
  }

  private allWaitsSettled(): boolean {
    return this.clients.every((c) => c.waits.every((w) => w.outcome !== 'pending' || w.abandoned));
  }

  /** Every replica of a partition holds the same documents, and each holds every ledger entry any client of it wrote. */
  private replicasAgree(): boolean {
    return this.disagreement() === undefined;
  }

  private disagreement(): string | undefined {
    const byPartition = new Map<string, SimClient[]>();
    for (const c of this.clients) byPartition.set(c.partition, [...(byPartition.get(c.partition) ?? []), c]);
    for (const [partition, clients] of byPartition) {
      const contents = clients.map((c) => c.contents());
      if (contents.some((c) => c === undefined)) return `${partition}: a client has no open realm`;
      if (new Set(contents).size > 1) return `${partition}: ${clients.map((c, i) => `${c.name}=${short(contents[i]!)}`).join(' ')}`;
      const ledger = clients[0]!.ledger();
      for (const c of clients) for (const entry of c.written) if (!ledger.has(entry) && !c.backedUp.has(entry)) return `${partition}: ${entry} of ${c.name} is in no replica`;
    }
    return undefined;
  }

  /** One line of what every client looks like now, for the trace. */
  private summary(): string {
    return this.clients
      .map((c) => {
        const s = c.session;
        const docs = c.realm === undefined ? '-' : short(c.contents() ?? '');
        return `${c.name}:${s === undefined ? 'none' : `${s.state}/${s.connectionState}`}:${docs}`;
      })
      .join(' ');
  }

  /** The run's digest: a hash of its trace. */
  digest(): string {
    return this.trace.copy().digest('hex').slice(0, 16);
  }

  stats(): RunStats {
    const sessionErrors: Record<string, number> = {};
    for (const c of this.clients) for (const code of c.errors) sessionErrors[code] = (sessionErrors[code] ?? 0) + 1;
    const waits = this.clients.flatMap((c) => c.waits);
    return {
      steps: this.stepsRun,
      skippedSteps: this.skipped,
      writes: this.writes,
      waitsResolved: waits.filter((w) => w.outcome === 'resolved').length,
      waitsRejected: waits.filter((w) => w.outcome === 'rejected').length,
      progressReports: this.clients.reduce((n, c) => n + c.notifiers.reduce((m, x) => m + x.reports.length, 0), 0),
      clientCrashes: this.clientCrashes,
      serverCrashes: this.serverCrashes,
      partitionResets: this.resets,
      refusedWrites: this.clients.reduce((n, c) => n + c.refused.size, 0),
      sessionErrors,
      timersFired: this.clock.fired,
      framesToServer: this.network.stats.framesToServer,
      framesToClients: this.network.stats.framesToClients,
      stateFrames: this.network.stats.stateFrames,
      simulatedMs: this.clock.now() - this.started,
    };
  }

  /** Closes every app (their sessions and files), so nothing of the run lingers. */
  dispose(): void {
    for (const c of [...this.clients, ...this.auditors]) c.app?.close();
  }
}

/** A short hash of a text, for traces. */
function short(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

function errorName(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

export { SHARED_TYPE };
