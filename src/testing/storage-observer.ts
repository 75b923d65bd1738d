/**
 * What the simulated server stores, watched at its storage port: every changeset each append
 * newly stored, by (file ident, client version). The server must integrate each exactly once,
 * across reconnects, re-sent uploads and crashes; a second `added` of the same pair is a
 * duplicate in the partition's history.
 */
import type { Changeset } from '../protocol/changeset.codec.js';
import type { Appended, PartitionHandle, PartitionStore, ServerStorage } from '../server/storage/server-storage.js';

/** The pairs every append stored, over all the runs of one server machine. */
export class StoredChangesets {
  private readonly seen = new Map<string, number>();
  /** Pairs stored more than once, each once. */
  readonly duplicates: string[] = [];
  /** Changesets stored in all. */
  stored = 0;
  /** The ids of the documents each (partition, type) has had a put of, by `partition\0type`. */
  private readonly puts = new Map<string, Set<string>>();

  /**
   * The ids of documents of `type` some stored changeset of `partition` put, in any epoch (a
   * reset keeps every document). Durable: appends resolve once on stable storage.
   */
  putIdsOf(partition: string, type: string): ReadonlySet<string> {
    return this.puts.get(`${partition}\u0000${type}`) ?? new Set();
  }

  /** Puts this watch between the server logic and `storage`. */
  watch(storage: ServerStorage): ServerStorage {
    const partitions = this.watchPartitions(storage.partitions);
    return { ...storage, partitions, close: () => storage.close(), unreachable: (error) => storage.unreachable(error), openPartitionFiles: () => storage.openPartitionFiles() };
  }

  private watchPartitions(store: PartitionStore): PartitionStore {
    const wrapped = new WeakMap<PartitionHandle, PartitionHandle>();
    const record = (handle: PartitionHandle, origin: string, sent: readonly Changeset[], added: Appended['added']): void => {
      // Every changeset of an append that resolved is stored: added now, or by an append whose
      // caller never heard (a power loss after its fsync) and which this one found done.
      for (const { ops } of sent) {
        for (const op of ops) {
          if (op.op !== 'put') continue;
          const key = `${handle.partition}\u0000${op.type}`;
          let ids = this.puts.get(key);
          if (ids === undefined) this.puts.set(key, (ids = new Set()));
          ids.add(op.id);
        }
      }
      for (const { clientVersion } of added) {
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
            record(handle, args[0], args[2], appended.added);
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
