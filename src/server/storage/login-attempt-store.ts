/**
 * The port of the failed-login windows that `LoginLimiter` counts in: where the counts live is
 * the backend's (this process's memory for the file backend, a table every node shares for
 * PostgreSQL), what they mean is this interface's. The limiter makes the keys (a digest of the
 * email, the client's address key), so a store never sees a raw email.
 */

/** How many failed logins the server takes before it answers 429. */
export interface LoginAttemptLimits {
  /** Failed logins per email (any address) in one window. */
  readonly perEmail: number;
  /** Failed logins per client address (any email) in one window. */
  readonly perAddress: number;
  /** Length of a window, from its first failure. */
  readonly windowMs: number;
  /** Most emails, and most addresses, tracked at once; the oldest window is forgotten first. */
  readonly maxTracked: number;
}

/** The two windows one attempt counts in: the email's digest and the client's address key. */
export interface LoginAttemptKeys {
  readonly email: string;
  readonly address: string;
}

/** What {@link LoginAttemptStore.admit} decided: counted, or refused for `retryAfterMs`. */
export type AttemptVerdict = { readonly ok: true } | { readonly ok: false; readonly retryAfterMs: number };

/** Windows a store keeps now, of each kind (for tests of its bound). */
export interface TrackedWindows {
  readonly emails: number;
  readonly addresses: number;
}

/**
 * The failed-login windows under one set of {@link LoginAttemptLimits}. A window is at its limit
 * when it holds `perEmail` (`perAddress`) failures and has not ended (`openedAt + windowMs` after
 * now); an ended window counts as none.
 */
export interface LoginAttemptStore {
  /**
   * One attempt, decided at once for both windows: when neither is at its limit, one failure is
   * counted in each (an ended or absent window opens anew at `now`) and it is admitted; else
   * nothing is counted and it is refused for the longer of the windows' remaining times. Two
   * attempts racing for the last allowed failure (on any node that shares the store) admit one.
   * Rejects when the store cannot decide (a database out of reach): the caller must refuse.
   */
  admit(keys: LoginAttemptKeys, now: number): Promise<AttemptVerdict>;
  /** The admitted attempt of `keys` was right: the email's window is forgotten, one failure taken back from the address's. */
  succeeded(keys: LoginAttemptKeys): Promise<void>;
  /** Windows kept now (every node's, for a shared store), ended ones not swept yet included. */
  tracked(): Promise<TrackedWindows>;
}

/** Opens the store of the windows under `limits` (what `ServerStorage.loginAttempts` is). */
export type OpenLoginAttempts = (limits: LoginAttemptLimits) => LoginAttemptStore;
