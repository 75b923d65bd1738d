import { createHash } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';
import type { LoginAttemptLimits, LoginAttemptStore, OpenLoginAttempts, TrackedWindows } from './storage/login-attempt-store.js';
import { memoryLoginAttempts } from './storage/memory-login-attempts.js';

export type { LoginAttemptLimits };

/** What {@link LoginLimiter.begin} answers: go on with the attempt, or wait. */
export type LoginAdmission = { readonly ok: true; readonly email: string; readonly address: string } | { readonly ok: false; readonly retryAfterMs: number };

/**
 * Limits failed `emailPassword` logins per email and per client address, each in a window of
 * `windowMs`. An attempt counts as failed from the moment it is admitted until it is known to be
 * right, so concurrent guesses cannot slip past the limit while their hashes are computed. A
 * refused attempt is not checked at all: a right password is refused too until the window ends.
 * The windows are kept by the store `open` makes: this process's memory by default, a table
 * shared by every node on PostgreSQL (so n nodes do not allow n × the attempts).
 */
export class LoginLimiter {
  private readonly store: LoginAttemptStore;

  constructor(
    limits: LoginAttemptLimits,
    private readonly now: () => number,
    open: OpenLoginAttempts = memoryLoginAttempts,
  ) {
    this.store = open(limits);
  }

  /** Windows tracked now, for tests of the bound. */
  tracked(): Promise<TrackedWindows> {
    return this.store.tracked();
  }

  /**
   * Admits an attempt for `email` from `address` (counted as failed), or says how long to wait.
   * Rejects when the store cannot decide: the caller refuses the attempt (fails closed).
   */
  async begin(email: string, address: string): Promise<LoginAdmission> {
    // Emails are kept as digests: a 16 KiB "email" must not cost 16 KiB per window.
    const key = createHash('sha256').update(email.toLowerCase()).digest('base64');
    const client = addressKey(address);
    const verdict = await this.store.admit({ email: key, address: client }, this.now());
    return verdict.ok ? { ok: true, email: key, address: client } : verdict;
  }

  /**
   * The admitted attempt was right: the email's failures are forgotten, and the attempt no longer
   * counts against its address (other failures from there still do).
   */
  succeeded(admission: Extract<LoginAdmission, { ok: true }>): Promise<void> {
    return this.store.succeeded({ email: admission.email, address: admission.address });
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
