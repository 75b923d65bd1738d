import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../../src/store/logger.js';
import { openFilePartitionStore } from '../../../src/server/storage/file/index.js';
import { runPartitionStoreAcceptance, type ClosableStore } from './acceptance.js';

// The third run folds a few hundred bytes of changesets per state rewrite: every fold spans several.
for (const [durability, chunkBytes] of [['full', undefined], ['batched', undefined], ['full', 300]] as const) {
  runPartitionStoreAcceptance(`file (${durability}${chunkBytes === undefined ? '' : `, fold chunks of ${chunkBytes} bytes`})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'file-store-'));
    const open = (): ClosableStore => openFilePartitionStore(join(dir, 'partitions'), { durability, logger: silentLogger, now: () => 0, ...(chunkBytes === undefined ? {} : { foldPolicy: { chunkBytes } }) });
    let store = open();
    return {
      store,
      reopen: async () => {
        await store.close();
        store = open();
        return store;
      },
      cleanup: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  });
}
