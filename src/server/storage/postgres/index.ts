/** The PostgreSQL backend of the server's storage port (see `../server-storage.ts`). */
export {
  DEFAULT_STATE_READER_IDLE_TIMEOUT_MS,
  openPostgresPartitionStore,
  type PostgresPartitionStore,
  type PostgresPartitionStoreOptions,
} from './postgres-partition-store.js';
export { StateReaderLostError } from './postgres-state-reader.js';
export { PostgresPartition, type Refreshed } from './postgres-partition.js';
export { migrate, MIGRATIONS, SchemaMismatchError, type Migration, type MigrationReport } from './migrations.js';
