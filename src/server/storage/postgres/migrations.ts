/**
 * The PostgreSQL backend's schema, as versioned migrations, and the runner that brings a
 * database up to date when a node starts. Idempotent (a migration applied is recorded and never
 * applied again) and safe when several nodes start at once: the whole run holds one
 * transaction-scoped advisory lock, so a second node waits, then finds the work done. A
 * migration is applied in the same transaction as its record, so a failure leaves the database
 * at the version before it. A database newer than this code (a node left behind by an upgrade)
 * is refused, never written to.
 *
 * Written here rather than taken from a migration library: the whole need is an ordered list,
 * one lock and one table, and a library would bring its own file layout and CLI for that.
 */
import type { Pool } from 'pg';
import { withTransaction, type Transaction } from './transaction.js';

/** One schema change: applied once, in version order, in one transaction with its record. */
export interface Migration {
  /** 1, 2, 3…: consecutive. */
  readonly version: number;
  /** What it does, recorded beside its version; a database whose record names another is refused. */
  readonly name: string;
  readonly statements: readonly string[];
}

/** Why a database cannot be brought to this code's schema. */
export class SchemaMismatchError extends Error {
  override readonly name = 'SchemaMismatchError';
  constructor(
    readonly code: 'schemaTooNew' | 'schemaDiverged' | 'badMigrations',
    message: string,
  ) {
    super(message);
  }
}

/** What a run found and did. */
export interface MigrationReport {
  /** Versions this run applied (empty when the database was up to date). */
  readonly applied: readonly number[];
  /** The database's schema version after the run. */
  readonly version: number;
}

/** The advisory lock key of migration runs: one number every node agrees on. */
const MIGRATION_LOCK = 7_301_113_001;

/**
 * The schema of the PostgreSQL backend (issue 14). A partition row holds its epoch and counters;
 * server versions are assigned by updating `latest` in the uploading transaction, so they are
 * gap-free and in commit order per partition; the unique constraint on (partition, epoch,
 * origin, client version) is what makes a re-sent upload integrate once, on any node.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'partitions, origins, changesets, state documents, auth',
    statements: [
      `create table sync_partitions (
        partition text primary key,
        epoch text not null,
        latest bigint not null default 0 check (latest >= 0),
        state_version bigint not null default 0 check (state_version >= 0 and state_version <= latest),
        expired_through bigint not null default 0 check (expired_through >= 0),
        oldest_tombstone_at bigint
      )`,
      `create table sync_origins (
        partition text not null references sync_partitions on delete cascade,
        origin text not null,
        client_version bigint not null check (client_version > 0),
        owner text,
        primary key (partition, origin)
      )`,
      `create table sync_changesets (
        partition text not null references sync_partitions on delete cascade,
        epoch text not null,
        server_version bigint not null check (server_version > 0),
        origin text not null,
        client_version bigint not null check (client_version > 0),
        received_at bigint not null check (received_at >= 0),
        bytes integer not null check (bytes >= 0),
        json text not null,
        primary key (partition, server_version),
        unique (partition, epoch, origin, client_version)
      )`,
      `create table sync_documents (
        partition text not null references sync_partitions on delete cascade,
        type text not null,
        id text not null,
        v bigint not null,
        at bigint not null,
        has_tombstone boolean not null,
        json text not null,
        primary key (partition, type, id)
      )`,
      `create index sync_documents_by_version on sync_documents (partition, v)`,
      `create table sync_users (
        seq bigserial primary key,
        email text not null,
        record jsonb not null
      )`,
      `create index sync_users_by_email on sync_users (email)`,
      `create table sync_revoked_users (
        user_id text primary key,
        seq bigserial not null
      )`,
      `create table sync_secrets (
        name text primary key,
        value text not null
      )`,
    ],
  },
  {
    // v1's btree keys on the raw email and user id refuse a key above ~2.7 kB (a btree entry
    // must fit a third of a page), so one long email or user id made `addUser`/`revoke` fail,
    // where the file backend keeps records of any size. The email's index becomes a hash index
    // (it keeps 4 bytes a row, whatever the length); a revocation is unique by the SHA-256 of its
    // id (what `insert … on conflict do nothing` deduplicates on), and `seq` becomes the key.
    version: 2,
    name: 'auth keys of any length: email hash index, revocations unique by sha256 of the id',
    statements: [
      `drop index sync_users_by_email`,
      `create index sync_users_by_email on sync_users using hash (email)`,
      // convert_to is only stable (it reads the database's encoding, fixed for a database's life),
      // and an index expression must be immutable: this wrapper says so for the one use here.
      `create function sync_text_sha256(t text) returns bytea
        language sql immutable strict parallel safe
        as $$ select sha256(convert_to(t, 'UTF8')) $$`,
      `alter table sync_revoked_users drop constraint sync_revoked_users_pkey`,
      `alter table sync_revoked_users add primary key (seq)`,
      `create unique index sync_revoked_users_by_id on sync_revoked_users (sync_text_sha256(user_id))`,
    ],
  },
  {
    // Why: `PartitionHandle.stateBytes` is a synchronous getter and a fold reports the state's
    // documents; without counters, opening (or refreshing) a handle would sum every document's
    // JSON of the partition. The counters are kept in the fold's (and reset's) own transaction,
    // so they are exactly the documents' UTF-8 bytes and count. The partial index serves the
    // retention pass and `oldest_tombstone_at` (both look only at tombstones, by age) without
    // scanning the partition's live documents.
    version: 3,
    name: 'state byte and document counters, tombstones by age',
    statements: [
      `alter table sync_partitions
        add column state_bytes bigint not null default 0 check (state_bytes >= 0),
        add column state_documents bigint not null default 0 check (state_documents >= 0)`,
      `create index sync_documents_tombstones_by_age on sync_documents (partition, at) where has_tombstone`,
    ],
  },
  {
    // Why: a partition never written has no row, so its epoch was each handle's own random one,
    // and two nodes answered different epochs for it: a client that learnt node B's, then
    // uploaded into node A's (made durable first), was reset on its next IDENT for nothing. The
    // initial epoch is now derived from this database's installation id and the partition's name
    // (`initialEpoch`), the same on every node. The migration itself makes the id, once: the
    // runner holds its advisory lock, so nodes migrating at once all read the one row it made.
    version: 4,
    name: 'installation id: initial epochs agreed by every node',
    statements: [
      `create table sync_installation (
        singleton boolean primary key default true check (singleton),
        id text not null
      )`,
      `insert into sync_installation (id) values (gen_random_uuid()::text)`,
    ],
  },
  {
    // Why: the failed-login windows were each node's own memory, so n nodes allowed n × the
    // attempts. One row per window (kind 'email' keyed by the email's digest, 'address' by the
    // client's address key, never a raw email), decided by an upsert under the row's lock; the
    // age index serves the sweep of ended windows and the eviction of the oldest.
    version: 5,
    name: 'login attempt windows shared by every node',
    statements: [
      `create table sync_login_attempts (
        kind text not null check (kind in ('email', 'address')),
        key text not null,
        count integer not null check (count >= 0),
        opened_at bigint not null,
        primary key (kind, key)
      )`,
      `create index sync_login_attempts_by_age on sync_login_attempts (kind, opened_at)`,
    ],
  },
];

/** Why `migrations` is not a list the runner takes (versions 1, 2, 3… with names), or undefined. */
function migrationsProblem(migrations: readonly Migration[]): string | undefined {
  for (const [i, m] of migrations.entries()) {
    if (m.version !== i + 1) return `migration ${i} has version ${String(m.version)}, expected ${i + 1}`;
    if (typeof m.name !== 'string' || m.name.length === 0) return `migration ${m.version} has no name`;
    if (!Array.isArray(m.statements) || m.statements.length === 0) return `migration ${m.version} has no statements`;
  }
  return undefined;
}

