/**
 * The failed-login windows in the database (`sync_login_attempts`, migration 5), shared by every
 * node on it: n nodes allow what one does, not n × the attempts.
 *
 * An attempt is one upsert of both its windows (address first, then email: every statement that
 * takes both row locks takes them in that order, so two never deadlock), in a transaction that
 * commits when neither window went past its limit and rolls back when one did. The upsert waits
 * for the row lock of a racing attempt and then counts on the row that attempt committed, so of
 * attempts racing on any node for the last allowed failure exactly one is admitted.
 *
 * Bounded like the memory store, per node's traffic: every {@link DEFAULT_SWEEP_EVERY} attempts a
 * node sweeps (ended windows deleted, then, past `maxTracked` windows of a kind, the oldest still
 * under their limit, and only then the oldest at it), one node at a time (an advisory lock; a
 * node that finds it held skips its turn), never waiting for a row an attempt holds (`skip
 * locked`). So a kind holds at most about `maxTracked` + `sweepEvery` × nodes rows.
 *
 * Windows are timed by each node's clock (`now`), as the rest of the server is: nodes whose clocks
 * differ by d see a window end up to d early or late.
 */
import type { Pool } from 'pg';
import type { Logger } from '../../../store/logger.js';
import type { AttemptVerdict, LoginAttemptKeys, LoginAttemptLimits, LoginAttemptStore, OpenLoginAttempts, TrackedWindows } from '../login-attempt-store.js';
import { beginTransaction, toSafeInteger, withTransaction, type Transaction } from './transaction.js';

/** Attempts a node admits or refuses between two of its sweeps, by default. */
export const DEFAULT_SWEEP_EVERY = 100;

/** The advisory lock of a sweep: one node sweeps at a time (a single-key lock, apart from the folds' two-key ones). */
const SWEEP_LOCK = 7_301_113_002;

/** Options of {@link postgresLoginAttempts}. */
export interface PostgresLoginAttemptsOptions {
  /** Where a failure to decide (the database out of reach) and a failed sweep are said. */
  readonly logger: Logger;
  /** Attempts between two sweeps of this node (default {@link DEFAULT_SWEEP_EVERY}); ≥ 1. */
  readonly sweepEvery?: number;
}

type Kind = 'email' | 'address';
const KINDS: readonly Kind[] = ['address', 'email'];

/** The windows of the database behind `pool` (the node's; the caller owns and ends it). */
export function postgresLoginAttempts(pool: Pool, options: PostgresLoginAttemptsOptions): OpenLoginAttempts {
  const sweepEvery = options.sweepEvery ?? DEFAULT_SWEEP_EVERY;
  if (!Number.isSafeInteger(sweepEvery) || sweepEvery < 1) throw new RangeError(`sweepEvery must be a whole number ≥ 1, not ${String(sweepEvery)}`);
  return (limits) => new PostgresLoginAttemptStore(pool, limits, options.logger, sweepEvery);
}

/** The PostgreSQL {@link LoginAttemptStore} (see the module's comment). */
class PostgresLoginAttemptStore implements LoginAttemptStore {
  /** Attempts since this node's last sweep. */
  private sinceSweep = 0;
  /** The sweep under way, so one node runs one at a time. */
  private sweeping: Promise<void> | undefined;

  constructor(
    private readonly pool: Pool,
    private readonly limits: LoginAttemptLimits,
    private readonly logger: Logger,
    private readonly sweepEvery: number,
  ) {}

  private limitOf(kind: Kind): number {
    return kind === 'email' ? this.limits.perEmail : this.limits.perAddress;
  }

  async admit(keys: LoginAttemptKeys, clock: number): Promise<AttemptVerdict> {
    // Whole ms, as the column keeps them (a test clock may have a fraction).
    const now = Math.floor(clock);
    let verdict: AttemptVerdict;
    try {
      verdict = await this.decide(keys, now);
    } catch (error) {
      this.logger.warn('cannot check the failed-login limits in PostgreSQL: the login is refused (503)', { error: String(error) });
      throw error;
    }
    if (++this.sinceSweep >= this.sweepEvery) {
      this.sinceSweep = 0;
      this.sweeping ??= this.sweep(now).finally(() => (this.sweeping = undefined));
      // Awaited so a caller (a test of the bound) sees its effect; its failure is not the attempt's.
      await this.sweeping;
    }
    return verdict;
  }

