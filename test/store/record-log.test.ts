import * as fs from 'node:fs';
import { join } from 'node:path';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { RECORD_HEADER_BYTES, RECORD_LOG_MAGIC } from '../../src/store/record-framing.js';
import { openRecordLog, tempPathOf } from '../../src/store/record-log.js';
import { ClosedError, InvalidInputError, NotARecordLogError, RecordLogError } from '../../src/store/store-errors.js';
import { RecordingLogger, useTempDir } from './temp-dir.js';

const tempDir = useTempDir('record-log');
const buf = (s: string): Buffer => Buffer.from(s, 'utf8');
const texts = (records: readonly Buffer[]): string[] => records.map((r) => r.toString('utf8'));

/** Writes `payloads` as separate appends and closes; returns the file and the end offset of each record. */
function writeLog(file: string, payloads: readonly string[]): number[] {
  const { log } = openRecordLog(file);
  const ends: number[] = [];
  for (const p of payloads) {
    log.append([buf(p)]);
    ends.push(log.sizeBytes);
  }
  log.close();
  return ends;
}

describe('record log: layout and round trip', () => {
  it('creates the file and its directory with only the magic header', () => {
    const file = join(tempDir(), 'a', 'b', 'log');
    const { log, records, recovered } = openRecordLog(file);
    expect(records).toEqual([]);
    expect(recovered.truncatedBytes).toBe(0);
    expect(log.sizeBytes).toBe(8);
    log.close();
    expect(fs.readFileSync(file).toString('latin1')).toBe('SSLOG001');
  });

  it('frames each record as [u32 length][u32 crc][payload] and reads them back in order', () => {
    const file = join(tempDir(), 'log');
    const { log } = openRecordLog(file);
    log.append([buf('one'), buf('two')]);
    log.append([buf('three')]);
    expect(log.sizeBytes).toBe(8 + 3 * RECORD_HEADER_BYTES + 3 + 3 + 5);
    log.close();
    const raw = fs.readFileSync(file);
    expect(raw.readUInt32LE(8)).toBe(3);
    expect(raw.readUInt32LE(12)).toBe(0x7a6c86f1); // CRC-32 of "one" (python: zlib.crc32(b"one"))
    const reopened = openRecordLog(file);
    expect(texts(reopened.records)).toEqual(['one', 'two', 'three']);
    reopened.log.close();
  });

  it('refuses empty payloads (an all-zero tail would read as valid empty records)', () => {
    const { log } = openRecordLog(join(tempDir(), 'log'));
    expect(() => log.append([buf('ok'), Buffer.alloc(0)])).toThrow(InvalidInputError);
    expect(log.sizeBytes).toBe(8);
    log.close();
  });

  it('refuses a second open of the same file in one process, and allows it after close', () => {
    const file = join(tempDir(), 'log');
    const first = openRecordLog(file);
    expect(() => openRecordLog(file)).toThrow(/already open/);
    first.log.close();
    openRecordLog(file).log.close();
  });

  it('close is idempotent; writing after close throws a clear error; flush after close resolves', async () => {
    const file = join(tempDir(), 'log');
    const { log } = openRecordLog(file);
    log.close();
    log.close();
    expect(log.isClosed).toBe(true);
    expect(() => log.append([buf('x')])).toThrow(ClosedError);
    expect(() => log.append([buf('x')])).toThrow(/closed/);
    expect(() => log.rewrite([buf('x')])).toThrow(ClosedError);
    await expect(log.flush()).resolves.toBeUndefined();
  });
});

