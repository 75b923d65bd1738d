/**
 * What the simulated server stores, watched at its storage port: every changeset each append
 * newly stored, by (file ident, client version). The server must integrate each exactly once,
 * across reconnects, re-sent uploads and crashes; a second `added` of the same pair is a
 * duplicate in the partition's history.
 */
import type { PartitionHandle, PartitionStore, ServerStorage } from '../server/storage/server-storage.js';

/** The pairs every append stored, over all the runs of one server machine. */
export class StoredChangesets {
  private readonly seen = new Map<string, number>();
  /** Pairs stored more than once, each once. */
  readonly duplicates: string[] = [];
  /** Changesets stored in all. */
  stored = 0;

  /** Puts this watch between the server logic and `storage`. */
  watch(storage: ServerStorage): ServerStorage {
    const partitions = this.watchPartitions(storage.partitions);
    return { ...storage, partitions, close: () => storage.close(), unreachable: (error) => storage.unreachable(error), openPartitionFiles: () => storage.openPartitionFiles() };
  }

  private watchPartitions(store: PartitionStore): PartitionStore {
    const wrapped = new WeakMap<PartitionHandle, PartitionHandle>();
    const record = (handle: PartitionHandle, origin: string, clientVersions: readonly number[]): void => {
      for (const clientVersion of clientVersions) {
        const key = `${handle.partition}\u0000${handle.epoch}\u0000${origin}\u0000${clientVersion}`;
        const n = (this.seen.get(key) ?? 0) + 1;
        this.seen.set(key, n);
        this.stored++;
        if (n === 2) this.duplicates.push(`${handle.partition}: ${origin} v${clientVersion} (epoch ${handle.epoch})`);
      }
    };
    return {
      acquire: async (partition) => {
        const handle = await store.acquire(partition);
        let watched = wrapped.get(handle);
        if (watched === undefined) {
          const append = async (...args: Parameters<PartitionHandle['append']>) => {
            const appended = await handle.append(...args);
            record(handle, args[0], appended.added.map((c) => c.clientVersion));
            return appended;
          };
          // A proxy, so that everything else reads and changes the handle itself.
          watched = new Proxy(handle, {
            get: (target, property) => {
              if (property === 'append') return append;
              const value: unknown = Reflect.get(target, property, target);
              return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
            },
          });
          wrapped.set(handle, watched);
        }
        return watched;
      },
      release: (partition) => store.release(partition),
      behind: (partitions) => store.behind(partitions),
    };
  }
}
