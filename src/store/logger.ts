/**
 * Where the store reports what it did on its own (recovery, compaction) and what went wrong
 * outside any caller's reach (a throwing listener, a failed background fsync).
 */
export interface Logger {
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
}

/** A logger that drops everything: the default, so that a library never writes to the console uninvited. */
export const silentLogger: Logger = {
  info: () => undefined,
  warn: () => undefined,
};

/** A logger that writes to `console.info` and `console.warn`. */
export const consoleLogger: Logger = {
  info: (message, details) => (details === undefined ? console.info(message) : console.info(message, details)),
  warn: (message, details) => (details === undefined ? console.warn(message) : console.warn(message, details)),
};
