/**
 * Server nodes on one PostgreSQL database in the test process, and apps pointed at them: each
 * node a real `startServer({ postgres })` on its own port, each app a real client on real
 * WebSockets. `close()` ends them all (apps, then nodes), and the database stays for the next
 * test to ignore (each test makes its own with `createDatabase`).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Credentials, Realm, type AppConfig, type SyncConfiguration, type SyncError, type User } from '../../src/index.js';
import { startServer, type ServerOptions, type SyncServer } from '../../src/server/index.js';
import { silentLogger } from '../../src/store/logger.js';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { createDatabase } from './pg-pool.js';
import { startPostgresCluster, type PostgresCluster } from './postgres-cluster.js';

/** A client: its app, user and open realm, with the sync errors it heard. */
export interface NodeClient {
  readonly app: App;
  readonly user: User;
  readonly realm: Realm;
  readonly errors: SyncError[];
}

/** Nodes on the database at `url`, and the apps of a test. */
export class PostgresNodes {
  readonly nodes: SyncServer[] = [];
  private readonly apps: App[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), 'pg-nodes-'));

  constructor(private readonly url: string) {}

  /** Starts one more node (options beside `postgres`, e.g. `pollIntervalMs`). */
  async start(options: Partial<ServerOptions> = {}): Promise<SyncServer> {
    const node = await startServer({ postgres: this.url, logger: silentLogger, ...options });
    this.nodes.push(node);
    return node;
  }

  /** A storage directory of this test's apps (the same `name`, the same directory: one device). */
  storageDir(name: string): string {
    return join(this.dir, `device-${name}`);
  }

  /** An app on `baseUrl` (a node's URL, or a list of them), with a short backoff. */
  app(baseUrl: string | readonly string[], config: Partial<AppConfig> = {}): App {
    const app = new App({
      baseUrl,
      storageDir: join(this.dir, `app${this.apps.length}`),
      lingerMs: 50,
      reconnect: { initialDelayMs: 50, maxDelayMs: 400, multiplier: 2 },
      logger: silentLogger,
      ...config,
    });
    this.apps.push(app);
    return app;
  }

  /** An anonymous user of a new app on `baseUrl`, and its realm of `partition`, open. */
  async client(baseUrl: string | readonly string[], partition: string, sync: Partial<SyncConfiguration> = {}): Promise<NodeClient> {
    const app = this.app(baseUrl);
    const user = await app.logIn(Credentials.anonymous());
    const errors: SyncError[] = [];
    const realm = await Realm.open({ sync: { user, partition, onError: (_s, e) => errors.push(e), ...sync } });
    return { app, user, realm, errors };
  }

  async close(): Promise<void> {
    for (const app of this.apps.splice(0)) app.close();
    await Promise.all(this.nodes.splice(0).map((node) => node.close()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** What {@link usePostgresNodes} gives a suite. */
export interface PostgresNodesSuite {
  /** Nodes (none started yet) on a new database of the suite's cluster, closed after the test. */
  fresh(prefix?: string): Promise<{ readonly nodes: PostgresNodes; readonly name: string; readonly url: string }>;
  /** The suite's cluster (started before its first test). */
  cluster(): PostgresCluster;
}

/**
 * A throwaway cluster for a suite of node tests (call inside its `describe`): started before
 * the first test, stopped after the last; the nodes and apps of each test closed after it.
 * Databases are named `prefix` and a number.
 */
export function usePostgresNodes(bin: () => string, prefix: string): PostgresNodesSuite {
  let cluster: PostgresCluster | undefined;
  let current: PostgresNodes | undefined;
  beforeAll(async () => {
    cluster = await startPostgresCluster(bin());
  }, 120_000);
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  afterAll(() => cluster?.stop());
  return {
    fresh: async (named = prefix) => {
      const { url, name } = await createDatabase(cluster!.url, named);
      current = new PostgresNodes(url);
      return { nodes: current, name, url };
    },
    cluster: () => cluster!,
  };
}
