/** Client-side helpers of the benchmarks: the project's runtime (App, Realm, SyncSession), nothing mocked. */
import { App, Credentials, Realm, type User } from '../src/index.js';
import { tempDir, until } from './harness.js';

export interface Client {
  readonly app: App;
  readonly user: User;
  /** Opens a synced realm and waits (bounded) until its session is connected. */
  open(partition: string, options?: { connected?: boolean }): Promise<Realm>;
  close(): void;
}

export async function newClient(baseUrl: string, label: string, durability: 'full' | 'batched' = 'full'): Promise<Client> {
  const storage = tempDir(`client-${label}`);
  const app = new App({ baseUrl, storageDir: storage.dir, lingerMs: 0, durability });
  const user = await logInWithRetry(app);
  return {
    app,
    user,
    async open(partition, options = {}) {
      const realm = await Realm.open({ sync: { user, partition, onError: (_s, error) => process.stderr.write(`sync error: ${error.message}\n`) } });
      if (options.connected !== false) await until(() => realm.syncSession?.connectionState === 'connected', 30_000, `session ${partition} connected`);
      return realm;
    },
    close() {
      app.close();
      storage.remove();
    },
  };
}

/**
 * Setup, not measured: a log-in whose request fails at the network level is tried again (at most
 * three times). Between runs fetch may reuse a pooled keep-alive connection the server is just
 * closing after its idle timeout, which fails the request; it says nothing about the runtime.
 */
async function logInWithRetry(app: App): Promise<User> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await app.logIn(Credentials.anonymous());
    } catch (error) {
      if (attempt >= 3 || !(error instanceof Error) || !/fetch failed/.test(`${error.message} ${String(error.cause ?? '')}`)) throw error;
      process.stderr.write(`  log-in failed at the network level (${error.message}); trying again\n`);
    }
  }
}
