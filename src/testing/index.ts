/**
 * sync-session/testing: the deterministic simulation of the whole system, and its parts for
 * scenarios of your own. `simulate({ seed })` runs client apps and the server in one process on
 * a simulated clock, network and disks, checks the invariants after every step, and replays
 * from its seed. `SimClock`, `SimNetwork` and `SimDisk` stand behind the same ports as the real
 * clock, sockets and files (`App({ clock, transport, authTransport, fileSystem, random })`,
 * `startServerCore({ clock, fileSystem, random })`), so your own app code can run on them.
 */
export { simulate, shrink, describeFailure, planRun, type SimulateOptions, type SimulationResult } from './simulate.js';
export type { Violation, RunStats } from './sim-world.js';
export { SimWorld } from './sim-world.js';
export { generateSchedule, describeStep, type Step, type StepKind, type FaultOptions, type RunShape } from './schedule.js';
export { SimClock, ClockView } from './sim-clock.js';
export { SimNetwork, type SimEndpoint, type NetworkDelays, type NetworkStats } from './sim-network.js';
export { SimDisk, type DiskStats } from './sim-disk.js';
export { SimScheduler, type Outcome } from './sim-scheduler.js';
export { SeededRandom } from './seeded-random.js';
export { SimClient, SIM_BASE_URL, SHARED_TYPE, LEDGER_TYPE, type SimWait, type SimNotifier, type SimModel } from './sim-client.js';
export { SimServer, SIM_SERVER_DATA_DIR } from './sim-server.js';
export type { Clock, TimerHandle } from '../time/clock.js';
export type { RandomSource } from '../time/random-source.js';
export type { FileSystem, FileStat } from '../store/file-system.js';
export type { AuthTransport, AuthRequest, AuthAnswer } from '../transport/auth-transport.js';
