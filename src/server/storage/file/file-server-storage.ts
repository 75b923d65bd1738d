/**
 * The file backend as a server opens it: the partitions and auth state under one data
 * directory, which this process locks for as long as it is open (a second server on it, in any
 * process, is refused with `FileLockedError` before anything there is read).
 */
import { nodeFileSystem, type FileSystem } from '../../../store/file-system.js';
import type { RandomSource } from '../../../time/random-source.js';
import { join } from 'node:path';
import { makeDirectoryDurably } from '../../../store/durable-fs.js';
import { acquireFileLock, lockPathOfDirectory } from '../../../store/file-lock.js';
import type { Logger } from '../../../store/logger.js';
import { singleNodeFeed } from '../change-feed.js';
import { memoryLoginAttempts } from '../memory-login-attempts.js';
import type { ServerStorage } from '../server-storage.js';
import { openFileAuthStore } from './file-auth-store.js';
import { openFilePartitionStore } from './file-partition-store.js';

/** Options of {@link openFileServerStorage}. */
export interface FileServerStorageOptions {
  readonly dataDir: string;
  readonly durability: 'full' | 'batched';
  readonly maxOpenHistories: number;
  readonly historyRetentionMs: number;
  /** Fold a partition once its tail holds more than this many bytes (the store's default otherwise). */
  readonly foldTailBytes?: number;
  readonly now: () => number;
  /** Where new epochs come from. */
  readonly random: RandomSource;
  /** The file port (default: the real file system); a simulation's disk. */
  readonly fileSystem?: FileSystem;
  readonly logger: Logger;
}

/** Locks `dataDir` (made private, 0700, if absent) and opens the storage in it. */
export async function openFileServerStorage(options: FileServerStorageOptions): Promise<ServerStorage> {
  const { dataDir } = options;
  const fs = options.fileSystem ?? nodeFileSystem;
  // Private (0700) whatever the umask: the histories in it are every user's data.
  makeDirectoryDurably(fs, dataDir);
  // Taken before the secret or any history is read.
  const lock = acquireFileLock(fs, dataDir, lockPathOfDirectory(dataDir));
  try {
    const auth = await openFileAuthStore(fs, dataDir);
    const partitions = openFilePartitionStore(join(dataDir, 'partitions'), {
      durability: options.durability,
      logger: options.logger,
      maxOpenHistories: options.maxOpenHistories,
      historyRetentionMs: options.historyRetentionMs,
      ...(options.foldTailBytes === undefined ? {} : { foldPolicy: { minTailBytes: options.foldTailBytes } }),
      now: options.now,
      random: options.random,
      fileSystem: fs,
    });
    let closing: Promise<void> | undefined;
    return {
      partitions,
      auth,
      feed: singleNodeFeed,
      // One server on the directory (its lock): its memory is every attempt there is.
      loginAttempts: memoryLoginAttempts,
      location: dataDir,
      openPartitionFiles: () => partitions.openPartitionFiles,
      // A failing disk fails one partition's operations; there is no other node to go to.
      unreachable: () => false,
      close: () => {
        closing ??= (async () => {
          try {
            await partitions.close();
            await auth.close();
          } finally {
            lock.release();
          }
        })();
        return closing;
      },
    };
  } catch (error) {
    lock.release();
    throw error;
  }
}
