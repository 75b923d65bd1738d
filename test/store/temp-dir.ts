import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { Logger } from '../../src/store/logger.js';

/** A fresh directory under the OS temp dir per test, removed after it. */
export function useTempDir(prefix: string): () => string {
  let dir: string | undefined;
  afterEach(() => {
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  return () => {
    dir ??= mkdtempSync(join(tmpdir(), `${prefix}-`));
    return dir;
  };
}

/** One message a {@link RecordingLogger} received. */
export interface LogEntry {
  readonly level: 'info' | 'warn';
  readonly message: string;
  readonly details: Record<string, unknown> | undefined;
}

/** A logger that keeps what it is told, for assertions. */
export class RecordingLogger implements Logger {
  readonly entries: LogEntry[] = [];
  info(message: string, details?: Record<string, unknown>): void {
    this.entries.push({ level: 'info', message, details });
  }
  warn(message: string, details?: Record<string, unknown>): void {
    this.entries.push({ level: 'warn', message, details });
  }
  get warnings(): LogEntry[] {
    return this.entries.filter((e) => e.level === 'warn');
  }
}
