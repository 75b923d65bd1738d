import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, truncateSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { changesetBytes, type ServerChangeset } from '../../src/protocol/index.js';
import { PartitionHistory } from '../../src/server/partition-history.js';
import { IDLE_HISTORIES, PartitionHub } from '../../src/server/partition-hub.js';
import type { Logger } from '../../src/store/logger.js';
import { putTask } from '../support/changesets.js';

let dir: string;
let warnings: string[];
const logger: Logger = { info: () => {}, warn: (message) => warnings.push(message) };
const open = () => PartitionHistory.open(dir, 'team/1', { durability: 'full', logger });
const file = () => join(dir, readdirSync(dir).find((f) => f.endsWith('.log'))!);

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'history-'));
  warnings = [];
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('partition history', () => {
  it('assigns server versions in order and integrates each client version once', () => {
    const h = open();
    expect(h.integrate('a', [putTask('a', 1, 'x'), putTask('a', 2, 'y')]).added.map((c) => c.serverVersion)).toEqual([1, 2]);
    expect(h.integrate('b', [putTask('b', 1, 'z')]).added.map((c) => c.serverVersion)).toEqual([3]);
    // A re-sent upload after a reconnect: the known versions are skipped, the new one added.
    const again = h.integrate('a', [putTask('a', 1, 'x'), putTask('a', 2, 'y'), putTask('a', 3, 'w')]);
    expect(again.added.map((c) => [c.clientVersion, c.serverVersion])).toEqual([[3, 4]]);
    expect(h.lastIntegrated('a')).toBe(3);
    h.close();
    const reopened = open();
    expect(reopened.latest).toBe(4);
    expect(reopened.lastIntegrated('b')).toBe(1);
    reopened.close();
  });

  it('refuses a gap and a foreign origin, keeping what came before', () => {
    const h = open();
    const gap = h.integrate('a', [putTask('a', 1, 'x'), putTask('a', 3, 'y')]);
    expect(gap.added).toHaveLength(1);
    expect(gap.refused).toMatchObject({ clientVersion: 3 });
    const foreign = h.integrate('a', [putTask('b', 2, 'y')]);
    expect(foreign.added).toHaveLength(0);
    expect(foreign.refused?.reason).toContain('origin');
    h.close();
  });

  it('slices history for a client without its own changesets and counts what remains', () => {
    const h = open();
    h.integrate('a', [putTask('a', 1, 'x'), putTask('a', 2, 'y')]);
    h.integrate('b', [putTask('b', 1, 'z')]);
    h.integrate('a', [putTask('a', 3, 'w')]);
    const bytes = (o: string, v: number, id: string) => changesetBytes(putTask(o, v, id));
    expect(h.downloadableBytes(0, 'b')).toBe(bytes('a', 1, 'x') + bytes('a', 2, 'y') + bytes('a', 3, 'w'));
    expect(h.downloadableBytes(0, 'a')).toBe(bytes('b', 1, 'z'));
    // The JSON kept per changeset is the changeset with its server version, as DOWNLOAD frames carry it.
    const changesetsOf = (slice: { changesetJson: readonly string[] }) => slice.changesetJson.map((j) => JSON.parse(j) as ServerChangeset);
    const first = h.slice(0, 'b', 1);
    expect(changesetsOf(first)).toEqual([{ ...putTask('a', 1, 'x'), serverVersion: 1 }]);
    expect(first.remainingBytes).toBe(bytes('a', 2, 'y') + bytes('a', 3, 'w'));
    const forA = h.slice(0, 'a', 1 << 20);
    expect(forA).toMatchObject({ through: 4, remainingBytes: 0 });
    expect(changesetsOf(forA)).toEqual([{ ...putTask('b', 1, 'z'), serverVersion: 3 }]);
    expect(changesetsOf(h.slice(0, 'c', 1 << 20)).map((c) => [c.origin, c.clientVersion, c.serverVersion])).toEqual([
      ['a', 1, 1], ['a', 2, 2], ['b', 1, 3], ['a', 3, 4],
    ]);
    h.close();
  });

  it('recovers from a torn tail at every cut point, losing only the torn record', () => {
    const h = open();
    for (let v = 1; v <= 5; v++) h.integrate('a', [putTask('a', v, `t${v}`)]);
    h.close();
    const path = file();
    const whole = readFileSync(path);
    const lastRecord = changesetBytes(putTask('a', 5, 't5'));
    for (let cut = 1; cut < lastRecord; cut += 7) {
      writeFileSync(path, whole.subarray(0, whole.length - cut));
      warnings = [];
      const reopened = open();
      expect(reopened.latest).toBe(4);
      expect(warnings.length).toBeGreaterThan(0);
      // Appends land after the last whole record, and survive the next open.
      reopened.integrate('a', [putTask('a', 5, 't5b')]);
      reopened.close();
      const third = open();
      expect(third.latest).toBe(5);
      third.close();
      writeFileSync(path, whole);
    }
  });

  it('recovers from a corrupt tail (a flipped byte) and from a truncated file', () => {
    const h = open();
    for (let v = 1; v <= 3; v++) h.integrate('a', [putTask('a', v, `t${v}`)]);
    h.close();
    const path = file();
    const bytes = readFileSync(path);
    const at = bytes.length - 5;
    bytes.writeUInt8(bytes.readUInt8(at) ^ 0xff, at);
    writeFileSync(path, bytes);
    const reopened = open();
    expect(reopened.latest).toBe(2);
    expect(reopened.lastIntegrated('a')).toBe(2);
    reopened.close();
    truncateSync(path, statSync(path).size - 3);
    const again = open();
    expect(again.latest).toBe(1);
    again.close();
  });

  it('starts a new epoch on reset that begins with the documents, and keeps both across a restart', () => {
    const h = open();
    const before = h.epoch;
    h.integrate('a', [putTask('a', 1, 'x'), putTask('a', 2, 'x', { n: 2, title: 't' }), putTask('a', 3, 'y')], 'alice');
    h.integrate('b', [{ clientVersion: 1, origin: 'b', hlc: { wall: 1_004, counter: 0 }, ops: [{ op: 'delete', type: 'Task', id: 'y' }] }], 'bob');
    const after = h.reset();
    expect(after).not.toBe(before);
    // a's first changeset was overwritten by its second, its third by b's later delete (whose
    // tombstone stays); what is left keeps its own stamps.
    const seeded = [
      { ...putTask('a', 2, 'x', { n: 2, title: 't' }), serverVersion: 1 },
      { clientVersion: 1, origin: 'b', hlc: { wall: 1_004, counter: 0 }, ops: [{ op: 'delete', type: 'Task', id: 'y' }], serverVersion: 2 },
    ];
    const read = (history: PartitionHistory) => history.slice(0, 'reader', 1 << 20).changesetJson.map((json) => JSON.parse(json) as unknown);
    expect(read(h)).toEqual(seeded);
    expect(h.ownerOf('a')).toBe('alice');
    h.close();
    const reopened = open();
    expect(reopened.epoch).toBe(after);
    expect(read(reopened)).toEqual(seeded);
    expect(reopened.ownerOf('b')).toBe('bob');
    reopened.close();
  });

  it('starts a new, empty epoch on wipe, and keeps it across a restart', () => {
    const h = open();
    const before = h.epoch;
    h.integrate('a', [putTask('a', 1, 'x')]);
    const after = h.wipe();
    expect(after).not.toBe(before);
    expect(h.latest).toBe(0);
    expect(h.lastIntegrated('a')).toBe(0);
    h.close();
    const reopened = open();
    expect(reopened.epoch).toBe(after);
    expect(reopened.latest).toBe(0);
    reopened.close();
  });
});

