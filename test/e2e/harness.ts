import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Credentials, Realm, type AppConfig, type SyncConfiguration, type SyncError, type Transport, type User } from '../../src/index.js';
import { startServer, type ServerOptions, type SyncServer } from '../../src/server/index.js';
import { silentLogger } from '../../src/store/logger.js';
import { wsTransport } from '../../src/transport/ws-transport.js';

/** A real server and apps against it, all cleaned up by `close()`. */
export class Harness {
  readonly dir = mkdtempSync(join(tmpdir(), 'e2e-'));
  server!: SyncServer;
  private readonly apps: App[] = [];
  /** Sockets opened by the apps' transport, per app. */
  readonly sockets = new Map<App, number>();

  async start(options: Partial<ServerOptions> = {}, port = 0): Promise<this> {
    this.server = await startServer({ dataDir: join(this.dir, 'server'), port, ...options });
    return this;
  }

  /** An app whose (real WebSocket) transport counts the sockets it opens. */
  app(config: Partial<AppConfig> = {}): App {
    let app: App | undefined;
    const counting: Transport = {
      connect: (url, handlers, options) => {
        if (app) this.sockets.set(app, (this.sockets.get(app) ?? 0) + 1);
        return wsTransport.connect(url, handlers, options);
      },
    };
    app = new App({
      baseUrl: this.server.url,
      storageDir: join(this.dir, `app${this.apps.length}`),
      lingerMs: 50,
      reconnect: { initialDelayMs: 50, maxDelayMs: 400, multiplier: 2 },
      transport: counting,
      // Tests provoke errors on purpose: the default stderr logger would flood the output.
      logger: silentLogger,
      ...config,
    });
    this.apps.push(app);
    return app;
  }

  /** A logged-in user and an open synced realm for it. */
  async client(partition = 'p', sync: Partial<SyncConfiguration> = {}, app = this.app()): Promise<{ app: App; user: User; realm: Realm; errors: SyncError[] }> {
    const user = await app.logIn(Credentials.anonymous());
    const errors: SyncError[] = [];
    const realm = await Realm.open({ sync: { user, partition, onError: (_s, e) => errors.push(e), ...sync } });
    return { app, user, realm, errors };
  }

  async close(): Promise<void> {
    for (const app of this.apps) app.close();
    await this.server.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export { eventually } from '../support/eventually.js';
