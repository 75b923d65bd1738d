/**
 * Server nodes as processes on one PostgreSQL database: each a `serve.ts` child on its own
 * port, killed for real. `stop()` SIGKILLs those still running and waits until they are gone;
 * `died()` names those that ended on their own, which a test of the nodes' resilience expects
 * to be none.
 */
import { startServerProcess, type ServerProcess } from './server-process.js';

/** Node processes of one database. */
export class NodeProcesses {
  readonly nodes: ServerProcess[] = [];

  constructor(private readonly databaseUrl: string) {}

  /** Starts `count` more nodes, at once; resolves when all listen. */
  async start(count: number, options: { readonly pollIntervalMs?: number } = {}): Promise<ServerProcess[]> {
    const started = await Promise.allSettled(Array.from({ length: count }, () => startServerProcess(this.databaseUrl, 0, options)));
    for (const s of started) if (s.status === 'fulfilled') this.nodes.push(s.value);
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed !== undefined) throw failed.reason;
    return this.nodes.slice(-count);
  }

  /** The nodes whose process ended while the test had not stopped them, with what each printed. */
  died(): Array<{ url: string; exitCode: number | null; signal: NodeJS.Signals | null; output: string }> {
    return this.nodes
      .filter((n) => n.child.exitCode !== null || n.child.signalCode !== null)
      .map((n) => ({ url: n.url, exitCode: n.child.exitCode, signal: n.child.signalCode, output: n.output().slice(-2_000) }));
  }

  /** Kills every node still running and waits until each is gone. Idempotent. */
  async stop(): Promise<void> {
    await Promise.all(this.nodes.splice(0).map((n) => n.kill()));
  }
}
