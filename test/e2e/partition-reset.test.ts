import { afterEach, describe, expect, it } from 'vitest';
import type { ClientResetConfig } from '../../src/index.js';
import { eventually, Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const N = 120;
const TIMEOUT = 20_000;

/** A client whose resets are counted; `mode` is its client reset mode. */
async function countingClient(harness: Harness, mode: ClientResetConfig['mode']) {
  const resets: Array<{ before: number; after: number }> = [];
  const client = await harness.client('p', {
    clientReset: { mode, onAfter: (before, after) => resets.push({ before: before['Task']?.length ?? 0, after: after['Task']?.length ?? 0 }) },
  });
  return { ...client, resets };
}

describe('resetPartition keeps what was acknowledged; deletePartition is the destructive one', () => {
  it(`two clients write ${N} documents; after resetPartition both reset and still hold them all, and a new client downloads them`, async () => {
    h = await new Harness().start();
    const harness = h;
    // The default mode (recoverOrDiscard) and discard, the one that drops local state.
    const a = await countingClient(harness, 'recoverOrDiscard');
    const b = await countingClient(harness, 'discardUnsyncedChanges');
    for (let i = 0; i < N; i += 10) {
      const writer = i % 20 === 0 ? a : b;
      writer.realm.write((tx) => {
        for (let k = i; k < i + 10; k++) tx.put('Task', `t${String(k).padStart(3, '0')}`, { k, by: writer === a ? 'a' : 'b' });
      });
    }
    // Stamps matter, not only presence: an overwrite and a delete, each from the other client.
    await Promise.all([a, b].map((c) => c.realm.syncSession!.waitForUpload(AbortSignal.timeout(TIMEOUT))));
    await Promise.all([a, b].map((c) => c.realm.syncSession!.waitForDownload(AbortSignal.timeout(TIMEOUT))));
    a.realm.write((tx) => tx.put('Task', 't011', { k: 11, by: 'a', edited: true }));
    b.realm.write((tx) => tx.delete('Task', 't000'));
    b.realm.write((tx) => tx.put('Task', `t${N}`, { k: N, by: 'b' }));
    await Promise.all([a, b].map((c) => c.realm.syncSession!.waitForUpload(AbortSignal.timeout(TIMEOUT))));
    await Promise.all([a, b].map((c) => c.realm.syncSession!.waitForDownload(AbortSignal.timeout(TIMEOUT))));
    const acknowledged = a.realm.objects('Task');
    expect(acknowledged).toHaveLength(N);
    expect(b.realm.objects('Task')).toEqual(acknowledged);
    expect(acknowledged.find((o) => o.id === 't011')?.fields).toEqual({ k: 11, by: 'a', edited: true });

    await harness.server.resetPartition('p');
    await eventually(() => a.resets.length === 1 && b.resets.length === 1, 'both client resets', TIMEOUT);
    await Promise.all([a, b].map((c) => c.realm.syncSession!.waitForDownload(AbortSignal.timeout(TIMEOUT))));
    for (const c of [a, b]) {
      expect(c.realm.objects('Task')).toEqual(acknowledged);
      expect(c.realm.syncSession!.state).toBe('active');
      expect(c.errors.filter((e) => e.category !== 'clientReset')).toEqual([]);
    }
    const late = await harness.client('p');
    await late.realm.syncSession!.waitForDownload(AbortSignal.timeout(TIMEOUT));
    expect(late.realm.objects('Task')).toEqual(acknowledged);
    console.log(
      `resetPartition: ${N} documents acknowledged; after the reset a (recoverOrDiscard) holds ${a.realm.objects('Task').length}, ` +
        `b (discard) ${b.realm.objects('Task').length}, a new client ${late.realm.objects('Task').length}; onAfter saw (before → after) ` +
        `a ${a.resets[0]!.before} → ${a.resets[0]!.after}, b ${b.resets[0]!.before} → ${b.resets[0]!.after}`,
    );

    // Writes after the reset sync as before.
    a.realm.write((tx) => tx.put('Task', 'after', { k: -1 }));
    await a.realm.syncSession!.waitForUpload(AbortSignal.timeout(TIMEOUT));
    await b.realm.syncSession!.waitForDownload(AbortSignal.timeout(TIMEOUT));
    expect(b.realm.objectForPrimaryKey('Task', 'after')).toEqual({ k: -1 });

    await harness.server.deletePartition('p');
    await eventually(() => a.resets.length === 2 && b.resets.length === 2, 'both client resets after deletePartition', TIMEOUT);
    await Promise.all([a, b].map((c) => c.realm.syncSession!.waitForDownload(AbortSignal.timeout(TIMEOUT))));
    expect(a.realm.objects('Task')).toEqual([]);
    expect(b.realm.objects('Task')).toEqual([]);
    const afterDelete = await harness.client('p');
    await afterDelete.realm.syncSession!.waitForDownload(AbortSignal.timeout(TIMEOUT));
    expect(afterDelete.realm.objects('Task')).toEqual([]);
  }, 60_000);
});
