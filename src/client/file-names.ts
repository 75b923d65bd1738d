import { createHash } from 'node:crypto';
import { join } from 'node:path';

/**
 * One path component made from a name the client does not control (a partition, a user id the
 * server sent): the name's safe characters, for a human reading the directory, then a hash of
 * the whole name, so that two names never share a component (names differing in an unsafe
 * character, in case on a case-insensitive file system, or past the 40th character). Nothing
 * else survives: no `/`, `\`, `.`, NUL or non-ASCII, so the component can never be `..`, empty
 * or a path of its own, and it stays short (at most 53 characters).
 */
export function fileNameStem(name: string): string {
  return `${name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 40)}-${createHash('sha256').update(name).digest('hex').slice(0, 12)}`;
}

/**
 * Where `Realm.open` puts a synced realm given no path: a directory per user and a file per
 * partition under `storageDir`, both named by {@link fileNameStem}.
 */
export function defaultRealmPath(storageDir: string, userId: string, partition: string): string {
  return join(storageDir, fileNameStem(userId), `${fileNameStem(partition)}.realm`);
}

/** A user id that is one harmless path component as it is: what the reference server issues. */
const PLAIN_COMPONENT = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * Where versions before the user id was encoded put the realm: the raw user id as directory.
 * Offered only for an id that is already one plain component (letters, digits, `_`, `-`), so it
 * cannot lead anywhere {@link defaultRealmPath} could not; `undefined` for any other id.
 */
export function legacyRealmPath(storageDir: string, userId: string, partition: string): string | undefined {
  return PLAIN_COMPONENT.test(userId) ? join(storageDir, userId, `${fileNameStem(partition)}.realm`) : undefined;
}
