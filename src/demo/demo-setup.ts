import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from '../client/app.js';
import { Credentials } from '../client/credentials.js';
import { Realm } from '../client/realm.js';
import type { SyncSession } from '../client/sync-session.js';
import { DEFAULT_INSPECT_PORT } from '../inspect/relay-inspector.js';
import { startInspectorRelay, type InspectorRelay } from '../inspect/relay-server.js';
import { startServer, type SyncServer } from '../server/start-server.js';

/** How the demo is set up. */
export interface DemoSetupOptions {
  /** Where its data goes; a fresh temporary folder (removed at the end) by default. */
  readonly dataDir?: string;
  /**
   * The inspector relay's port (9777 by default, a free one if 9777 is taken), or `false` for
   * no inspector.
   */
  readonly inspectPort?: number | false;
}

/** One demo client: its app, realm and session. */
export interface DemoClient {
  readonly name: string;
  readonly app: App;
  readonly realm: Realm;
  readonly session: SyncSession;
}

/** A running demo: a server, two clients on one partition, and (unless turned off) the inspector. */
export interface DemoHandle {
  readonly dir: string;
  readonly server: SyncServer;
  readonly relay: InspectorRelay | undefined;
  readonly clients: readonly [DemoClient, DemoClient];
  /** Closes the realms (if still open), the apps, the server and the relay; removes an own data folder. */
  close(): Promise<void>;
}

async function startRelay(port: number): Promise<InspectorRelay> {
  try {
    return await startInspectorRelay({ port });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) throw error;
    return startInspectorRelay({ port: 0 });
  }
}

/** Starts the server, the relay and two clients, alice and bob, each with an open realm. */
export async function startDemo(options: DemoSetupOptions = {}): Promise<DemoHandle> {
  const ownDir = options.dataDir === undefined;
  const dir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'sync-session-demo-'));
  const relay = options.inspectPort === false ? undefined : await startRelay(options.inspectPort ?? DEFAULT_INSPECT_PORT);
  const server = await startServer({ dataDir: join(dir, 'server') });
  const apps: App[] = [];
  const realms: Realm[] = [];
  const close = async () => {
    for (const realm of realms) if (!realm.isClosed) realm.close();
    for (const app of apps) app.close();
    await server.close();
    await relay?.close();
    if (ownDir) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const clients = await Promise.all(
      ['alice', 'bob'].map(async (name): Promise<DemoClient> => {
        const app = new App({
          baseUrl: server.url,
          storageDir: join(dir, name),
          lingerMs: 200,
          ...(relay === undefined ? {} : { inspect: { url: relay.wsUrl } }),
        });
        apps.push(app);
        const user = await app.logIn(Credentials.anonymous());
        const realm = await Realm.open({ sync: { user, partition: 'team-1' } });
        realms.push(realm);
        return { name, app, realm, session: realm.syncSession! };
      }),
    );
    return { dir, server, relay, clients: clients as [DemoClient, DemoClient], close };
  } catch (error) {
    await close();
    throw error;
  }
}
