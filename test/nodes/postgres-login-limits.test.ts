/**
 * Failed logins on two server nodes of one PostgreSQL database, in this process: guesses spread
 * over both nodes meet one limit (`perEmail` in total, not per node), a success on one node
 * forgets the email's failures on the other, and a node whose database is out of reach answers
 * 503 to a login rather than check it unlimited. Real nodes (`startServer({ postgres })`), real
 * HTTP, a real throwaway PostgreSQL; skipped with one line without it, mandatory under CI=true.
 */
import type pg from 'pg';
import { expect } from 'vitest';
import { openPool } from '../support/pg-pool.js';
import { usePostgresNodes } from '../support/postgres-nodes.js';
import { POSTGRES, requiring } from '../support/system-component.js';

const pgAvailable = requiring(POSTGRES, 'the several-nodes tests');
const WINDOW = 60_000;
let clock = 1_800_000_000_000;


const login = async (url: string, email: string, password: string): Promise<{ status: number; retryAfter: string | null; error: unknown }> => {
  const res = await fetch(`${url}/auth/login`, { method: 'POST', body: JSON.stringify({ provider: 'emailPassword', email, password }) });
  const body = (await res.json().catch(() => ({}))) as { error?: unknown };
  return { status: res.status, retryAfter: res.headers.get('retry-after'), error: body.error };
};

pgAvailable.describe('failed logins on several nodes', () => {
  const suite = usePostgresNodes(() => pgAvailable.path!, 'login_limits');
  const freshNodes = () => suite.fresh();

  pgAvailable.it('guesses spread over two nodes get 429 at perEmail in total, on both; a success on one forgets them on the other', async () => {
    const { nodes: n } = await freshNodes();
    const options = { now: () => clock, users: [{ email: 'ann@example.com', password: 'right' }], loginAttempts: { perEmail: 4, perAddress: 1_000, windowMs: WINDOW } };
    const one = await n.start(options);
    const two = await n.start(options);
    const opened = clock;
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await login(i % 2 === 0 ? one.url : two.url, 'ann@example.com', `guess-${i}`)).status);
    // Each node counting its own would have allowed 8 (4 each): 401 × 6.
    expect(statuses).toEqual([401, 401, 401, 401, 429, 429]);
    clock += 10_000;
    const seconds = String((opened + WINDOW - clock) / 1000);
    expect(await login(one.url, 'ann@example.com', 'right')).toMatchObject({ status: 429, retryAfter: seconds });
    expect(await login(two.url, 'ann@example.com', 'right')).toMatchObject({ status: 429, retryAfter: seconds });
    clock = opened + WINDOW;
    expect((await login(one.url, 'ann@example.com', 'right')).status).toBe(200);
    // The success on node one forgot the failures for node two: four more guesses are checked.
    const again: number[] = [];
    for (let i = 0; i < 5; i++) again.push((await login(i % 2 === 0 ? two.url : one.url, 'ann@example.com', `again-${i}`)).status);
    expect(again).toEqual([401, 401, 401, 401, 429]);
    console.log(`login limits on 2 nodes: guesses alternating over both: ${statuses.join(' ')} (perEmail 4 in total); after a success on one, ${again.join(' ')}`);
  }, 60_000);

  pgAvailable.it('concurrent guesses at both nodes: exactly perEmail are checked', async () => {
    const { nodes: n } = await freshNodes();
    const options = { now: () => clock, users: [{ email: 'ann@example.com', password: 'right' }], loginAttempts: { perEmail: 3, windowMs: WINDOW } };
    const one = await n.start(options);
    const two = await n.start(options);
    const statuses = await Promise.all(Array.from({ length: 20 }, (_, i) => login(i % 2 === 0 ? one.url : two.url, 'bob@example.com', `guess-${i}`).then((r) => r.status)));
    expect(statuses.filter((s) => s === 401)).toHaveLength(3);
    expect(statuses.filter((s) => s === 429)).toHaveLength(17);
  }, 60_000);

  pgAvailable.it('a node whose database is out of reach answers a login 503, never checks it unlimited', async () => {
    const { nodes: n, name } = await freshNodes();
    const node = await n.start({ now: () => clock, users: [{ email: 'ann@example.com', password: 'right' }], loginAttempts: { perEmail: 3, windowMs: WINDOW } });
    expect((await login(node.url, 'ann@example.com', 'wrong')).status).toBe(401);
    const admin: pg.Pool = openPool(suite.cluster().url);
    try {
      await admin.query(`alter database ${name} allow_connections false`);
      await admin.query('select pg_terminate_backend(pid) from pg_stat_activity where datname = $1', [name]);
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) {
        const answer = await login(node.url, 'ann@example.com', `guess-${i}`);
        statuses.push(answer.status);
        expect(answer.error).toMatch(/failed-login limits cannot be checked/);
      }
      expect(statuses).toEqual([503, 503, 503, 503, 503]);
    } finally {
      await admin.query(`alter database ${name} allow_connections true`);
      await admin.end();
    }
  }, 60_000);
});
