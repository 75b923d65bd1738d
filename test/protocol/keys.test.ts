/**
 * Keys on the wire, from raw frames: a partition (BIND), a file ident (IDENT both ways), a
 * document type and id (a changeset of UPLOAD, which the server refuses one changeset at a
 * time). Exactly at each limit and one byte past, multi-byte UTF-8 at the boundary, NUL, lone
 * high and low surrogates; a well-formed surrogate pair is kept.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeClientMessage,
  decodeServerMessage,
  keyProblem,
  MAX_FILE_IDENT_BYTES,
  MAX_OBJECT_ID_BYTES,
  MAX_OBJECT_TYPE_BYTES,
  MAX_PARTITION_BYTES,
  type Changeset,
  type KeyKind,
} from '../../src/protocol/index.js';
import { planUpload } from '../../src/server/upload-plan.js';
import { seededUniform } from '../support/seeded-random.js';
import { randomKey } from '../support/random-keys.js';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const random = seededUniform(seed);

/** One case: a key as a JS string, and whether the protocol takes it (else a pattern of the reason). */
interface Case {
  readonly name: string;
  readonly key: string;
  readonly refusal?: RegExp;
}

/** The boundary cases of a key limited to `max` bytes. */
function casesFor(max: number): Case[] {
  const a = (n: number): string => 'a'.repeat(n);
  const over = new RegExp(`is ${max + 1} bytes of UTF-8, over the limit of ${max}$`);
  return [
    { name: 'ASCII exactly at the limit', key: a(max) },
    { name: 'ASCII one byte past', key: a(max + 1), refusal: over },
    { name: 'a 2-byte character ending at the limit', key: `${a(max - 2)}é` },
    { name: 'a 2-byte character across the limit', key: `${a(max - 1)}é`, refusal: over },
    { name: 'a 3-byte character ending at the limit', key: `${a(max - 3)}€` },
    { name: 'a 3-byte character across the limit', key: `${a(max - 2)}€`, refusal: over },
    { name: 'a surrogate pair (4 bytes) ending at the limit', key: `${a(max - 4)}\u{1F600}` },
    { name: 'a surrogate pair across the limit', key: `${a(max - 3)}\u{1F600}`, refusal: over },
    { name: 'only surrogate pairs, at the limit (a quarter as many characters)', key: '\u{1F600}'.repeat(max / 4) },
    { name: 'random code points of 1–4 bytes, at the limit', key: randomKey(max, random) },
    { name: 'random code points of 1–4 bytes, one byte past', key: randomKey(max + 1, random), refusal: over },
    { name: 'empty', key: '', refusal: /is empty$/ },
    { name: 'a NUL alone', key: '\u0000', refusal: /holds a NUL at index 0/ },
    { name: 'a NUL inside', key: 'ab\u0000c', refusal: /holds a NUL at index 2/ },
    { name: 'a lone high surrogate at the end', key: 'ab\ud800', refusal: /holds the lone surrogate U\+D800 at index 2/ },
    { name: 'a high surrogate before a non-surrogate', key: '\udbffa', refusal: /lone surrogate U\+DBFF at index 0/ },
    { name: 'a lone low surrogate', key: 'x\udc00', refusal: /lone surrogate U\+DC00 at index 1/ },
    { name: 'a pair reversed (low, then high)', key: '\udfff\ud800', refusal: /lone surrogate U\+DFFF at index 0/ },
    { name: 'two highs, then a low: the first is lone', key: '\ud800\ud800\udc00', refusal: /lone surrogate U\+D800 at index 0/ },
    { name: 'a well-formed pair', key: '\ud83d\ude00' },
    { name: 'a NUL past the limit: the NUL is named', key: `\u0000${a(max)}`, refusal: /holds a NUL/ },
  ];
}