describe('record log: recovery', () => {
  it('cuts a torn last record at every byte offset inside it, keeps the earlier records and warns', () => {
    const file = join(tempDir(), 'log');
    const ends = writeLog(file, ['first', 'second', 'the third record']);
    const whole = fs.readFileSync(file);
    const lastStart = ends[1]!;
    let cases = 0;
    for (let cut = lastStart + 1; cut < whole.length; cut++) {
      fs.writeFileSync(file, whole.subarray(0, cut));
      const logger = new RecordingLogger();
      const { log, records, recovered } = openRecordLog(file, { logger });
      expect(texts(records)).toEqual(['first', 'second']);
      expect(recovered.truncatedBytes).toBe(cut - lastStart);
      expect(logger.warnings).toHaveLength(1);
      expect(logger.warnings[0]?.details).toMatchObject({ truncatedBytes: cut - lastStart, keptRecords: 2 });
      expect(log.sizeBytes).toBe(lastStart);
      log.close();
      expect(fs.statSync(file).size).toBe(lastStart);
      cases++;
    }
    expect(cases).toBe(RECORD_HEADER_BYTES + 'the third record'.length - 1);
  });

  it('a cut at a record boundary is a clean file: no warning', () => {
    const file = join(tempDir(), 'log');
    const ends = writeLog(file, ['a', 'b']);
    fs.truncateSync(file, ends[0]!);
    const logger = new RecordingLogger();
    const { log, records, recovered } = openRecordLog(file, { logger });
    expect(texts(records)).toEqual(['a']);
    expect(recovered.truncatedBytes).toBe(0);
    expect(logger.warnings).toEqual([]);
    log.close();
  });

  it('cuts a corrupt last record (a flipped payload byte, a flipped CRC byte, a length past the end)', () => {
    const file = join(tempDir(), 'log');
    const ends = writeLog(file, ['alpha', 'beta', 'gamma']);
    const whole = fs.readFileSync(file);
    const lastStart = ends[1]!;
    const corruptions: Array<[string, (b: Buffer) => void]> = [
      ['payload byte', (b) => void (b[lastStart + RECORD_HEADER_BYTES + 2] = (b[lastStart + RECORD_HEADER_BYTES + 2] ?? 0) ^ 0x01)],
      ['crc byte', (b) => void (b[lastStart + 5] = (b[lastStart + 5] ?? 0) ^ 0x80)],
      ['length', (b) => b.writeUInt32LE(1_000_000, lastStart)],
      ['length shorter', (b) => b.writeUInt32LE(2, lastStart)],
    ];
    for (const [what, corrupt] of corruptions) {
      const bytes = Buffer.from(whole);
      corrupt(bytes);
      fs.writeFileSync(file, bytes);
      const logger = new RecordingLogger();
      const { log, records, recovered } = openRecordLog(file, { logger });
      expect(texts(records), what).toEqual(['alpha', 'beta']);
      expect(recovered.truncatedBytes, what).toBe(whole.length - lastStart);
      expect(logger.warnings, what).toHaveLength(1);
      log.close();
    }
  });

  it('a corrupt record in the middle cuts everything from there (nothing after a hole is trusted)', () => {
    const file = join(tempDir(), 'log');
    const ends = writeLog(file, ['r0', 'r1', 'r2', 'r3']);
    const bytes = fs.readFileSync(file);
    bytes[ends[0]! + RECORD_HEADER_BYTES] = 0x00;
    fs.writeFileSync(file, bytes);
    const { log, records } = openRecordLog(file);
    expect(texts(records)).toEqual(['r0']);
    log.close();
  });

  it('cuts an all-zero tail (a file extended by a crash but never written)', () => {
    const file = join(tempDir(), 'log');
    writeLog(file, ['keep']);
    fs.appendFileSync(file, Buffer.alloc(64));
    const logger = new RecordingLogger();
    const { log, records, recovered } = openRecordLog(file, { logger });
    expect(texts(records)).toEqual(['keep']);
    expect(recovered.truncatedBytes).toBe(64);
    expect(String(logger.warnings[0]?.details?.reason)).toMatch(/empty record/);
    log.close();
  });

  it('appends after a recovery land after the last whole record', () => {
    const file = join(tempDir(), 'log');
    const ends = writeLog(file, ['a', 'b']);
    fs.truncateSync(file, ends[1]! - 1);
    const first = openRecordLog(file);
    first.log.append([buf('c')]);
    first.log.close();
    const second = openRecordLog(file);
    expect(texts(second.records)).toEqual(['a', 'c']);
    second.log.close();
  });

  it('refuses a file with another magic, names the path, and leaves the file as it was', () => {
    const file = join(tempDir(), 'not-ours');
    const content = Buffer.from('{"some": "json file that is not a log"}');
    fs.writeFileSync(file, content);
    expect(() => openRecordLog(file)).toThrow(NotARecordLogError);
    expect(() => openRecordLog(file)).toThrow(file);
    expect(fs.readFileSync(file).equals(content)).toBe(true);
    // Refusing did not leave the path registered as open.
    fs.rmSync(file);
    openRecordLog(file).log.close();
  });

  it.each([
    ['a torn magic header (a creation that never finished)', RECORD_LOG_MAGIC.subarray(0, 3)],
    ['an all-zero file (a lazily created file whose bytes never reached the disk)', Buffer.alloc(4096)],
  ])('treats %s as a new log, and warns', (_what, content) => {
    const file = join(tempDir(), 'log');
    fs.writeFileSync(file, content);
    const logger = new RecordingLogger();
    const { log, records } = openRecordLog(file, { logger });
    expect(records).toEqual([]);
    expect(logger.warnings).toHaveLength(1);
    log.append([buf('x')]);
    log.close();
    expect(texts(openRecordLog(file).records)).toEqual(['x']);
  });

  it('a file that is not all zeros and lacks the magic is still refused', () => {
    const file = join(tempDir(), 'log');
    const content = Buffer.alloc(64);
    content[63] = 1;
    fs.writeFileSync(file, content);
    expect(() => openRecordLog(file)).toThrow(NotARecordLogError);
    expect(fs.readFileSync(file).equals(content)).toBe(true);
  });

  it('lazily appended records are in the file in order with the others, and read back', () => {
    for (const durability of ['full', 'batched'] as const) {
      const file = join(tempDir(), `lazy-${durability}`);
      const { log } = openRecordLog(file, { durability });
      log.appendLazily([buf('a')]);
      log.append([buf('b')]);
      log.appendLazily([buf('c'), buf('d')]);
      log.close();
      const reopened = openRecordLog(file);
      expect(texts(reopened.records)).toEqual(['a', 'b', 'c', 'd']);
      reopened.log.close();
    }
  });

  it('creates no scratch file when it creates a log, and many logs of one directory open and sync alike', () => {
    const dir = join(tempDir(), 'many');
    const logs = Array.from({ length: 20 }, (_, i) => openRecordLog(join(dir, `log-${i}`)).log);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    logs.forEach((log, i) => log.append([buf(`r${i}`)]));
    logs.forEach((log) => log.close());
    for (let i = 0; i < 20; i++) {
      const reopened = openRecordLog(join(dir, `log-${i}`));
      expect(texts(reopened.records)).toEqual([`r${i}`]);
      reopened.log.close();
    }
  });

  it('createLazily: no file until a synced append or close; lazily appended records come first', () => {
    for (const end of ['append', 'close'] as const) {
      const file = join(tempDir(), 'lazy', end, `log-${end}`);
      const { log } = openRecordLog(file, { createLazily: true });
      log.appendLazily([buf('header')]);
      // Not even its directory: it is made with the file.
      expect(fs.existsSync(join(tempDir(), 'lazy', end))).toBe(false);
      expect(log.fileCreated).toBe(false);
      expect(log.sizeBytes).toBe(RECORD_LOG_MAGIC.length + RECORD_HEADER_BYTES + 'header'.length);
      if (end === 'append') {
        log.append([buf('first')]);
        expect(log.fileCreated).toBe(true);
        expect(fs.statSync(file).size).toBe(log.sizeBytes);
      }
      log.close();
      const reopened = openRecordLog(file, { createLazily: true });
      expect(texts(reopened.records)).toEqual(end === 'append' ? ['header', 'first'] : ['header']);
      reopened.log.close();
    }
  });

  it('createLazily: a rewrite before the file exists makes its directory and the file', () => {
    const file = join(tempDir(), 'lazy-rewrite', 'deeper', 'log');
    const { log } = openRecordLog(file, { createLazily: true });
    log.rewrite([buf('snapshot')]);
    log.append([buf('after')]);
    log.close();
    const reopened = openRecordLog(file, { createLazily: true });
    expect(texts(reopened.records)).toEqual(['snapshot', 'after']);
    reopened.log.close();
  });

  it('createLazily: a file someone else created meanwhile is not written into', () => {
    const file = join(tempDir(), 'raced');
    const { log } = openRecordLog(file, { createLazily: true });
    fs.writeFileSync(file, 'theirs');
    expect(() => log.append([buf('x')])).toThrow(RecordLogError);
    expect(fs.readFileSync(file, 'utf8')).toBe('theirs');
    log.close();
    expect(fs.readFileSync(file, 'utf8')).toBe('theirs');
  });

  it('treats an empty file as new', () => {
    const file = join(tempDir(), 'log');
    fs.writeFileSync(file, '');
    const { log } = openRecordLog(file);
    expect(log.sizeBytes).toBe(8);
    log.close();
  });

  it('cuts at the first record a decoder refuses, like a bad checksum', () => {
    const file = join(tempDir(), 'log');
    writeLog(file, ['1', '2', 'x', '4']);
    const logger = new RecordingLogger();
    const decode = (payload: Buffer): E.Either<string, number> => {
      const n = Number(payload.toString());
      return Number.isInteger(n) ? E.right(n) : E.left('not a number');
    };
    const { log, records, recovered } = openRecordLog(file, { logger, decode });
    expect(records).toEqual([1, 2]);
    expect(recovered.truncatedBytes).toBe(2 * (RECORD_HEADER_BYTES + 1));
    expect(String(logger.warnings[0]?.details?.reason)).toMatch(/whole but invalid: not a number/);
    log.close();
  });
});

