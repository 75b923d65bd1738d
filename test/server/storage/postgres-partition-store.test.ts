/**
 * The storage acceptance suite against the PostgreSQL backend, on a real, throwaway PostgreSQL:
 * a fresh database per test; a reopen closes the store and opens a new one on a new connection
 * pool (nothing of the old pool's sessions carries over). A second run folds a few hundred bytes
 * of changesets per transaction, so every fold spans several. Skipped with one line without
 * PostgreSQL; mandatory under CI=true.
 */
import type pg from 'pg';
import { afterAll, beforeAll } from 'vitest';
import { silentLogger } from '../../../src/store/logger.js';
import { openPostgresPartitionStore } from '../../../src/server/storage/postgres/index.js';
import { createDatabase, openPool } from '../../support/pg-pool.js';
import { startPostgresCluster, type PostgresCluster } from '../../support/postgres-cluster.js';
import { POSTGRES, requiring } from '../../support/system-component.js';
import { runPartitionStoreAcceptance, type ClosableStore } from './acceptance.js';

const pgAvailable = requiring(POSTGRES, 'the PostgreSQL storage tests');
let cluster: PostgresCluster | undefined;

pgAvailable.describe('PostgreSQL partition store', () => {
  beforeAll(async () => {
    cluster = await startPostgresCluster(pgAvailable.path!);
  }, 120_000);
  afterAll(() => {
    cluster?.stop();
  });

  for (const chunkBytes of [undefined, 300]) {
    runPartitionStoreAcceptance(`postgres${chunkBytes === undefined ? '' : ` (fold chunks of ${chunkBytes} bytes)`}`, async () => {
      const { url } = await createDatabase(cluster!.url, 'partitions');
      const pools: pg.Pool[] = [];
      const open = async (): Promise<ClosableStore> => {
        const sql = openPool(url, 4);
        pools.push(sql);
        return openPostgresPartitionStore(sql, { logger: silentLogger, now: () => 0, ...(chunkBytes === undefined ? {} : { foldPolicy: { chunkBytes } }) });
      };
      let store = await open();
      return {
        store,
        reopen: async () => {
          await store.close();
          store = await open();
          return store;
        },
        cleanup: async () => {
          await store.close();
          await Promise.all(pools.splice(0).map((sql) => sql.end()));
        },
      };
    });
  }
});