/** The frame as the peer sends it, text (JSON escapes for NUL and lone surrogates, as `JSON.stringify` writes them) and as UTF-8 bytes. */
function frames(message: object): Array<string | Uint8Array> {
  const text = JSON.stringify(message);
  return [text, new Uint8Array(Buffer.from(text, 'utf8'))];
}

/** The reason `readableErrors` gives in parentheses at the end of a refusal. */
const reasonOf = (message: string): string => / \((the [^]*)\)$/.exec(message)?.[1] ?? `(no reason in ${message})`;

const limits: ReadonlyArray<[KeyKind, number]> = [
  ['partition', MAX_PARTITION_BYTES],
  ['fileIdent', MAX_FILE_IDENT_BYTES],
  ['type', MAX_OBJECT_TYPE_BYTES],
  ['id', MAX_OBJECT_ID_BYTES],
];

describe('key limits on raw frames', () => {
  it('the limits keep the widest PostgreSQL index entries (partition+type+id; partition+epoch+origin) well under 2704 bytes', () => {
    // ~4 bytes of header per text column, 8 per index tuple, the epoch 12 hex digits, a bigint.
    expect(MAX_PARTITION_BYTES + MAX_OBJECT_TYPE_BYTES + MAX_OBJECT_ID_BYTES + 3 * 4 + 8).toBeLessThan(2704 * 0.7);
    expect(MAX_PARTITION_BYTES + 12 + MAX_FILE_IDENT_BYTES + 8 + 3 * 4 + 8).toBeLessThan(2704 * 0.7);
  });

  it(`BIND's partition: taken at the limit, badMessage for its session one byte past, NUL, lone surrogates (seed ${seed})`, () => {
    for (const c of casesFor(MAX_PARTITION_BYTES)) {
      for (const raw of frames({ type: 'bind', session: 7, partition: c.key, token: 't' })) {
        const decoded = decodeClientMessage(raw);
        if (c.refusal === undefined) {
          expect(decoded, c.name).toEqual({ _tag: 'Right', right: { type: 'bind', session: 7, partition: c.key, token: 't' } });
        } else {
          expect(decoded._tag, c.name).toBe('Left');
          if (decoded._tag !== 'Left') continue;
          expect(decoded.left, c.name).toMatchObject({ code: 'badMessage', session: 7 });
          expect(decoded.left.message, c.name).toMatch(/^bind: partition: expected PartitionName, got /);
          expect(reasonOf(decoded.left.message), c.name).toMatch(/^the partition /);
          expect(reasonOf(decoded.left.message), c.name).toMatch(c.refusal);
        }
      }
    }
  });

  it("IDENT's file ident, from the client and from the server: taken at the limit, refused past it, for NUL and lone surrogates", () => {
    for (const c of casesFor(MAX_FILE_IDENT_BYTES)) {
      for (const raw of frames({ type: 'ident', session: 2, fileIdent: c.key })) {
        const decoded = decodeClientMessage(raw);
        expect(decoded._tag, c.name).toBe(c.refusal === undefined ? 'Right' : 'Left');
        if (decoded._tag === 'Left') {
          expect(decoded.left, c.name).toMatchObject({ code: 'badMessage', session: 2 });
          expect(decoded.left.message, c.name).toMatch(/^ident: fileIdent: expected FileIdent, got /);
          expect(reasonOf(decoded.left.message), c.name).toMatch(/^the file ident /);
          expect(reasonOf(decoded.left.message), c.name).toMatch(c.refusal!);
        }
      }
      for (const raw of frames({ type: 'ident', session: 2, fileIdent: c.key, epoch: 'e' })) {
        expect(decodeServerMessage(raw)._tag, c.name).toBe(c.refusal === undefined ? 'Right' : 'Left');
      }
    }
  });

  for (const key of ['type', 'id'] as const) {
    const max = key === 'type' ? MAX_OBJECT_TYPE_BYTES : MAX_OBJECT_ID_BYTES;
    it(`an uploaded changeset's ${key}: the frame decodes, and the server's plan refuses that changeset (badChangeset), keeping those before it`, () => {
      for (const c of casesFor(max)) {
        if (c.key === '') continue; // empty: the codec's own refusal (badMessage), as before
        const op = { op: 'put', type: key === 'type' ? c.key : 'T', id: key === 'id' ? c.key : 'x', fields: { n: 1 } };
        const good = { clientVersion: 1, origin: 'f', hlc: { wall: 1, counter: 0 }, ops: [{ op: 'delete', type: 'T', id: 'y' }] };
        const suspect = { clientVersion: 2, origin: 'f', hlc: { wall: 2, counter: 0 }, ops: [{ op: 'delete', type: 'T', id: 'z' }, op] };
        for (const raw of frames({ type: 'upload', session: 1, changesets: [good, suspect], progress: { clientVersion: 2, serverVersion: 0 } })) {
          const decoded = decodeClientMessage(raw);
          if (decoded._tag !== 'Right' || decoded.right.type !== 'upload') throw new Error(`${c.name}: the frame did not decode`);
          const changesets: readonly Changeset[] = decoded.right.changesets;
          expect((changesets[1]!.ops[1] as { readonly [k: string]: unknown })[key], c.name).toBe(c.key);
          const plan = planUpload('f', 0, changesets, () => undefined);
          if (c.refusal === undefined) {
            expect(plan, c.name).toEqual({ accepted: changesets });
          } else {
            expect(plan.accepted, c.name).toEqual([changesets[0]]);
            expect(plan.refused, c.name).toMatchObject({ clientVersion: 2, code: 'badChangeset' });
            expect(plan.refused!.reason, c.name).toMatch(new RegExp(`^operation 1: the ${key} `));
            expect(plan.refused!.reason, c.name).toMatch(c.refusal);
          }
        }
      }
    });
  }

  it('a lone surrogate cannot arrive as raw UTF-8 bytes at all (CESU-8 is not UTF-8): badJson', () => {
    const prefix = Buffer.from('{"type":"bind","session":1,"partition":"');
    const raw = Buffer.concat([prefix, Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('","token":"t"}')]);
    expect(decodeClientMessage(new Uint8Array(raw))).toMatchObject({ _tag: 'Left', left: { code: 'badJson' } });
  });

  it(`keyProblem agrees with Buffer.byteLength and String.isWellFormed on any string (seed ${seed})`, () => {
    const unit = fc.oneof(fc.constantFrom('\u0000', '\ud800', '\udbff', '\udc00', '\udfff', 'é', '€', '\u{1F600}', '\u{10FFFF}', 'a'), fc.string({ unit: 'binary', maxLength: 1 }));
    let refused = 0;
    let runs = 0;
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 40 }), fc.constantFrom(...limits), (s, [kind]) => {
        runs++;
        const wellFormed = (s as string & { isWellFormed(): boolean }).isWellFormed();
        const expected = s.length > 0 && wellFormed && !s.includes('\u0000') && Buffer.byteLength(s, 'utf8') <= (limits.find(([k]) => k === kind)![1]);
        const problem = keyProblem(kind, s);
        if (problem !== undefined) refused++;
        expect(problem === undefined, JSON.stringify(s)).toBe(expected);
      }),
      { seed, numRuns: 2_000 },
    );
    for (const [kind, max] of limits) {
      for (let i = 0; i < 20; i++) {
        const bytes = 1 + Math.floor(random() * (max + 8));
        const key = randomKey(bytes, random);
        expect(Buffer.byteLength(key, 'utf8')).toBe(bytes);
        expect(keyProblem(kind, key) === undefined, `${kind} of ${bytes} bytes`).toBe(bytes <= max);
      }
    }
    console.log(`keyProblem vs reference: ${runs} strings (${refused} refused), 80 random keys near the limits, seed ${seed}`);
  });
});