describe('record log: durability modes', () => {
  it("'full': flush resolves at once and every append is in the file when append returns", async () => {
    const file = join(tempDir(), 'log');
    const { log } = openRecordLog(file, { durability: 'full' });
    log.append([buf('a')]);
    expect(fs.statSync(file).size).toBe(log.sizeBytes);
    await log.flush();
    log.close();
  });

  it("'batched': flush resolves after the tick's fsync, covering every append of the tick", async () => {
    const file = join(tempDir(), 'log');
    const { log } = openRecordLog(file, { durability: 'batched' });
    for (let i = 0; i < 100; i++) log.append([buf(`r${i}`)]);
    let flushed = false;
    const flushing = log.flush().then(() => (flushed = true));
    await Promise.resolve();
    await Promise.resolve();
    expect(flushed).toBe(false); // the fsync runs in setImmediate, not in a microtask
    await flushing;
    expect(flushed).toBe(true);
    await expect(log.flush()).resolves.toBeUndefined(); // nothing pending: at once
    log.append([buf('late')]);
    const late = log.flush();
    log.close(); // close syncs what is pending and settles waiting flushes
    await expect(late).resolves.toBeUndefined();
    const reopened = openRecordLog(file);
    expect(reopened.records).toHaveLength(101);
    reopened.log.close();
  });

  it("'batched' appends in later ticks are synced by later batches", async () => {
    const file = join(tempDir(), 'log');
    const { log } = openRecordLog(file, { durability: 'batched' });
    for (let tick = 0; tick < 5; tick++) {
      log.append([buf(`t${tick}`)]);
      await log.flush();
    }
    log.close();
    const reopened = openRecordLog(file);
    expect(texts(reopened.records)).toEqual(['t0', 't1', 't2', 't3', 't4']);
    reopened.log.close();
  });
});