  /** The upsert of both windows, kept (admitted) or rolled back (refused). */
  private async decide(keys: LoginAttemptKeys, now: number): Promise<AttemptVerdict> {
    const tx = await beginTransaction(this.pool);
    let rows: Array<{ kind: Kind; count: number; opened_at: string }>;
    try {
      // A window ended by now opens anew with this failure; an open one counts it. Rows in
      // VALUES order: address, then email (the lock order of the module's comment).
      rows = await tx.query(
        `insert into sync_login_attempts as w (kind, key, count, opened_at)
         values ('address', $1, 1, $3), ('email', $2, 1, $3)
         on conflict (kind, key) do update set
           count = case when w.opened_at + $4::bigint <= $3::bigint then 1 else w.count + 1 end,
           opened_at = case when w.opened_at + $4::bigint <= $3::bigint then $3::bigint else w.opened_at end
         returning kind, count, opened_at`,
        [keys.address, keys.email, now, this.limits.windowMs],
      );
    } catch (error) {
      await tx.abort(error);
      throw error;
    }
    // Past the limit only by this failure: the window was at it, and is still open (so its wait is > 0).
    const over = rows.filter((row) => row.count > this.limitOf(row.kind));
    if (over.length > 0) {
      await tx.rollback();
      return { ok: false, retryAfterMs: Math.max(...over.map((row) => toSafeInteger(row.opened_at, 'opened_at') + this.limits.windowMs - now)) };
    }
    await tx.commit();
    return { ok: true };
  }

  async succeeded(keys: LoginAttemptKeys): Promise<void> {
    try {
      // Two statements, one row lock each: never holding the email's while waiting for the address's.
      await this.pool.query(`update sync_login_attempts set count = count - 1 where kind = 'address' and key = $1 and count > 0`, [keys.address]);
      await this.pool.query(`delete from sync_login_attempts where kind = 'email' and key = $1`, [keys.email]);
    } catch (error) {
      this.logger.warn('cannot take back a right login from the failed-login limits in PostgreSQL', { error: String(error) });
      throw error;
    }
  }

  async tracked(): Promise<TrackedWindows> {
    const rows = (await this.pool.query<{ kind: Kind; n: number }>(`select kind, count(*)::int as n from sync_login_attempts group by kind`)).rows;
    const of = (kind: Kind): number => rows.find((row) => row.kind === kind)?.n ?? 0;
    return { emails: of('email'), addresses: of('address') };
  }

  /** Ended windows deleted, then each kind brought down to `maxTracked` (see the module's comment). Never rejects. */
  private async sweep(now: number): Promise<void> {
    try {
      await withTransaction(this.pool, {}, async (tx) => {
        const [lock] = await tx.query<{ got: boolean }>('select pg_try_advisory_xact_lock($1) as got', [SWEEP_LOCK]);
        // Another node is sweeping: what it does is what this one would do.
        if (lock?.got !== true) return;
        for (const kind of KINDS) await this.sweepKind(tx, kind, now);
      });
    } catch (error) {
      this.logger.warn('the sweep of failed-login windows in PostgreSQL failed (the next one tries again)', { error: String(error) });
    }
  }

  private async sweepKind(tx: Transaction, kind: Kind, now: number): Promise<void> {
    await tx.query(
      `delete from sync_login_attempts w using (
         select key from sync_login_attempts where kind = $1 and opened_at <= $2::bigint for update skip locked
       ) ended where w.kind = $1 and w.key = ended.key`,
      [kind, now - this.limits.windowMs],
    );
    // Under their limit first (false sorts first), oldest first: a blocked email is freed by a
    // flood of others only when every window kept is blocked.
    await tx.query(
      `delete from sync_login_attempts w using (
         select key from sync_login_attempts where kind = $1
         order by count >= $2, opened_at, key
         limit greatest(0, (select count(*) from sync_login_attempts where kind = $1) - $3::bigint)
         for update skip locked
       ) evicted where w.kind = $1 and w.key = evicted.key`,
      [kind, this.limitOf(kind), this.limits.maxTracked],
    );
  }
}
