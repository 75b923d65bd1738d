/**
 * The epoch of a partition that was never written (it has no row yet): the same on every node
 * of one database, so a client told it by one node and uploading through another is not reset
 * for nothing. Derived from the database's installation id (made once by migration 4) and the
 * partition's name; the epochs a reset begins stay random (`postgres-partition.ts`).
 */
import { createHmac } from 'node:crypto';
import type { Pool } from 'pg';

/** The database's installation id (migration 4 makes it): what the initial epochs of this database derive from. */
export async function readInstallationId(pool: Pool): Promise<string> {
  const { rows } = await pool.query<{ id: string }>('select id from sync_installation');
  const id = rows[0]?.id;
  if (rows.length !== 1 || id === undefined || id.length === 0) throw new Error(`sync_installation holds ${rows.length} rows, not one installation id`);
  return id;
}

/**
 * The initial epoch of `partition` in the database of `installationId`: 12 hex characters, as a
 * random epoch (6 bytes). Keyed by the installation id, so two databases (a restored copy
 * aside) do not share epochs: a client moved to another server's database is reset.
 */
export function initialEpoch(installationId: string, partition: string): string {
  return createHmac('sha256', installationId).update(partition, 'utf8').digest('hex').slice(0, 12);
}