/**
 * Brings the database behind `pool` to the newest of `migrations` (default {@link MIGRATIONS}):
 * under the migration lock, in one transaction. Rejects with a {@link SchemaMismatchError} when
 * the database holds a version this code does not know, or a version under another name.
 */
export async function migrate(pool: Pool, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationReport> {
  const problem = migrationsProblem(migrations);
  if (problem !== undefined) throw new SchemaMismatchError('badMigrations', problem);
  return withTransaction(pool, {}, async (tx: Transaction) => {
    await tx.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(`create table if not exists sync_migrations (
      version integer primary key,
      name text not null,
      applied_at timestamptz not null default now()
    )`);
    const rows = await tx.query<{ version: number; name: string }>('select version, name from sync_migrations order by version');
    for (const [i, row] of rows.entries()) {
      if (row.version !== i + 1) throw new SchemaMismatchError('schemaDiverged', `the database records schema version ${row.version} where ${i + 1} was due`);
      const known = migrations[row.version - 1];
      if (known === undefined) {
        throw new SchemaMismatchError('schemaTooNew', `the database is at schema version ${row.version}, newer than this server's ${migrations.length}: upgrade this node`);
      }
      if (known.name !== row.name) {
        throw new SchemaMismatchError('schemaDiverged', `the database's schema version ${row.version} is "${row.name}", this server's is "${known.name}"`);
      }
    }
    const applied: number[] = [];
    for (const m of migrations.slice(rows.length)) {
      // The statements are this module's constants (no value is built into them): plain text.
      for (const statement of m.statements) await tx.query(statement);
      await tx.query('insert into sync_migrations (version, name) values ($1, $2)', [m.version, m.name]);
      applied.push(m.version);
    }
    return { applied, version: migrations.length };
  });
}