describe('partition history, batched durability', () => {
  it('serves a changeset to others only once it is on stable storage', async () => {
    const history = PartitionHistory.open(dir, 'team/1', { durability: 'batched', logger });
    try {
      history.integrate('f1', [putTask('f1', 1, 'a')]);
      // Before its fsync: served now and lost to power failure, its server version would be
      // reused for other content that readers past it never get.
      const early = history.slice(0, 'reader', 1_000_000);
      await history.flush();
      const synced = history.slice(0, 'reader', 1_000_000);
      console.log(`partition-history: batched, before the fsync ${early.changesetJson.length} served (remaining ${early.remainingBytes} bytes), after ${synced.changesetJson.length}`);
      expect({ through: early.through, served: early.changesetJson.length, remaining: early.remainingBytes }).toEqual({ through: 0, served: 0, remaining: 0 });
      expect({ through: synced.through, served: synced.changesetJson.length }).toEqual({ through: 1, served: 1 });
      // What is durable at open is served at once.
      history.integrate('f1', [putTask('f1', 2, 'b')]);
    } finally {
      history.close();
    }
    const reopened = PartitionHistory.open(dir, 'team/1', { durability: 'batched', logger });
    try {
      expect(reopened.slice(0, 'reader', 1_000_000).through).toBe(2);
    } finally {
      reopened.close();
    }
  });
});

