/**
 * A node whose database is down when a session's history must be opened or read: its client is
 * told `storageUnavailable` (the database is out of reach; not fatal) and the socket is closed
 * (1013), so the client binds again once it reconnects, to another node if it has one (a history
 * that fails to read for another reason: `internalError` and 1011, the same way). Before, the server ended the session
 * and kept the socket: the client's next message was answered with a fatal `unknownSession`,
 * which ended its sync for good (found by database-restart.test.ts). Skipped with one line
 * without PostgreSQL, mandatory under CI=true.
 */
import { afterEach, expect } from 'vitest';
import { usePostgresNodes } from '../support/postgres-nodes.js';
import { POSTGRES, requiring } from '../support/system-component.js';
import { bindSession, logIn, WireClient } from '../support/wire-client.js';

const pgAvailable = requiring(POSTGRES, 'the unreadable-history tests');
const sockets: WireClient[] = [];

pgAvailable.describe('a history the database cannot serve', () => {
  const suite = usePostgresNodes(() => pgAvailable.path!, 'nodes');
  afterEach(async () => {
    for (const socket of sockets.splice(0)) socket.close();
  });

  pgAvailable.it('an IDENT the node cannot check against the database: storageUnavailable, then the socket closes (1013) for the client to bind again', async () => {
    const { nodes } = await suite.fresh('unreadable');
    const node = await nodes.start({ pollIntervalMs: 600_000 });
    const { accessToken } = await logIn(node.url);
    // Holds the partition's handle open, so the next bind needs no read.
    await bindSession(node.url, accessToken, 'holder', sockets, 'p');
    suite.cluster().halt();
    try {
      const client = await WireClient.connect(node.url);
      sockets.push(client);
      client.send({ type: 'bind', session: 1, partition: 'p', token: accessToken });
      // Another epoch's cursors: the node reads the partition again before it answers.
      const cursors = { epoch: 'from-elsewhere', upload: { clientVersion: 1, serverVersion: 0 }, download: { serverVersion: 0, clientVersion: 0 } };
      client.send({ type: 'ident', session: 1, fileIdent: 'mover', cursors });
      const error = await client.next((m) => m.type === 'error', 20_000);
      expect(error).toMatchObject({ code: 'storageUnavailable', isFatal: false, tryAgain: true });
      // As a client might, before it sees the close: it sends again on its session.
      client.send({ type: 'mark', session: 1, requestId: 'again' });
      const closed = await Promise.race([client.closed, new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 5_000))]);
      expect(closed).toMatchObject({ code: 1013 });
      expect(client.received.filter((m) => m.type === 'error' && m.code === 'unknownSession')).toEqual([]);
    } finally {
      suite.cluster().resume();
    }
  });

  pgAvailable.it('a BIND the node cannot open from the database: storageUnavailable, then the socket closes (1013) for the client to bind again', async () => {
    const { nodes } = await suite.fresh('unreadable');
    const node = await nodes.start({ pollIntervalMs: 600_000 });
    const { accessToken } = await logIn(node.url);
    const client = await WireClient.connect(node.url);
    sockets.push(client);
    suite.cluster().halt();
    try {
      // No session holds `q` open: binding it reads the database.
      client.send({ type: 'bind', session: 1, partition: 'q', token: accessToken });
      client.send({ type: 'ident', session: 1, fileIdent: 'newcomer' });
      const error = await client.next((m) => m.type === 'error', 20_000);
      expect(error).toMatchObject({ code: 'storageUnavailable', isFatal: false, tryAgain: true });
      const closed = await Promise.race([client.closed, new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 5_000))]);
      expect(closed).toMatchObject({ code: 1013 });
      expect(client.received.filter((m) => m.type === 'error' && m.code === 'unknownSession')).toEqual([]);
    } finally {
      suite.cluster().resume();
    }
  });
});
