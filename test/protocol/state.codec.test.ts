/**
 * The server's `state` message and the document entries it carries: the hand-written reader
 * accepts exactly what the composed io-ts shape accepts, and hostile frames (wrong types, huge
 * and unsafe numbers, forged stamps, `__proto__` names, deep values) are refused with the
 * path of what is wrong, or, where they are well formed, read as plain data.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeServerMessage, DocumentEntryCodec, documentEntryShape, type DecodeFailure, type ServerMessage } from '../../src/protocol/index.js';
import { readDocumentEntry } from '../../src/protocol/document-entry.reader.js';
import { documentEntry } from './arbitraries.js';
import { assertReaderAgrees } from './reader-agreement.js';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const numRuns = Number(process.env.FC_RUNS ?? 1_000);

const STAMP = [1764081000123, 0, '9f3a51c07be2d4e1', 0] as const;
const DOC = { type: 'Task', id: 't1', fields: [['title', 'x', STAMP]], tombstone: null };

/** The frame of a `state` message whose documents are `documents` (and other members `extra`). */
const frame = (documents: unknown, extra: Record<string, unknown> = {}): string => JSON.stringify({ type: 'state', session: 1, documents, downloadableBytes: 10, ...extra });

function decoded(raw: string): ServerMessage {
  const result = decodeServerMessage(raw);
  if (result._tag === 'Left') throw new Error(`refused: ${result.left.message}`);
  return result.right;
}

function refused(raw: string): DecodeFailure {
  const result = decodeServerMessage(raw);
  if (result._tag === 'Right') throw new Error(`decoded: ${raw.slice(0, 200)}`);
  return result.left;
}

/** `DOC` with the member at `key` replaced. */
const docWith = (key: string, value: unknown): unknown => ({ ...DOC, [key]: value });

/** Valid entries whose tombstone tuple has a fifth component (which the tuple codec strips). */
const longStamp = documentEntry.map((d) => ({ ...d, tombstone: [...(d.tombstone ?? [1, 0, 'o', 0]), 'extra'] }));

describe('document entry reader', () => {
  it('accepts every valid entry, and nothing the composed shape refuses, giving what it gives', () => {
    const { leftToCodec } = assertReaderAgrees(
      { name: 'DocumentEntry', valid: documentEntry as fc.Arbitrary<unknown>, extra: longStamp, read: readDocumentEntry, shape: documentEntryShape, codec: DocumentEntryCodec },
      numRuns,
      seed,
    );
    expect(leftToCodec).toBeGreaterThan(0);
  });

  it('drops unknown keys of a document, so only its state is stored', () => {
    const message = decoded(frame([{ ...DOC, smuggled: 'x'.repeat(100) }]));
    expect(message).toEqual({ type: 'state', session: 1, documents: [DOC], downloadableBytes: 10 });
  });
});

