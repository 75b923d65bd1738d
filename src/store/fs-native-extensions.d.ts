/**
 * The part of `fs-native-extensions` (Holepunch; it ships no types) that `file-lock.ts` uses.
 * Linux: an `F_OFD_SETLK` fcntl lock; macOS: `flock`; Windows: `LockFileEx`. Each belongs to
 * the open file description, so a second descriptor is refused even in the same process, and
 * the kernel drops the lock when its holder dies.
 */
declare module 'fs-native-extensions' {
  /** Takes the lock on `fd` (exclusive unless `shared`) without waiting: false if another holds it. */
  export function tryLock(fd: number, offset?: number, length?: number, options?: { readonly shared?: boolean }): boolean;
  /** Drops the lock `fd` holds. */
  export function unlock(fd: number, offset?: number, length?: number): void;
}
