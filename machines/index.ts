/**
 * The formal model of sync-session: pure XState machines and their alphabets. Import from
 * `sync-session/machines` to embed the charts or to run your own model-based tests.
 */
export * from './types.js';
export * from './client-error-codes.js';
export * from './backoff.js';
export * from './random.js';
export * from './progress.report.js';
export * from './progress.machine.js';
export * from './waiter.machine.js';
export * from './session.machine.js';
export * from './member-set.js';
export * from './connection.machine.js';
export * from './state.js';
export * from './explore.js';
