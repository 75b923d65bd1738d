/**
 * Where the store reports what it did on its own (recovery, compaction) and what went wrong
 * outside any caller's reach (a throwing listener, a failed background fsync).
 */
export interface Logger {
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
}

/**
 * A logger that drops everything: the store's default, and the opt-out of the runtime's
 * (`new App({ logger: silentLogger })`).
 */
export const silentLogger: Logger = {
  info: () => undefined,
  warn: () => undefined,
};

/** A logger that writes to `console.info` and `console.warn`. */
export const consoleLogger: Logger = {
  info: (message, details) => (details === undefined ? console.info(message) : console.info(message, details)),
  warn: (message, details) => (details === undefined ? console.warn(message) : console.warn(message, details)),
};

/**
 * The runtime's default (`App`'s `logger`): warnings and errors go to stderr, one line each,
 * information is dropped. A session error with no `onError` (a refused partition, a protocol
 * error) is a warning, so it is never silent, as Realm's default error handler logs too.
 */
export const stderrLogger: Logger = {
  info: () => undefined,
  warn: (message, details) => {
    process.stderr.write(`sync-session: ${message}${details === undefined ? '' : ` ${safeDetails(details)}`}\n`);
  },
};

function safeDetails(details: Record<string, unknown>): string {
  try {
    return JSON.stringify(details);
  } catch {
    return String(details);
  }
}
