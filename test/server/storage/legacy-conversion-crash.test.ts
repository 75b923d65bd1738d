/**
 * Converting an old single-file partition history to state + tail, killed with SIGKILL at
 * random instants (before, during and after the conversion and the first fold): whatever the
 * instant, the next open holds the whole old history once (every changeset at its server
 * version, the epoch and the owners kept) and the old file is gone. Seeded: `CRASH_SEED=…`
 * replays the instants.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { historyFileName } from '../../../src/server/storage/file/partition-files.js';
import { openFilePartitionStore } from '../../../src/server/storage/file/index.js';
import { silentLogger } from '../../../src/store/logger.js';
import { writeLegacyHistory } from '../../support/legacy-history.js';
import { useKillRuns } from '../../support/kill-runs.js';
import { startTsxProcess } from '../../support/tsx-process.js';
import { CRASH_ORIGINS, crashChangeset } from './fixtures/crash-changesets.js';
import { clientView, dumpDocuments, foldHistory } from './partition-contents.js';

const fixture = fileURLToPath(new URL('./fixtures/legacy-converter.ts', import.meta.url));
const { root, running, seed, uniform } = useKillRuns('legacy-crash');
const ROUNDS = 6;
const PER_ORIGIN = 2_000;
const EPOCH = 'a1b2c3d4e5f6';

const history = CRASH_ORIGINS.flatMap((origin) => Array.from({ length: PER_ORIGIN }, (_, i) => crashChangeset(origin, i + 1)));

describe('converting an old partition history, killed with SIGKILL', () => {
  it('the next open holds the whole old history once, with its epoch and owners, and the old file is gone', async () => {
    const instants: number[] = [];
    const reached: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const dir = join(root, `round-${round}`);
      mkdirSync(dir, { recursive: true });
      writeLegacyHistory(dir, 'legacy', EPOCH, history.map((changeset) => ({ changeset, owner: `user-${changeset.origin}` })));
      const child = await startTsxProcess([fixture, dir, 'legacy'], (output) => output.includes('start\n'), 60_000);
      running.push(child);
      // The conversion of 6,000 changesets and its fold take a few hundred ms on this machine.
      const delay = Math.floor(uniform() * 900);
      instants.push(delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
      await child.stop('SIGKILL');
      running.splice(running.indexOf(child), 1);
      const output = child.output();
      expect(output).not.toMatch(/^warn /m);
      reached.push(output.includes('folded') ? 'folded' : output.includes('converted') ? 'converted' : 'started');

      const store = openFilePartitionStore(dir, { durability: 'full', logger: silentLogger });
      try {
        const h = await store.acquire('legacy');
        expect(existsSync(join(dir, historyFileName('legacy')))).toBe(false);
        expect({ epoch: h.epoch, latest: h.latest }).toEqual({ epoch: EPOCH, latest: history.length });
        for (const origin of CRASH_ORIGINS) expect(h.origin(origin)).toEqual({ clientVersion: PER_ORIGIN, owner: `user-${origin}` });
        expect(dumpDocuments((await clientView(h)).set)).toEqual(dumpDocuments(foldHistory(history)));
      } finally {
        await store.close();
      }
    }
    console.log(`legacy conversion crash: seed ${seed}, kills at ${instants.join(', ')} ms, the killed process had ${reached.join(', ')}`);
  }, 120_000);
});