describe('record log: rewrite', () => {
  it('replaces the whole content atomically, then appends continue after it', async () => {
    const dir = tempDir();
    const file = join(dir, 'log');
    const { log } = openRecordLog(file, { durability: 'batched' });
    log.append([buf('old-1'), buf('old-2')]);
    const pending = log.flush();
    log.rewrite([buf('snapshot')]);
    await pending;
    expect(log.sizeBytes).toBe(8 + RECORD_HEADER_BYTES + 'snapshot'.length);
    log.append([buf('after')]);
    log.close();
    expect(fs.readdirSync(dir)).toEqual(['log']);
    const reopened = openRecordLog(file);
    expect(texts(reopened.records)).toEqual(['snapshot', 'after']);
    reopened.log.close();
  });

  it('a leftover scratch file of an interrupted rewrite is removed on open; the old content stays whole', () => {
    const dir = tempDir();
    const file = join(dir, 'log');
    writeLog(file, ['kept']);
    // A crash after the scratch file was written but before the rename.
    fs.writeFileSync(tempPathOf(file), Buffer.concat([RECORD_LOG_MAGIC, Buffer.from('half')]));
    const logger = new RecordingLogger();
    const { log, records } = openRecordLog(file, { logger });
    expect(texts(records)).toEqual(['kept']);
    expect(fs.existsSync(tempPathOf(file))).toBe(false);
    expect(logger.entries.some((e) => e.level === 'info' && /interrupted rewrite/.test(e.message))).toBe(true);
    log.close();
  });

  it('a failed rewrite leaves the log as it was and usable', () => {
    const dir = tempDir();
    const file = join(dir, 'log');
    const { log } = openRecordLog(file);
    log.append([buf('a')]);
    // A directory where the scratch file should go makes the rewrite fail before its rename.
    fs.mkdirSync(tempPathOf(file));
    expect(() => log.rewrite([buf('b')])).toThrow(RecordLogError);
    fs.rmdirSync(tempPathOf(file));
    log.append([buf('c')]);
    log.close();
    expect(texts(openRecordLog(file).records)).toEqual(['a', 'c']);
  });
});
