/** The file backend of the server's storage port (see `../server-storage.ts`). */
export { openFilePartitionStore, DEFAULT_FOLD_POLICY, DEFAULT_HISTORY_RETENTION_MS, IDLE_PARTITIONS } from './file-partition-store.js';
export type { FilePartitionStore, FilePartitionStoreOptions } from './file-partition-store.js';
export type { FoldPolicy } from './file-partition.js';
