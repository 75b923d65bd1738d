/**
 * The records of a tail segment, with no I/O: `{"v":…,"at":…,"u":…}\n<server changeset JSON>`,
 * the changeset's text exactly as a DOWNLOAD splices it (`serverChangesetJson`), so a tail read
 * returns bytes from the file without decoding or encoding them.
 */
import * as t from 'io-ts';
import { NatCodec, ServerChangesetCodec, changesetBytes, serverChangesetJson, type ServerChangeset } from '../../../protocol/changeset.codec.js';

const TailMetaCodec = t.intersection([t.type({ v: NatCodec, at: NatCodec }), t.partial({ u: t.string })]);

const NEWLINE = 0x0a;

/** One tail record as opening a segment reads it. */
export interface TailRecord {
  readonly changeset: ServerChangeset;
  /** The server's clock when the changeset arrived. */
  readonly at: number;
  readonly owner: string | undefined;
  /** Where the changeset's JSON starts in the payload. */
  readonly jsonStart: number;
  /** `changesetBytes` of the changeset. */
  readonly bytes: number;
}

/** The payload of one tail record, and where its JSON starts and how many bytes it counts. */
export function encodeTailRecord(changeset: ServerChangeset, at: number, owner: string | undefined): { payload: Buffer; jsonStart: number; bytes: number } {
  const meta = JSON.stringify(owner === undefined ? { v: changeset.serverVersion, at } : { v: changeset.serverVersion, at, u: owner });
  const { json, bytes } = serverChangesetJson(changeset);
  const head = Buffer.byteLength(meta, 'utf8') + 1;
  return { payload: Buffer.from(`${meta}\n${json}`, 'utf8'), jsonStart: head, bytes };
}

/** Decodes one tail payload, or says why it is not a tail record. */
export function decodeTailRecord(payload: Buffer): TailRecord | string {
  const split = payload.indexOf(NEWLINE);
  if (split < 0) return 'no meta line';
  let meta: unknown;
  let body: unknown;
  try {
    meta = JSON.parse(payload.subarray(0, split).toString('utf8'));
    body = JSON.parse(payload.subarray(split + 1).toString('utf8'));
  } catch {
    return 'not JSON';
  }
  const m = TailMetaCodec.decode(meta);
  if (m._tag === 'Left') return 'not a tail record';
  const c = ServerChangesetCodec.decode(body);
  if (c._tag === 'Left') return 'not a server changeset';
  if (c.right.serverVersion !== m.right.v) return `server version ${c.right.serverVersion} is not the record's ${m.right.v}`;
  return { changeset: c.right, at: m.right.at, owner: m.right.u, jsonStart: split + 1, bytes: changesetBytes(c.right) };
}
