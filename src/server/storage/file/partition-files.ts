/**
 * Where a partition's files live under the store's directory: one directory per partition
 * (named like the old single history file, without its `.log`), holding `state` and the tail
 * segments `tail-<first server version>.log`.
 */
import { join } from 'node:path';
import { historyFileName } from '../../partition-history.js';

/** The state file's name inside a partition directory. */
export const STATE_FILE = 'state';

/** The directory of `partition` under `root`: readable prefix plus a hash, so any name is safe. */
export function partitionDirectory(root: string, partition: string): string {
  return join(root, historyFileName(partition).replace(/\.log$/, ''));
}

/** The old single history log of `partition` (`partition-history.ts`), converted on first acquire. */
export function legacyHistoryPath(root: string, partition: string): string {
  return join(root, historyFileName(partition));
}

/** The name of the tail segment whose first changeset has server version `first`. */
export const tailSegmentName = (first: number): string => `tail-${first}.log`;

/** The first server version a tail segment's name gives, or `undefined` for any other name. */
export function tailSegmentFirst(name: string): number | undefined {
  const match = /^tail-([1-9][0-9]{0,15})\.log$/.exec(name);
  if (match === null) return undefined;
  const first = Number(match[1]);
  return Number.isSafeInteger(first) ? first : undefined;
}
