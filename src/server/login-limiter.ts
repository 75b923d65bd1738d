import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

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

/** What {@link LoginLimiter.begin} answers: go on with the attempt, or wait. */
export type LoginAdmission = { readonly ok: true; readonly email: string; readonly address: string } | { readonly ok: false; readonly retryAfterMs: number };

/**
 * Limits failed `emailPassword` logins per email and per client address, each in a window of
 * `windowMs`. An attempt counts as failed from the moment it is admitted until it is known to be
 * right, so concurrent guesses cannot slip past the limit while their hashes are computed. A
 * refused attempt is not checked at all: a right password is refused too until the window ends.
 */
export class LoginLimiter {
  private readonly emails: WindowCounter;
  private readonly addresses: WindowCounter;

  constructor(
    limits: LoginAttemptLimits,
    private readonly now: () => number,
  ) {
    this.emails = new WindowCounter(limits.perEmail, limits.windowMs, limits.maxTracked);
    this.addresses = new WindowCounter(limits.perAddress, limits.windowMs, limits.maxTracked);
  }

  /** Windows tracked now, for tests of the bound. */
  get tracked(): { readonly emails: number; readonly addresses: number } {
    return { emails: this.emails.size, addresses: this.addresses.size };
  }

  /** Admits an attempt for `email` from `address` (counted as failed), or says how long to wait. */
  begin(email: string, address: string): LoginAdmission {
    // Emails are kept as digests: a 16 KiB "email" must not cost 16 KiB per window.
    const key = createHash('sha256').update(email.toLowerCase()).digest('base64');
    const now = this.now();
    const client = addressKey(address);
    const retryAfterMs = Math.max(this.emails.wait(key, now), this.addresses.wait(client, now));
    if (retryAfterMs > 0) return { ok: false, retryAfterMs };
    this.emails.add(key, now);
    this.addresses.add(client, now);
    return { ok: true, email: key, address: client };
  }

  /**
   * The admitted attempt was right: the email's failures are forgotten, and the attempt no longer
   * counts against its address (other failures from there still do).
   */
  succeeded(admission: Extract<LoginAdmission, { ok: true }>): void {
    this.emails.forget(admission.email);
    this.addresses.remove(admission.address);
  }
}

/**
 * The client an address counts for: an IPv4 address as itself (also when a dual-stack socket
 * spells it `::ffff:a.b.c.d`), an IPv6 address by its /64 prefix, which one host (or one
 * customer of an ISP) holds whole, so that walking through its addresses buys no guesses.
 * Anything else (no address known) is kept as given.
 */
export function addressKey(address: string): string {
  const bare = address.replace(/%.*$/, '').toLowerCase();
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/.exec(bare);
  if (mapped !== null && isIPv4(mapped[1]!)) return mapped[1]!;
  if (!isIPv6(bare)) return address;
  const [head = '', tail] = bare.split('::');
  const part = (text: string): string[] => (text === '' ? [] : text.split(':').flatMap((group) => (group.includes('.') ? ipv4Groups(group) : [group])));
  const front = part(head);
  const back = tail === undefined ? [] : part(tail);
  const groups = [...front, ...Array<string>(8 - front.length - back.length).fill('0'), ...back];
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

/** An embedded dotted IPv4 tail as its two IPv6 groups. */
function ipv4Groups(dotted: string): string[] {
  const [a = 0, b = 0, c = 0, d = 0] = dotted.split('.').map(Number);
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}
