/**
 * The failed-login windows in this process's memory: the store of a storage with one server
 * (the file backend locks its directory), bounded by `maxTracked` windows of each kind.
 */
import type { AttemptVerdict, LoginAttemptKeys, LoginAttemptLimits, LoginAttemptStore, OpenLoginAttempts, TrackedWindows } from './login-attempt-store.js';

/** Failures counted in one window; `Map` order is the order windows opened. */
class WindowCounter {
  private readonly windows = new Map<string, { count: number; readonly openedAt: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxTracked: number,
  ) {}

  get size(): number {
    return this.windows.size;
  }

  /** Milliseconds until `key` may try again, or 0 when it may now. */
  wait(key: string, now: number): number {
    const window = this.windows.get(key);
    if (window === undefined || window.count < this.limit) return 0;
    return Math.max(0, window.openedAt + this.windowMs - now);
  }

  add(key: string, now: number): void {
    this.expire(now);
    const window = this.windows.get(key);
    if (window !== undefined && now < window.openedAt + this.windowMs) {
      window.count++;
      return;
    }
    this.windows.delete(key);
    this.windows.set(key, { count: 1, openedAt: now });
    // Bounded: a flood of distinct keys pushes out the oldest windows, not the heap's limit.
    while (this.windows.size > this.maxTracked) this.evictOne();
  }

  /**
   * Forgets the oldest window still under its limit, or the oldest of all when every one is at
   * it: a blocked email must not be freed by a flood of failures at other emails (from other
   * addresses), which would buy its attacker a fresh set of guesses.
   */
  private evictOne(): void {
    for (const [key, window] of this.windows) {
      if (window.count < this.limit) {
        this.windows.delete(key);
        return;
      }
    }
    this.windows.delete(this.windows.keys().next().value!);
  }

  /** Takes back one failure of `key` (an attempt that turned out right). */
  remove(key: string): void {
    const window = this.windows.get(key);
    if (window !== undefined && window.count > 0) window.count--;
  }

  forget(key: string): void {
    this.windows.delete(key);
  }

  /** Drops the windows that ended; they are at the front, so this costs what it drops. */
  private expire(now: number): void {
    for (const [key, window] of this.windows) {
      if (now < window.openedAt + this.windowMs) return;
      this.windows.delete(key);
    }
  }
}

/** The in-memory {@link LoginAttemptStore} (see the module's comment). */
class MemoryLoginAttemptStore implements LoginAttemptStore {
  private readonly emails: WindowCounter;
  private readonly addresses: WindowCounter;

  constructor(limits: LoginAttemptLimits) {
    this.emails = new WindowCounter(limits.perEmail, limits.windowMs, limits.maxTracked);
    this.addresses = new WindowCounter(limits.perAddress, limits.windowMs, limits.maxTracked);
  }

  // Synchronous inside: nothing runs between the check and the count, which is what makes it atomic.
  admit(keys: LoginAttemptKeys, now: number): Promise<AttemptVerdict> {
    const retryAfterMs = Math.max(this.emails.wait(keys.email, now), this.addresses.wait(keys.address, now));
    if (retryAfterMs > 0) return Promise.resolve({ ok: false, retryAfterMs });
    this.emails.add(keys.email, now);
    this.addresses.add(keys.address, now);
    return Promise.resolve({ ok: true });
  }

  succeeded(keys: LoginAttemptKeys): Promise<void> {
    this.emails.forget(keys.email);
    this.addresses.remove(keys.address);
    return Promise.resolve();
  }

  tracked(): Promise<TrackedWindows> {
    return Promise.resolve({ emails: this.emails.size, addresses: this.addresses.size });
  }
}

/** Opens windows in this process's memory: {@link OpenLoginAttempts} of a storage with one server. */
export const memoryLoginAttempts: OpenLoginAttempts = (limits) => new MemoryLoginAttemptStore(limits);