describe('state message: hostile frames', () => {
  const cases: ReadonlyArray<readonly [string, string, RegExp]> = [
    ['documents not an array', frame({ 0: DOC }), /^state: documents: expected/],
    ['documents null', frame(null), /^state: documents: expected/],
    ['a document that is a string', frame(['Task/t1']), /documents\.0: expected DocumentEntry/],
    ['an empty type', frame([docWith('type', '')]), /documents\.0\.type: expected NonEmptyString/],
    ['a numeric id', frame([docWith('id', 7)]), /documents\.0\.id: expected NonEmptyString/],
    ['fields as an object (a key could be __proto__)', frame([docWith('fields', { title: 'x' })]), /documents\.0\.fields: expected/],
    ['a field without a stamp', frame([docWith('fields', [['title', 'x']])]), /documents\.0\.fields\.0\.2: expected StampTuple/],
    ['a field name that is a number', frame([docWith('fields', [[1, 'x', STAMP]])]), /documents\.0\.fields\.0\.0: expected string/],
    ['a stamp of three parts', frame([docWith('tombstone', [1, 0, 'o'])]), /documents\.0\.tombstone/],
    ['a stamp as an object', frame([docWith('tombstone', { wall: 1, counter: 0, origin: 'o', opIndex: 0 })]), /documents\.0\.tombstone/],
    ['a stamp with an empty origin', frame([docWith('fields', [['a', 1, [1, 0, '', 0]]])]), /fields\.0\.2\.2: expected NonEmptyString/],
    ['a stamp with a numeric origin', frame([docWith('fields', [['a', 1, [1, 0, 5, 0]]])]), /fields\.0\.2\.2: expected NonEmptyString/],
    ['a negative wall', frame([docWith('fields', [['a', 1, [-1, 0, 'o', 0]]])]), /fields\.0\.2\.0: expected Nat/],
    ['a fractional counter', frame([docWith('fields', [['a', 1, [1, 0.5, 'o', 0]]])]), /fields\.0\.2\.1: expected Nat/],
    ['a wall past the safe integers', frame([docWith('fields', [['a', 1, [2 ** 53, 0, 'o', 0]]])]), /fields\.0\.2\.0: expected Nat/],
    ['a huge opIndex (1e308)', `{"type":"state","session":1,"documents":[{"type":"T","id":"i","fields":[["a",1,[1,0,"o",1e308]]],"tombstone":null}],"downloadableBytes":1}`, /fields\.0\.2\.3: expected Nat/],
    ['an overflowing number (1e999 parses as Infinity)', `{"type":"state","session":1,"documents":[{"type":"T","id":"i","fields":[["a",1e999,[1,0,"o",0]]],"tombstone":null}],"downloadableBytes":1}`, /fields\.0\.1: expected Json/],
    ['a wall of "NaN"', frame([docWith('tombstone', ['NaN', 0, 'o', 0])]), /tombstone/],
    ['a wall of null (what JSON makes of NaN)', frame([docWith('tombstone', [null, 0, 'o', 0])]), /tombstone/],
    ['a tombstone of false', frame([docWith('tombstone', false)]), /tombstone/],
    ['no tombstone member', frame([{ type: 'T', id: 'i', fields: [] }]), /documents\.0\.tombstone/],
    ['negative downloadableBytes', frame([DOC], { downloadableBytes: -1 }), /^state: downloadableBytes: expected Nat/],
    ['unsafe downloadableBytes', frame([DOC], { downloadableBytes: 2 ** 53 }), /^state: downloadableBytes: expected Nat/],
    ['downloadableBytes as a string', frame([DOC], { downloadableBytes: '10' }), /^state: downloadableBytes: expected Nat/],
    ['session 0', frame([DOC], { session: 0 }), /^state: session: expected SessionId/],
    ['a value nested 33 deep', frame([docWith('fields', [['a', JSON.parse(`${'['.repeat(33)}1${']'.repeat(33)}`), STAMP]])]), /fields\.0\.1: expected Json/],
  ];
  for (const [what, raw, path] of cases) {
    it(`refuses ${what}, naming where`, () => {
      const failure = refused(raw);
      expect(failure.code).toBe('badMessage');
      expect(failure.message).toMatch(path);
    });
  }

  it('never throws on documents nested to any depth, in any member', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20_000 }), fc.constantFrom('value', 'stamp', 'fields', 'documents'), (depth, where) => {
        const deep = `${'['.repeat(depth)}1${']'.repeat(depth)}`;
        const raw =
          where === 'documents'
            ? `{"type":"state","session":1,"documents":${deep},"downloadableBytes":1}`
            : `{"type":"state","session":1,"documents":[{"type":"T","id":"i","fields":${where === 'fields' ? deep : `[["a",${where === 'value' ? deep : '1'},${where === 'stamp' ? deep : '[1,0,"o",0]'}]]`},"tombstone":null}],"downloadableBytes":1}`;
        const result = decodeServerMessage(raw);
        if (where !== 'value' || depth >= 32) expect(result._tag).toBe('Left');
        else expect(result._tag).toBe('Right');
      }),
      { numRuns: 200, seed },
    );
  });

  it('reads __proto__ as a name like any other: a field, a type, an id, a member of a value; no prototype changes', () => {
    const raw =
      '{"type":"state","session":1,"documents":[{"type":"__proto__","id":"__proto__","fields":[["__proto__",{"__proto__":{"polluted":true}},[1,0,"__proto__",0]],["constructor","c",[1,0,"o",1]]],"tombstone":null,"__proto__":{"polluted":true}}],"downloadableBytes":1}';
    const message = decoded(raw);
    if (message.type !== 'state') throw new Error('not a state message');
    const [doc] = message.documents;
    expect(doc?.type).toBe('__proto__');
    expect(doc?.fields.map(([name]) => name)).toEqual(['__proto__', 'constructor']);
    expect(Object.getPrototypeOf(doc)).toBe(Object.prototype);
    // The value is plain data with an own `__proto__` key, not an object with a changed prototype.
    const value = doc?.fields[0]?.[1] as Record<string, unknown>;
    expect(Object.hasOwn(value, '__proto__')).toBe(true);
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.keys(doc ?? {})).toEqual(['type', 'id', 'fields', 'tombstone']);
  });

  it('strips extra components of a forged stamp tuple, as the io-ts tuple does: only the four parts are kept', () => {
    const message = decoded(frame([docWith('tombstone', [1, 2, 'o', 3, 'smuggled', { big: true }])]));
    if (message.type !== 'state') throw new Error('not a state message');
    expect(message.documents[0]?.tombstone).toEqual([1, 2, 'o', 3]);
  });

  it('takes stamps at the safe-integer edge (the store bounds the clock it follows, not the stamp)', () => {
    const max = Number.MAX_SAFE_INTEGER;
    const message = decoded(frame([docWith('fields', [['a', 1, [max, max, 'o', max]]])]));
    if (message.type !== 'state') throw new Error('not a state message');
    expect(message.documents[0]?.fields[0]?.[2]).toEqual([max, max, 'o', max]);
  });
});

describe('ident: historyRetentionMs', () => {
  const ident = (historyRetentionMs: unknown): string => JSON.stringify({ type: 'ident', session: 1, fileIdent: 'f', epoch: 'e', historyRetentionMs });
  it('is a positive safe integer, or absent', () => {
    expect(decoded(ident(1))).toMatchObject({ historyRetentionMs: 1 });
    expect(decoded(ident(Number.MAX_SAFE_INTEGER))).toMatchObject({ historyRetentionMs: Number.MAX_SAFE_INTEGER });
    expect(decoded(JSON.stringify({ type: 'ident', session: 1, fileIdent: 'f', epoch: 'e' }))).not.toHaveProperty('historyRetentionMs');
    for (const bad of [0, -1, 1.5, 2 ** 53, '1000', null, true]) expect(refused(ident(bad)).message, String(bad)).toMatch(/historyRetentionMs: expected PositiveInt/);
  });
});
