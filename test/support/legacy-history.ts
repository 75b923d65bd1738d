/**
 * Writes a partition history in the format of the server before partitions kept a state (one
 * record log per partition: an epoch record, then each changeset with its server version and
 * owner), to test that such data directories are converted.
 */
import { join } from 'node:path';
import type { Changeset } from '../../src/protocol/changeset.codec.js';
import { historyFileName } from '../../src/server/storage/file/partition-files.js';
import { openRecordLog } from '../../src/store/record-log.js';

/** Writes `changesets` (in server-version order, each with its owner) as `partition`'s old history under `dir`. */
export function writeLegacyHistory(dir: string, partition: string, epoch: string, changesets: ReadonlyArray<{ readonly changeset: Changeset; readonly owner: string }>): void {
  const { log } = openRecordLog(join(dir, historyFileName(partition)), { durability: 'full' });
  const encode = (record: object): Buffer => Buffer.from(JSON.stringify(record), 'utf8');
  log.append([
    encode({ k: 'epoch', epoch, partition }),
    ...changesets.map(({ changeset: c, owner }, i) => encode({ k: 'cs', v: i + 1, c: { clientVersion: c.clientVersion, origin: c.origin, hlc: c.hlc, ops: c.ops }, u: owner })),
  ]);
  log.close();
}