describe('partition history, batched durability: acknowledgements', () => {
  it('acknowledges to a file only what is on stable storage, though the history holds more', async () => {
    const history = PartitionHistory.open(dir, 'team/ack', { durability: 'batched', logger });
    try {
      history.integrate('f1', [putTask('f1', 1, 'a')]);
      await history.flush();
      history.integrate('f1', [putTask('f1', 2, 'b'), putTask('f1', 3, 'c')]);
      // Before the fsync: a push for another session's upload, or the same changesets sent
      // again, reads the acknowledgement now.
      const early = { integrated: history.lastIntegrated('f1'), acknowledged: history.acknowledged('f1') };
      await history.flush();
      const synced = history.acknowledged('f1');
      console.log(`partition-history: batched, before the fsync integrated ${early.integrated}, acknowledged ${early.acknowledged}; after ${synced}; unknown file ${history.acknowledged('other')}`);
      expect(early).toEqual({ integrated: 3, acknowledged: 1 });
      expect(synced).toBe(3);
      expect(history.acknowledged('other')).toBe(0);
    } finally {
      history.close();
    }
  });
});

describe('partition history ownership', () => {
  it('refuses a changeset of another origin even below the expected version, and remembers who owns a file', () => {
    const h = open();
    h.integrate('a', [putTask('a', 1, 'x')], 'alice');
    const foreign = h.integrate('a', [putTask('b', 1, 'y')], 'alice');
    expect(foreign.refused?.reason).toContain('origin b');
    expect(h.ownerOf('a')).toBe('alice');
    h.close();
    const reopened = open();
    expect(reopened.ownerOf('a')).toBe('alice');
    reopened.close();
  });
});

describe('partition hub: histories created lazily', () => {
  it('a history whose log failed is not kept for the next BIND: that one reads the file again and writes on', () => {
    const hub = new PartitionHub(dir, { durability: 'full', logger, maxOpenHistories: 8 });
    try {
      hub.acquire('broken').integrate('f1', [putTask('f1', 1, 'a')]);
      hub.release('broken');
      // Changed behind the released descriptor (a stand-in for an I/O failure): the log refuses it.
      const [name] = readdirSync(join(dir, 'partitions'));
      writeFileSync(join(dir, 'partitions', name!), 'torn', { flag: 'a' });
      expect(() => hub.acquire('broken').integrate('f1', [putTask('f1', 2, 'b')])).toThrow('was replaced or changed');
      hub.release('broken');
      const again = hub.acquire('broken');
      let outcome = 'written';
      try {
        again.integrate('f1', [putTask('f1', 2, 'b')]);
      } catch (error) {
        outcome = String(error);
      }
      console.log(`partition-history: after a failed log, the next BIND's upload: ${outcome}`);
      expect(outcome).toBe('written');
      expect(again.latest).toBe(2);
      hub.release('broken');
    } finally {
      hub.close();
    }
  });

  it('an empty partition never costs a file: released, or at close, it leaves nothing, and starts a new epoch when acquired again', () => {
    const hub = new PartitionHub(dir, { durability: 'full', logger });
    const partitions = join(dir, 'partitions');
    const list = () => (existsSync(partitions) ? readdirSync(partitions) : []);
    const epoch = hub.acquire('empty').epoch;
    expect(list()).toEqual([]);
    hub.release('empty');
    expect(list()).toEqual([]);
    // Bound again soon after, it is the same history, still in memory (PartitionHub.release).
    expect(hub.acquire('empty').epoch).toBe(epoch);
    hub.release('empty');
    // Once other released partitions push it out, it is gone: its epoch was never durable, and
    // clients holding nothing of it take the next (sync-connection).
    for (let i = 0; i < IDLE_HISTORIES; i++) {
      hub.acquire(`other-${i}`);
      hub.release(`other-${i}`);
    }
    expect(list()).toEqual([]);
    const again = hub.acquire('empty').epoch;
    expect(again).not.toBe(epoch);
    const written = hub.acquire('written');
    written.integrate('f1', [putTask('f1', 1, 'a')]);
    expect(list()).toHaveLength(1);
    const writtenEpoch = written.epoch;
    hub.release('written');
    hub.close();
    expect(list()).toHaveLength(1);
    const reopened = PartitionHistory.open(partitions, 'written', { durability: 'full', logger });
    expect(reopened.epoch).toBe(writtenEpoch);
    reopened.close();
  });
});
