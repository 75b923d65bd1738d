/**
 * The server holds keys to the protocol's limits (PROTOCOL.md "Limits") before anything is
 * stored: a BIND whose partition is past its limit or not storable text is `badMessage` for
 * that session (the socket goes on, no partition is made), an IDENT's file ident likewise, and
 * an uploaded changeset with such a type or id is refused with `badChangeset` (those before it
 * are stored, the session goes on). Keys exactly at the limits, random multi-byte text, go
 * through whole: stored, folded, reset and downloaded byte for byte.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Changeset } from '../../src/protocol/changeset.codec.js';
import { MAX_FILE_IDENT_BYTES, MAX_OBJECT_ID_BYTES, MAX_OBJECT_TYPE_BYTES, MAX_PARTITION_BYTES } from '../../src/protocol/limits.js';
import { startServer, type SyncServer } from '../../src/server/index.js';
import { partitionDirectory } from '../../src/server/storage/file/partition-files.js';
import { randomHex, randomKey } from '../support/random-keys.js';
import { seededUniform } from '../support/seeded-random.js';
import { downloadEverything } from '../support/wire-download.js';
import { is, logIn, WireClient, type Login } from '../support/wire-client.js';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const random = seededUniform(seed);
let dir: string;
let server: SyncServer;
let user: Login;
const sockets: WireClient[] = [];

const partitions = (): string[] => (existsSync(join(dir, 'partitions')) ? readdirSync(join(dir, 'partitions')).sort() : []);

const put = (origin: string, clientVersion: number, type: string, id: string): Changeset => ({
  clientVersion,
  origin,
  hlc: { wall: 1_000 + clientVersion, counter: 0 },
  ops: [{ op: 'put', type, id, fields: { n: clientVersion } }],
});

async function connect(): Promise<WireClient> {
  const client = await WireClient.connect(server.url);
  sockets.push(client);
  return client;
}

/** BIND and IDENT session `session` on `client`, up to its first DOWNLOAD. */
async function bind(client: WireClient, session: number, partition: string, fileIdent: string): Promise<void> {
  client.send({ type: 'bind', session, partition, token: user.accessToken });
  client.send({ type: 'ident', session, fileIdent });
  await client.next(is('ident', session));
  await client.next(is('download', session));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'key-limits-'));
  server = await startServer({ dataDir: dir });
  user = await logIn(server.url);
  console.log(`key limits on the server: random keys from seed ${seed}`);
});

