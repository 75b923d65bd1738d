/**
 * What a benchmark reads of the PostgreSQL cluster it started, to put a cost on each
 * acknowledged upload: the cluster's CPU (every process of the server, from /proc), the write
 * transactions it committed (the transaction-id counter) and the WAL it wrote (the WAL
 * position). Each reading is immediate and exact, unlike `pg_stat_database` / `pg_stat_wal`,
 * which a backend flushes up to 10 s late; the difference of two readings is the stretch
 * between them.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { openPool } from '../test/support/pg-pool.js';

/** One reading of the cluster. */
export interface PostgresReading {
  /** CPU time of the postmaster and every process it started, dead ones included, ms. */
  readonly cpuMs: number;
  /** The next transaction id to be assigned: read-only transactions get none, so Δ = write transactions. */
  readonly nextXid: bigint;
  /** The WAL insert position, bytes. */
  readonly walLsn: bigint;
}

/** Reads the cluster at `url` (one connection of its own, idle between readings). */
export interface PostgresProbe {
  read(): Promise<PostgresReading>;
  close(): Promise<void>;
}

const clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** Fields of /proc/PID/stat after the command name (which may hold spaces and parentheses). */
function statFields(pid: number): string[] | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    // Gone between the listing and the read: a backend that exited, its time now the postmaster's cutime.
    return undefined;
  }
}

/**
 * CPU ms of `root` and its children: its own user + system, what its reaped children used
 * (cutime + cstime: backends that exited), and each live child's own user + system.
 */
function treeCpuMs(root: number): number {
  const fields = statFields(root);
  if (fields === undefined) throw new Error(`no process ${root}`);
  // After the name: [0] state, [1] ppid, … [11] utime, [12] stime, [13] cutime, [14] cstime.
  let ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const child = statFields(Number(entry));
    if (child === undefined || Number(child[1]) !== root) continue;
    ticks += Number(child[11]) + Number(child[12]);
  }
  return (ticks * 1000) / clockTicks;
}

/** A probe of the cluster whose database `url` names (any database of it: the CPU is the cluster's). */
export async function openPostgresProbe(url: string): Promise<PostgresProbe> {
  const pool = openPool(url);
  const backend = (await pool.query<{ pid: number }>('select pg_backend_pid() as pid')).rows[0]!.pid;
  const postmaster = Number(statFields(backend)?.[1]);
  if (!Number.isInteger(postmaster) || postmaster <= 1) throw new Error(`cannot find the postmaster of backend ${backend}`);
  return {
    async read() {
      const { rows } = await pool.query<{ xid: string; lsn: string }>(
        "select pg_snapshot_xmax(pg_current_snapshot())::text as xid, pg_wal_lsn_diff(pg_current_wal_insert_lsn(), '0/0')::text as lsn",
      );
      return { cpuMs: treeCpuMs(postmaster), nextXid: BigInt(rows[0]!.xid), walLsn: BigInt(rows[0]!.lsn.split('.')[0]!) };
    },
    close: () => pool.end(),
  };
}

/** `after - before` per `uploads`: CPU ms, write transactions and WAL bytes of the cluster per upload. */
export function perUpload(before: PostgresReading, after: PostgresReading, uploads: number): { pgCpuMs: number; writeTransactions: number; walBytes: number } {
  return {
    pgCpuMs: (after.cpuMs - before.cpuMs) / uploads,
    writeTransactions: Number(after.nextXid - before.nextXid) / uploads,
    walBytes: Number(after.walLsn - before.walLsn) / uploads,
  };
}
