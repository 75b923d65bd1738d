/**
 * Where a partition's files live under the store's directory: one directory per partition
 * (named like the old single history file, without its `.log`), holding `state` and the tail
 * segments `tail-<first server version>.log`.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';

/** The old single history file's name of `partition`: readable prefix plus a hash, so any name is a safe file name. */
export function historyFileName(partition: string): string {
  const readable = partition.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40);
  return `${readable}-${createHash('sha256').update(partition).digest('hex').slice(0, 16)}.log`;
}

/** The state file's name inside a partition directory. */
export const STATE_FILE = 'state';

/** The directory of `partition` under `root`: readable prefix plus a hash, so any name is safe. */
export function partitionDirectory(root: string, partition: string): string {
  return join(root, historyFileName(partition).replace(/\.log$/, ''));
}

/** The old single history log of `partition` (the format before partitions kept a state), converted on first acquire. */
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
