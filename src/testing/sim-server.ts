/**
 * The server machine of a simulated world: the real server logic (`startServerCore`) on the
 * machine's simulated disk and clock, reached only through the simulated network. A crash is
 * power loss: its timers die, its connections reset, its disk keeps what was durable; a restart
 * opens the server again from that disk.
 */
import { silentLogger } from '../store/logger.js';
import { startServerCore, type ServerCore } from '../server/server-core.js';
import type { EmailPasswordUser, ServerOptions } from '../server/options.js';
import type { ClockView, SimClock } from './sim-clock.js';
import { SimDisk } from './sim-disk.js';
import { StoredChangesets } from './storage-observer.js';
import type { SimNetwork } from './sim-network.js';
import type { SeededRandom } from './seeded-random.js';

/** Where the simulated server keeps its data on its disk. */
export const SIM_SERVER_DATA_DIR = '/srv/sync-data';

/** The simulated server's fold threshold (bytes of tail): a few dozen changesets. */
export const SIM_FOLD_TAIL_BYTES = 2048;

/** The simulated server machine. */
export class SimServer {
  readonly disk: SimDisk;
  private clockView: ClockView | undefined;
  private current: ServerCore | undefined;
  /** Every changeset the server stored, over all its runs: each (file, client version) once. */
  readonly stored = new StoredChangesets();
  /** Times it was started (the first start included). */
  starts = 0;

  constructor(
    private readonly clock: SimClock,
    private readonly network: SimNetwork,
    private readonly random: SeededRandom,
    private readonly users: readonly EmailPasswordUser[],
    private readonly options: Partial<ServerOptions> = {},
  ) {
    this.disk = new SimDisk('server', random.fork());
  }

  /** The running server, if it is up. */
  get core(): ServerCore | undefined {
    return this.current;
  }

  get isUp(): boolean {
    return this.current !== undefined;
  }

  /** Starts the server from its disk and lets the network reach it. */
  async start(): Promise<void> {
    if (this.current !== undefined) return;
    this.clockView = this.clock.view(`server#${this.starts}`);
    this.starts++;
    const core = await startServerCore(
      {
        dataDir: SIM_SERVER_DATA_DIR,
        fileSystem: this.disk.mount(),
        clock: this.clockView,
        random: this.random.fork().source,
        users: this.users,
        secret: 'simulated-server-secret-of-at-least-32-characters',
        logger: silentLogger,
        accessTokenTtlMs: 60_000,
        passwordHashing: { N: 2, r: 1, p: 1 },
        // Small, so that schedules fold partitions (and serve downloads from the state) often.
        foldTailBytes: SIM_FOLD_TAIL_BYTES,
        ...this.options,
      },
      (storage) => this.stored.watch(storage),
    );
    core.start();
    this.current = core;
    this.network.listen(core);
  }

  /** Power loss: nothing of the running server survives but what its disk made durable. */
  crash(): void {
    if (this.current === undefined) return;
    this.current = undefined;
    this.clockView?.stop();
    this.network.serverDown();
    this.disk.crash();
  }
}
