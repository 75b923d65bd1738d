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
  const user = await app.logIn(Credentials.anonymous());
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
