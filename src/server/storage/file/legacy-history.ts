/**
 * Converts a partition's old single history log (`<historyFileName>.log`, the format of
 * `partition-history.ts`) into the state + tail layout, once, atomically: the new directory is
 * built beside under a scratch name and renamed into place, then the old file is removed. A
 * crash before the rename leaves the old file (converted again next time); after it, the
 * directory wins and the old file is removed.
 */
import type { FileSystem } from '../../../store/file-system.js';
import { left, right } from 'fp-ts/lib/Either.js';
import { dirname, join } from 'node:path';
import * as t from 'io-ts';
import { ChangesetCodec, NatCodec, type ServerChangeset } from '../../../protocol/changeset.codec.js';
import { fsyncDirectory, makeDirectoryDurably, writeFileDurably } from '../../../store/durable-fs.js';
import type { Logger } from '../../../store/logger.js';
import { encodeRecords } from '../../../store/record-framing.js';
import { openRecordLog } from '../../../store/record-log.js';
import { legacyHistoryPath, partitionDirectory, STATE_FILE, tailSegmentName } from './partition-files.js';
import { encodeStateMeta } from './state-records.js';
import { encodeTailRecord } from './tail-records.js';

const EpochRecord = t.type({ k: t.literal('epoch'), epoch: t.string, partition: t.string });
const ChangesetRecord = t.intersection([t.type({ k: t.literal('cs'), v: NatCodec, c: ChangesetCodec }), t.partial({ u: t.string })]);
const HistoryRecord = t.union([EpochRecord, ChangesetRecord]);
type HistoryEntry = t.TypeOf<typeof HistoryRecord>;

/**
 * Converts `partition`'s old history under `root`, if there is one. Its changesets become the
 * tail (server versions kept), received at `now` (the old file never recorded arrival times,
 * so retention counts from the conversion); the first fold moves them into the state.
 * Returns whether it converted.
 */
export function convertLegacyHistory(root: string, partition: string, options: { readonly logger: Logger; readonly now: () => number; readonly fileSystem: FileSystem }): boolean {
  const fs = options.fileSystem;
  const legacy = legacyHistoryPath(root, partition);
  if (!fs.existsSync(legacy)) return false;
  const dir = partitionDirectory(root, partition);
  if (fs.existsSync(join(dir, STATE_FILE))) {
    // Converted before a crash that came before the old file was removed.
    fs.rmSync(legacy, { force: true });
    fsyncDirectory(fs, root);
    return false;
  }
  let expected = 1;
  const { log, records } = openRecordLog<HistoryEntry>(legacy, {
    fileSystem: fs,
    logger: options.logger,
    // Like the old reader: an undecodable or out-of-sequence record ends the history there.
    decode: (payload: Buffer) => {
      let decoded: t.Validation<HistoryEntry>;
      try {
        decoded = HistoryRecord.decode(JSON.parse(payload.toString('utf8')));
      } catch {
        return left('not JSON');
      }
      if (decoded._tag === 'Left') return left('not a history record');
      const record = decoded.right;
      if (record.k === 'epoch') expected = 1;
      else if (record.v !== expected++) return left(`server version ${record.v} out of sequence`);
      return right(record);
    },
  });
  log.close();
  let epoch: string | undefined;
  let changesets: Array<{ changeset: ServerChangeset; owner: string | undefined }> = [];
  for (const record of records) {
    if (record.k === 'epoch') {
      epoch = record.epoch;
      changesets = [];
    } else changesets.push({ changeset: { ...record.c, serverVersion: record.v }, owner: record.u });
  }
  if (epoch === undefined) {
    // A history with no epoch record holds nothing (its creation never reached the disk).
    fs.rmSync(legacy, { force: true });
    fsyncDirectory(fs, root);
    return false;
  }
  const scratch = `${dir}.converting`;
  fs.rmSync(scratch, { recursive: true, force: true });
  makeDirectoryDurably(fs, scratch);
  const at = options.now();
  const owners = new Map<string, string>();
  for (const { changeset, owner } of changesets) if (owner !== undefined && !owners.has(changeset.origin)) owners.set(changeset.origin, owner);
  const header = encodeStateMeta({ k: 'state', epoch, partition, stateVersion: 0, origins: [] });
  const end = encodeStateMeta({ k: 'end', documents: 0, bytes: 0, expiredThrough: 0, oldestTombstoneAt: null });
  writeFileDurably(fs, join(scratch, STATE_FILE), encodeRecords([header, end], true));
  if (changesets.length > 0) {
    const payloads = changesets.map(({ changeset }) => encodeTailRecord(changeset, at, owners.get(changeset.origin)).payload);
    writeFileDurably(fs, join(scratch, tailSegmentName(1)), encodeRecords(payloads, true));
  }
  fsyncDirectory(fs, scratch);
  fs.renameSync(scratch, dir);
  fsyncDirectory(fs, dirname(dir));
  fs.rmSync(legacy, { force: true });
  fsyncDirectory(fs, root);
  options.logger.info('converted an old partition history to state and tail', { partition, changesets: changesets.length });
  return true;
}