afterAll(async () => {
  for (const s of sockets) s.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the server holds keys to the protocol limits before storing anything', () => {
  it('BIND with a partition one byte past its limit, with a NUL or a lone surrogate: badMessage for that session, no partition made; the socket goes on', async () => {
    const c = await connect();
    const before = partitions();
    const bad = [randomKey(MAX_PARTITION_BYTES + 1, random), `${'p'.repeat(MAX_PARTITION_BYTES - 1)}é`, 'team\u0000', 'team\ud800', '\udc00team'];
    for (const [i, partition] of bad.entries()) {
      // Raw, as a hostile client sends it: `encodeMessage` is the codec's, and the codec refuses none of it on encode.
      c.sendRaw(JSON.stringify({ type: 'bind', session: 10 + i, partition, token: user.accessToken }));
      const error = await c.next(is('error', 10 + i));
      expect(error, JSON.stringify(partition).slice(0, 40)).toMatchObject({ code: 'badMessage', category: 'protocol', isFatal: true, session: 10 + i });
      expect(error.message).toMatch(/^bind: partition: expected PartitionName, got .*\(the partition (is \d+ bytes of UTF-8, over the limit of 512|holds (a NUL|the lone surrogate U\+D[89A-F][0-9A-F]{2}) at index \d+, which no key may hold)\)$/);
      // Nothing was bound: a message for the session is unknownSession.
      c.send({ type: 'mark', session: 10 + i, requestId: 'm' });
      expect(await c.next(is('error', 10 + i))).toMatchObject({ code: 'unknownSession' });
      expect(existsSync(partitionDirectory(join(dir, 'partitions'), partition))).toBe(false);
    }
    expect(partitions()).toEqual(before);
    // The socket goes on, and the same session number binds a partition exactly at the limit.
    c.send({ type: 'ping', timestamp: 5 });
    expect(await c.next(is('pong'))).toEqual({ type: 'pong', timestamp: 5 });
    await bind(c, 10, randomKey(MAX_PARTITION_BYTES, random), 'at-limit');
  });

  it('resetPartition, deletePartition and compactPartition refuse a name no client could bind (TypeError), making nothing', async () => {
    const before = readdirSync(dir).length;
    for (const bad of ['', 'x'.repeat(MAX_PARTITION_BYTES + 1), 'a\u0000b', '\ud800', 42 as unknown as string]) {
      await expect(server.resetPartition(bad)).rejects.toThrow(TypeError);
      await expect(server.deletePartition(bad)).rejects.toThrow(/deletePartition: the partition/);
      await expect(server.compactPartition(bad)).rejects.toThrow(TypeError);
    }
    expect(readdirSync(dir).length).toBe(before);
  });

  it('IDENT with a file ident one byte past its limit or not storable text: badMessage, the session ends', async () => {
    const c = await connect();
    for (const [i, fileIdent] of [randomHex(MAX_FILE_IDENT_BYTES + 1, random), 'f\u0000', 'f\udbff'].entries()) {
      const session = 20 + i;
      c.send({ type: 'bind', session, partition: 'idents', token: user.accessToken });
      c.sendRaw(JSON.stringify({ type: 'ident', session, fileIdent }));
      expect(await c.next(is('error', session))).toMatchObject({ code: 'badMessage', session });
      c.send({ type: 'mark', session, requestId: 'm' });
      expect(await c.next(is('error', session))).toMatchObject({ code: 'unknownSession' });
    }
    await bind(c, 30, 'idents', randomHex(MAX_FILE_IDENT_BYTES, random));
  });

  it('UPLOAD: a changeset whose type or id is past its limit or not storable is refused (badChangeset), those before it stored, nothing of it; keys at the limits go through reset and download whole', async () => {
    const partition = randomKey(MAX_PARTITION_BYTES, random);
    const origin = randomHex(MAX_FILE_IDENT_BYTES, random);
    const type = randomKey(MAX_OBJECT_TYPE_BYTES, random);
    const id = randomKey(MAX_OBJECT_ID_BYTES, random);
    const c = await connect();
    await bind(c, 1, partition, origin);
    const first = put(origin, 1, type, id);
    const refused: Array<[string, Changeset]> = [
      ['an id one byte past', put(origin, 2, type, randomKey(MAX_OBJECT_ID_BYTES + 1, random))],
      ['a type one byte past', put(origin, 2, randomKey(MAX_OBJECT_TYPE_BYTES + 1, random), 'x')],
      ['an id with a NUL', put(origin, 2, 'T', 'a\u0000b')],
      ['a type with a lone high surrogate', put(origin, 2, 'T\ud800', 'x')],
      ['an id with a lone low surrogate', put(origin, 2, 'T', '\udc00')],
    ];
    // The first bad one rides with a good one: the good one is stored and acknowledged.
    c.sendRaw(JSON.stringify({ type: 'upload', session: 1, changesets: [first, refused[0]![1]], progress: { clientVersion: 2, serverVersion: 0 } }));
    expect(await c.next((m) => m.type === 'download' && m.uploadAck === 1)).toMatchObject({ type: 'download' });
    for (const [i, [name, changeset]] of refused.entries()) {
      if (i > 0) c.sendRaw(JSON.stringify({ type: 'upload', session: 1, changesets: [changeset], progress: { clientVersion: 2, serverVersion: 0 } }));
      const error = await c.next(is('error', 1));
      expect(error, name).toMatchObject({ code: 'badChangeset', category: 'session', isFatal: false, session: 1 });
      expect(error.message, name).toMatch(/^changeset 2 refused: operation 0: the (type|id) (is \d+ bytes of UTF-8, over the limit of (256|1024)|holds .* at index \d+, which no key may hold)$/);
    }
    // The session went on throughout: the right changeset 2 is taken.
    const second = put(origin, 2, type, randomKey(MAX_OBJECT_ID_BYTES, random));
    c.send({ type: 'upload', session: 1, changesets: [second], progress: { clientVersion: 2, serverVersion: 0 } });
    await c.next((m) => m.type === 'download' && m.uploadAck === 2);
    // A reader gets exactly the two, keys byte for byte; so after a fold and after a reset.
    /** What a fresh reader of the partition ends up holding: [origin, type, id, n] per document, sorted. */
    const read = async (session: number): Promise<string[]> => {
      const reader = await connect();
      reader.send({ type: 'bind', session, partition, token: user.accessToken });
      reader.send({ type: 'ident', session, fileIdent: `reader-${session}` });
      await reader.next(is('ident', session));
      const { set } = await downloadEverything(reader, session);
      reader.close();
      return [...set.entries()].map(({ type, id, state }) => JSON.stringify([state.fields['n']?.stamp.origin, type, id, state.fields['n']?.value])).sort();
    };
    const expected = [first, second].map((cs) => JSON.stringify([origin, cs.ops[0]!.type, cs.ops[0]!.id, cs.clientVersion])).sort();
    expect(await read(2)).toEqual(expected);
    await server.compactPartition(partition);
    expect(await read(3)).toEqual(expected);
    await server.resetPartition(partition);
    expect(await read(4)).toEqual(expected);
  });
});
