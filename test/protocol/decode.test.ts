import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  changesetBytes,
  decodeClientMessage,
  decodeServerMessage,
  encodeDownloadFrame,
  encodeMessage,
  ServerChangesetCodec,
  type DecodeFailure,
} from '../../src/protocol/index.js';
import { changeset, clientMessage, serverMessage } from './arbitraries.js';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const numRuns = Number(process.env.FC_RUNS ?? 1_000);

function failure(raw: string): DecodeFailure {
  const result = decodeClientMessage(raw);
  if (result._tag === 'Right') throw new Error(`decoded: ${raw}`);
  return result.left;
}

const upload = (ops: unknown) =>
  JSON.stringify({
    type: 'upload',
    session: 3,
    changesets: [{ clientVersion: 1, origin: 'f1', hlc: { wall: 1, counter: 0 }, ops }],
    progress: { clientVersion: 1, serverVersion: 0 },
  });

describe('protocol codecs', () => {
  it('every client and server message survives encode → decode unchanged', () => {
    fc.assert(
      fc.property(clientMessage, (m) => {
        expect(decodeClientMessage(encodeMessage(m, 'client'))).toEqual({ _tag: 'Right', right: m });
      }),
      { numRuns, seed },
    );
    fc.assert(
      fc.property(serverMessage, (m) => {
        expect(decodeServerMessage(encodeMessage(m, 'server'))).toEqual({ _tag: 'Right', right: m });
      }),
      { numRuns, seed },
    );
    console.log(`protocol round trip: ${numRuns} client and ${numRuns} server messages, seed ${seed}`);
  });

  it('a DOWNLOAD assembled from changeset JSON (encodeDownloadFrame) is the message encodeMessage makes', () => {
    fc.assert(
      fc.property(serverMessage, (m) => {
        if (m.type !== 'download') return;
        // The JSON a server history keeps per changeset: the codec's encoding of it.
        const json = m.changesets.map((c) => JSON.stringify(ServerChangesetCodec.encode(c)));
        const frame = encodeDownloadFrame(m, json);
        expect(JSON.parse(frame)).toEqual(JSON.parse(encodeMessage(m, 'server')));
        expect(decodeServerMessage(frame)).toEqual({ _tag: 'Right', right: m });
      }),
      { numRuns, seed },
    );
  });

  it('never throws on arbitrary frames, text or bytes', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json(), fc.uint8Array()), (raw) => {
        const result = decodeClientMessage(raw);
        expect(['Left', 'Right']).toContain(result._tag);
      }),
      { numRuns, seed },
    );
  });

  it('never throws on values nested to any depth, in any field', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('fields', 'hlc', 'top'), (depth, where) => {
        const deep = `${'['.repeat(depth)}1${']'.repeat(depth)}`;
        const frame =
          where === 'top'
            ? `{"type":"ping","timestamp":${deep}}`
            : upload([{ op: 'put', type: 'T', id: 'a', fields: { v: 'DEEP' } }]).replace('"DEEP"', where === 'fields' ? deep : '1').replace('{"wall":1,"counter":0}', where === 'hlc' ? deep : '{"wall":1,"counter":0}');
        const result = decodeClientMessage(frame);
        if (depth >= 32 || where !== 'fields') expect(result._tag).toBe('Left');
      }),
      { numRuns: 200, seed },
    );
  });

  it('names the error code and the path of what is wrong', () => {
    expect(failure('not json').code).toBe('badJson');
    expect(failure('{"type":"gossip"}')).toEqual({ code: 'unknownMessage', message: 'no message has type "gossip"' });
    expect(failure('[1,2]').code).toBe('unknownMessage');
    const bind = failure('{"type":"bind","session":4,"partition":"","token":"t"}');
    expect(bind).toEqual({ code: 'badMessage', session: 4, message: 'bind: partition: expected PartitionName, got "" (the partition is empty)' });
    const cursor = failure(
      '{"type":"ident","session":2,"fileIdent":"f","cursors":{"epoch":"e","upload":{"clientVersion":-1,"serverVersion":0},"download":{"serverVersion":0,"clientVersion":0}}}',
    );
    expect(cursor.message).toBe('ident: cursors.upload.clientVersion: expected Nat, got -1');
    expect(failure(upload([{ op: 'put', type: 'T', id: 'a', fields: { n: 'x' } }, { op: 'pat', type: 'T', id: 'b' }])).message).toContain(
      'changesets.0.ops.1',
    );
    expect(failure('{"type":"mark","session":0,"requestId":"m"}').message).toContain('session: expected SessionId');
  });

  it('drops unknown fields of changesets, so only the changeset itself is stored and fanned out', () => {
    const raw = JSON.parse(upload([{ op: 'delete', type: 'T', id: 'a', extra: 'x'.repeat(100) }]));
    raw.changesets[0].smuggled = { big: true };
    const result = decodeClientMessage(JSON.stringify(raw));
    expect(result._tag).toBe('Right');
    if (result._tag !== 'Right' || result.right.type !== 'upload') return;
    expect(result.right.changesets[0]).toEqual({ clientVersion: 1, origin: 'f1', hlc: { wall: 1, counter: 0 }, ops: [{ op: 'delete', type: 'T', id: 'a' }] });
  });

  it('counts changeset bytes as the UTF-8 length of its JSON, on both sides alike', () => {
    fc.assert(
      fc.property(changeset, (c) => {
        const wire = decodeServerMessage(
          encodeMessage({ type: 'download', session: 1, changesets: [{ ...c, serverVersion: 9 }], cursors: { serverVersion: 9, clientVersion: 0 }, uploadAck: 0, downloadableBytes: 0 }, 'server'),
        );
        if (wire._tag !== 'Right' || wire.right.type !== 'download') throw new Error('no download');
        expect(changesetBytes(wire.right.changesets[0]!)).toBe(changesetBytes(c));
        expect(changesetBytes(c)).toBe(Buffer.byteLength(JSON.stringify({ clientVersion: c.clientVersion, origin: c.origin, hlc: c.hlc, ops: c.ops })));
      }),
      { numRuns: Math.min(numRuns, 300), seed },
    );
  });
});
