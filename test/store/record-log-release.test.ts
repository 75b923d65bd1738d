import * as fs from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openRecordLog } from '../../src/store/record-log.js';
import { RecordLogError } from '../../src/store/store-errors.js';
import { useTempDir } from './temp-dir.js';

const tempDir = useTempDir('record-log-release');
const buf = (s: string): Buffer => Buffer.from(s, 'utf8');
const texts = (records: readonly Buffer[]): string[] => records.map((r) => r.toString('utf8'));

/** Descriptors of this process open on `file`. */
const fdsOn = (file: string): number =>
  fs.readdirSync('/proc/self/fd').filter((fd) => {
    try {
      return fs.readlinkSync(`/proc/self/fd/${fd}`) === file;
    } catch {
      return false;
    }
  }).length;

const reopened = (file: string): string[] => {
  const { log, records } = openRecordLog(file);
  log.close();
  return texts(records);
};

describe('record log: releasing the file descriptor', () => {
  it.each(['full', 'batched'] as const)('%s: a released log holds no descriptor, and the next append reopens it and lands at the end', async (durability) => {
    const file = join(tempDir(), 'log');
    const { log } = openRecordLog(file, { durability });
    log.append([buf('one')]);
    log.releaseFile();
    expect(log.holdsFile).toBe(false);
    expect(log.fileCreated).toBe(true);
    expect(fdsOn(file)).toBe(0);
    // Everything appended before the release is on stable storage: nothing waits for a batch.
    expect(log.syncedBytes).toBe(log.sizeBytes);
    await log.flush();
    expect(reopenedWhileOpen(file)).toEqual(['one']);
    log.append([buf('two')]);
    expect(log.holdsFile).toBe(true);
    await log.flush();
    log.releaseFile();
    log.releaseFile(); // idempotent
    log.appendLazily([buf('three')]);
    log.rewrite([buf('four')]);
    log.append([buf('five')]);
    log.close();
    expect(fdsOn(file)).toBe(0);
    expect(reopened(file)).toEqual(['four', 'five']);
  });

  it('a log with no file yet has no descriptor to release; closed without creating, it leaves nothing', () => {
    const file = join(tempDir(), 'lazy', 'log');
    const { log } = openRecordLog(file, { createLazily: true });
    log.appendLazily([buf('epoch')]);
    log.releaseFile();
    expect(log.fileCreated).toBe(false);
    log.close({ createMissing: false });
    expect(fs.existsSync(file)).toBe(false);
  });

  it.each([
    ['replaced by another file', (file: string) => {
      fs.writeFileSync(`${file}.other`, fs.readFileSync(file));
      fs.renameSync(`${file}.other`, file);
    }],
    ['grown by another writer', (file: string) => fs.appendFileSync(file, 'garbage')],
  ])('refuses to write into a file %s while released, and leaves it untouched', (_, tamper) => {
    const file = join(tempDir(), 'log');
    const { log } = openRecordLog(file);
    log.append([buf('one')]);
    log.releaseFile();
    tamper(file);
    const before = fs.readFileSync(file);
    expect(() => log.append([buf('two')])).toThrow(RecordLogError);
    expect(() => log.append([buf('three')])).toThrow(RecordLogError);
    expect(fs.readFileSync(file)).toEqual(before);
    expect(fdsOn(file)).toBe(0);
    log.close();
  });
});

/** What a second reader sees in `file` while its log is open elsewhere (a copy, since the path is taken). */
function reopenedWhileOpen(file: string): string[] {
  const copy = `${file}.copy`;
  fs.copyFileSync(file, copy);
  try {
    return reopened(copy);
  } finally {
    fs.rmSync(copy);
  }
}
