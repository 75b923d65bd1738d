/**
 * The file partition store killed with SIGKILL at random instants while it appends and while it
 * folds (a state of thousands of documents, so folds take a while): after reopening, nothing
 * the process acknowledged is lost, nothing is stored twice, and state + tail is the fold of
 * the stored history. Seeded: `CRASH_SEED=…` replays the instants.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Changeset } from '../../../src/protocol/changeset.codec.js';
import { openFilePartitionStore } from '../../../src/server/storage/file/index.js';
import { silentLogger } from '../../../src/store/logger.js';
import { useKillRuns } from '../../support/kill-runs.js';
import { startTsxProcess } from '../../support/tsx-process.js';
import { CRASH_ORIGINS, crashChangeset } from './fixtures/crash-changesets.js';
import { clientView, dumpDocuments, foldHistory } from './partition-contents.js';

const fixture = fileURLToPath(new URL('./fixtures/store-writer.ts', import.meta.url));
const { root, running, seed, uniform } = useKillRuns('file-store-crash');
const KILLS = 4;

/** The acknowledgements a run printed: per origin, the highest client version, and every (origin, client version) → server version. */
function acknowledged(output: string): { highest: Map<string, number>; versions: Map<string, number> } {
  const highest = new Map<string, number>();
  const versions = new Map<string, number>();
  for (const line of output.split('\n')) {
    const [word, origin, cv, sv] = line.split(' ');
    if (word !== 'ack' || origin === undefined || sv === undefined) continue;
    // A line cut by the kill is not an acknowledgement.
    if (!/^\d+$/.test(sv)) continue;
    highest.set(origin, Math.max(highest.get(origin) ?? 0, Number(cv)));
    versions.set(`${origin}/${cv}`, Number(sv));
  }
  return { highest, versions };
}

describe('file partition store killed with SIGKILL', () => {
  for (const durability of ['full', 'batched'] as const) {
    for (const mode of ['append', 'fold'] as const) {
      it(`${mode === 'fold' ? 'while it folds' : 'while it appends'} (${durability}): keeps every acknowledged changeset once, and state + tail is the fold of the history`, async () => {
        const dir = join(root, `${durability}-${mode}`);
        const instants: number[] = [];
        const acks = new Map<string, number>();
        const serverVersions = new Map<string, number>();
        let folds = 0;
        for (let kill = 0; kill < KILLS; kill++) {
          const child = await startTsxProcess([fixture, dir, durability, mode], (output) => output.includes('ready\n') && (mode === 'append' || /\nfold \d+ \d+\n/.test(output)), 60_000);
          running.push(child);
          const delay = Math.floor(uniform() * 400);
          instants.push(delay);
          await new Promise((resolve) => setTimeout(resolve, delay));
          await child.stop('SIGKILL');
          running.splice(running.indexOf(child), 1);
          const output = child.output();
          expect(output).not.toMatch(/^warn .*fail/m);
          folds += output.split('\n').filter((line) => line.startsWith('fold ')).length;
          const { highest, versions } = acknowledged(output);
          for (const [origin, cv] of highest) acks.set(origin, Math.max(acks.get(origin) ?? 0, cv));
          for (const [key, sv] of versions) {
            // A version acknowledged once is never given to another changeset.
            if (serverVersions.has(key)) expect(serverVersions.get(key)).toBe(sv);
            serverVersions.set(key, sv);
          }
        }
        const store = openFilePartitionStore(dir, { durability, logger: silentLogger });
        try {
          const h = await store.acquire('crash');
          const history: Changeset[] = [];
          let stored = 0;
          for (const origin of CRASH_ORIGINS) {
            const cv = h.origin(origin).clientVersion;
            expect(cv).toBeGreaterThanOrEqual(acks.get(origin) ?? 0);
            for (let v = 1; v <= cv; v++) history.push(crashChangeset(origin, v));
            stored += cv;
          }
          // One server version per changeset: none stored twice.
          expect(h.latest).toBe(stored);
          const view = await clientView(h);
          for (const c of view.tail) expect(serverVersions.get(`${c.origin}/${c.clientVersion}`) ?? c.serverVersion).toBe(c.serverVersion);
          const got = dumpDocuments(view.set);
          const want = dumpDocuments(foldHistory(history));
          const wrong = Object.keys({ ...got, ...want }).filter((k) => got[k] !== want[k]);
          expect(wrong.slice(0, 3).map((k) => [k, got[k], want[k]])).toEqual([]);
          console.log(
            `file store crash (${durability}, ${mode}): seed ${seed} (CRASH_SEED=${seed} replays), kills after ${instants.join(', ')} ms past ready; ` +
              `${stored} changesets stored, ${serverVersions.size} acknowledged, ${folds} folds reported, state at ${h.stateVersion} of ${h.latest}, ${view.set.entries().next().done === true ? 0 : [...view.set.entries()].length} documents`,
          );
          await store.release('crash');
        } finally {
          await store.close();
        }
      }, 240_000);
    }
  }
});
