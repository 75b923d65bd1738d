import type { FileSystem } from '../../../store/file-system.js';
import { dirname } from 'node:path';
import { fsyncDirectory, readFully, writeFully } from '../../../store/durable-fs.js';

/**
 * An append-only file of JSON lines that only the server's user may read (mode 0600), for the
 * server's small auth state (revocations, password hashes). Each record is one write of one
 * line, fsynced before `append` returns: a record that `append` returned for survives a crash
 * of the process or the machine. A crash mid-write can only leave a torn last line (no newline
 * yet); it was never acknowledged, so opening drops it.
 */
export class PrivateLog {
  private constructor(
    private readonly fs: FileSystem,
    private readonly fd: number,
    /** Byte length of the file, kept for positioned writes. */
    private size: number,
    /** The records in the file when it was opened, oldest first. */
    readonly records: readonly unknown[],
  ) {}

  /**
   * Opens (creating if absent) the log at `path`. A complete line that is not JSON is not a torn
   * write but damage; it throws naming the file and line rather than forget what it held.
   */
  static open(fs: FileSystem, path: string): PrivateLog {
    let created = false;
    let fd: number;
    try {
      fd = fs.openSync(path, fs.constants.O_RDWR | fs.constants.O_CREAT | fs.constants.O_EXCL, 0o600);
      created = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      fd = fs.openSync(path, fs.constants.O_RDWR);
    }
    try {
      // A file copied in (or made by an older version) with wider permissions is narrowed.
      fs.fchmodSync(fd, 0o600);
      if (created) fsyncDirectory(fs, dirname(path));
      const bytes = readFully(fs, fd);
      const end = bytes.lastIndexOf(0x0a) + 1;
      if (end < bytes.length) {
        fs.ftruncateSync(fd, end);
        fs.fsyncSync(fd);
      }
      const lines = bytes.subarray(0, end).toString('utf8').split('\n').slice(0, -1);
      const records = lines.map((line, index) => {
        try {
          return JSON.parse(line) as unknown;
        } catch {
          throw new Error(`${path}: line ${index + 1} is damaged (not JSON); refusing to start without it`);
        }
      });
      return new PrivateLog(fs, fd, end, records);
    } catch (error) {
      fs.closeSync(fd);
      throw error;
    }
  }

  /** Appends `record` as one line and fsyncs it. */
  append(record: unknown): void {
    const line = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
    try {
      writeFully(this.fs, this.fd, line, this.size);
      this.fs.fsyncSync(this.fd);
    } catch (error) {
      // Whatever part of the line reached the file is cut off again, so the next record does
      // not start mid-line; if even that fails, the next open drops the torn tail.
      try {
        this.fs.ftruncateSync(this.fd, this.size);
      } catch {
        // The error that matters is the one thrown below.
      }
      throw error;
    }
    this.size += line.length;
  }

  /** Closes the file. */
  close(): void {
    this.fs.closeSync(this.fd);
  }
}
