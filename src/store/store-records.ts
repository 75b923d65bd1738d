/**
 * The records of a realm file, one JSON object (UTF-8) per record-log payload, each decoded
 * with its io-ts codec on open. A record that passes its checksum but not its codec is refused:
 * the realm file leaves it out and reports it (its later records are read on), so everything
 * written here must decode: every record the realm file builds is made of values checked
 * against these codecs' rules, and {@link storeRecordProblem} refuses the few a bounded clock
 * and counter could still push out of range before anything is appended.
 */
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { ChangesetCodec, HlcCodec, NatCodec, NonEmptyStringCodec, ServerChangesetCodec } from '../protocol/changeset.codec.js';
import { DownloadCursorCodec, UploadCursorCodec } from '../protocol/cursors.codec.js';
import { readableErrors } from '../protocol/decode.js';
import { DocumentEntryCodec } from '../protocol/document-entry.codec.js';
import { isBoundedHlc, type Hlc } from './hlc.js';

/** Version of the record vocabulary below; a reader refuses a header or snapshot of another. */
export const STORE_FORMAT = 1;
const FormatCodec = t.literal(STORE_FORMAT);

/** First record of a file that has never been compacted: who this file is. */
export const HeaderRecordCodec = t.readonly(
  t.type({ kind: t.literal('header'), format: FormatCodec, fileIdent: NonEmptyStringCodec }),
  'HeaderRecord',
);
/** A decoded {@link HeaderRecordCodec}. */
export type HeaderRecord = t.TypeOf<typeof HeaderRecordCodec>;

/** A local changeset that the server has not acknowledged yet, with the server version integrated when it was committed. */
export const PendingEntryCodec = t.readonly(t.type({ changeset: ChangesetCodec, serverVersion: NatCodec }), 'PendingEntry');
/** A decoded {@link PendingEntryCodec}. */
export type PendingEntry = t.TypeOf<typeof PendingEntryCodec>;

/** One local transaction. `serverVersion` is the download cursor at commit (the upload cursor's second half, once acknowledged). */
export const LocalRecordCodec = t.readonly(
  t.type({ kind: t.literal('local'), changeset: ChangesetCodec, serverVersion: NatCodec }),
  'LocalRecord',
);
/** A decoded {@link LocalRecordCodec}. */
export type LocalRecord = t.TypeOf<typeof LocalRecordCodec>;

/**
 * One integrated DOWNLOAD: the other files' changesets (this file's own echoes are not kept:
 * they are applied already), the download cursor after them, the bytes the message carried
 * (echoes included: they were transferred), what the server still had, and the HLC after
 * receiving them. One record, so data and cursor are durable together or not at all.
 */
export const RemoteRecordCodec = t.readonly(
  t.type({
    kind: t.literal('remote'),
    changesets: t.readonlyArray(ServerChangesetCodec),
    cursor: DownloadCursorCodec,
    receivedBytes: NatCodec,
    downloadableBytes: NatCodec,
    hlc: HlcCodec,
  }),
  'RemoteRecord',
);
/** A decoded {@link RemoteRecordCodec}. */
export type RemoteRecord = t.TypeOf<typeof RemoteRecordCodec>;

/** The server integrated local changesets up to `clientVersion`; `serverVersion` completes the upload cursor. */
export const AckRecordCodec = t.readonly(
  t.type({ kind: t.literal('ack'), clientVersion: NatCodec, serverVersion: NatCodec }),
  'AckRecord',
);
/** A decoded {@link AckRecordCodec}. */
export type AckRecord = t.TypeOf<typeof AckRecordCodec>;

/** The server history this file's cursors belong to. */
export const EpochRecordCodec = t.readonly(t.type({ kind: t.literal('epoch'), epoch: NonEmptyStringCodec }), 'EpochRecord');
/** A decoded {@link EpochRecordCodec}. */
export type EpochRecord = t.TypeOf<typeof EpochRecordCodec>;

/**
 * The server refused these pending changesets (a compensating write, PROTOCOL.md "Compensating
 * writes"): each keeps its client version with no operations, so the versions after it still
 * follow, and the documents they touched go back to the server's state (`PendingBase`). Only
 * pending changesets that still have operations are named.
 */
export const CompensationRecordCodec = t.readonly(
  t.type({ kind: t.literal('compensation'), clientVersions: t.readonlyArray(NatCodec) }),
  'CompensationRecord',
);
/** A decoded {@link CompensationRecordCodec}. */
export type CompensationRecord = t.TypeOf<typeof CompensationRecordCodec>;

export { DocumentEntryCodec, FieldEntryCodec, StampTupleCodec, type DocumentEntry, type FieldEntry, type StampTuple } from '../protocol/document-entry.codec.js';

/**
 * One integrated `state` message: documents of the server's state, each merged into this file's
 * (`mergeDocumentStates`), the bytes the message carried, what the server still had, and the
 * HLC after receiving their stamps. It moves no cursor: the DOWNLOAD that ends a state batch
 * does. One record per message, so a message is merged whole or not at all.
 */
export const StateRecordCodec = t.readonly(
  t.type({
    kind: t.literal('state'),
    documents: t.readonlyArray(DocumentEntryCodec),
    receivedBytes: NatCodec,
    downloadableBytes: NatCodec,
    hlc: HlcCodec,
  }),
  'StateRecord',
);
/** A decoded {@link StateRecordCodec}. */
export type StateRecord = t.TypeOf<typeof StateRecordCodec>;

/** The byte counters of docs/SEMANTICS.md §3, persisted so progress survives a restart. */
export const ProgressCountersCodec = t.readonly(
  t.type({
    uploadTransferable: NatCodec,
    uploadTransferred: NatCodec,
    downloadTransferred: NatCodec,
    downloadableBytes: NatCodec,
  }),
  'ProgressCounters',
);
/** A decoded {@link ProgressCountersCodec}. */
export type ProgressCounters = t.TypeOf<typeof ProgressCountersCodec>;

/**
 * The whole state of a file in one record: what compaction writes as the first (and only)
 * record. Unacknowledged changesets ride along in `pending`, so they can still be uploaded;
 * `staged` holds the documents of a bootstrap no DOWNLOAD confirmed yet (absent: none);
 * `base` and `baseAbsent` what the documents the pending changesets touch were without them.
 */
export const SnapshotRecordCodec = t.readonly(
  t.intersection([
    t.type({
      kind: t.literal('snapshot'),
      format: FormatCodec,
      fileIdent: NonEmptyStringCodec,
      clientVersion: NatCodec,
      hlc: HlcCodec,
      epoch: t.union([NonEmptyStringCodec, t.null]),
      upload: UploadCursorCodec,
      download: DownloadCursorCodec,
      progress: ProgressCountersCodec,
      documents: t.readonlyArray(DocumentEntryCodec),
      pending: t.readonlyArray(PendingEntryCodec),
    }),
    t.partial({
      staged: t.readonlyArray(DocumentEntryCodec),
      // What the documents pending changesets touch were without them (`PendingBase`): those
      // with a state, and those that had none. Absent in files written before it was kept.
      base: t.readonlyArray(DocumentEntryCodec),
      baseAbsent: t.readonlyArray(t.readonly(t.tuple([NonEmptyStringCodec, NonEmptyStringCodec]))),
    }),
  ]),
  'SnapshotRecord',
);
/** A decoded {@link SnapshotRecordCodec}. */
export type SnapshotRecord = t.TypeOf<typeof SnapshotRecordCodec>;

/** Any record of a realm file. */
export type StoreRecord = HeaderRecord | LocalRecord | RemoteRecord | StateRecord | AckRecord | EpochRecord | CompensationRecord | SnapshotRecord;

const codecs: Readonly<Record<StoreRecord['kind'], t.Decoder<unknown, StoreRecord>>> = {
  header: HeaderRecordCodec,
  local: LocalRecordCodec,
  remote: RemoteRecordCodec,
  state: StateRecordCodec,
  ack: AckRecordCodec,
  epoch: EpochRecordCodec,
  compensation: CompensationRecordCodec,
  snapshot: SnapshotRecordCodec,
};

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The bytes of a record. */
export function encodeStoreRecord(record: StoreRecord): Buffer {
  return Buffer.from(JSON.stringify(record), 'utf8');
}

/**
 * Why the realm file must not append `record` although it is well typed, or `undefined`: an
 * HLC reading beyond the clock's bounds, or a client version past the safe integers. Readers
 * would refuse such a record; it is refused before it is written instead. O(1): the rest of a
 * record is checked where it enters (see `RealmFile.append`).
 */
export function storeRecordProblem(record: StoreRecord): string | undefined {
  switch (record.kind) {
    case 'local':
      if (!Number.isSafeInteger(record.changeset.clientVersion)) return `client version ${record.changeset.clientVersion} is past the safe integers`;
      return isBoundedHlc(record.changeset.hlc) ? undefined : `its stamp ${JSON.stringify(record.changeset.hlc)} is beyond the clock's bounds`;
    case 'remote':
    case 'state':
    case 'snapshot':
      return isBoundedHlc(record.hlc) ? undefined : `its clock reading ${JSON.stringify(record.hlc)} is beyond the clock's bounds`;
    default:
      return undefined;
  }
}

/** An integer JSON.parse gave beyond the safe ones (2^53 and up): what clocks before the bounds wrote. */
const isPastSafe = (n: unknown): boolean => typeof n === 'number' && Number.isInteger(n) && n > Number.MAX_SAFE_INTEGER;

/**
 * A `local` record whose changeset's stamp holds an integer past the safe ones, with that stamp
 * replaced by `restamp()`; anything else unchanged. Only a clock before the HLC's bounds wrote
 * such a stamp (counting on from a hostile one), and no server ever took the changeset (every
 * codec refuses the number), so no replica has seen it: giving it the file's next reading
 * changes nothing anyone agreed on, and keeps the commit instead of refusing it.
 */
function restampedLocal(value: unknown, restamp: () => Hlc): unknown {
  if (typeof value !== 'object' || value === null || (value as { kind?: unknown }).kind !== 'local') return value;
  const changeset = (value as { changeset?: unknown }).changeset;
  if (typeof changeset !== 'object' || changeset === null) return value;
  const hlc = (changeset as { hlc?: unknown }).hlc;
  if (typeof hlc !== 'object' || hlc === null) return value;
  const { wall, counter } = hlc as { wall?: unknown; counter?: unknown };
  if (!isPastSafe(wall) && !isPastSafe(counter)) return value;
  return { ...value, changeset: { ...changeset, hlc: restamp() } };
}

/**
 * Decodes one payload: UTF-8, JSON, a known `kind`, its codec. Never throws. With `restamp`,
 * a `local` record stamped past the safe integers (written before the HLC had bounds) is read
 * with the stamp `restamp()` gives instead of being refused (see `restampedLocal`).
 */
export function decodeStoreRecord(payload: Uint8Array, restamp?: () => Hlc): E.Either<string, StoreRecord> {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(payload));
  } catch {
    return E.left('not UTF-8 JSON');
  }
  if (restamp !== undefined) value = restampedLocal(value, restamp);
  const kind = typeof value === 'object' && value !== null && 'kind' in value ? (value as { kind: unknown }).kind : undefined;
  const codec = typeof kind === 'string' && Object.hasOwn(codecs, kind) ? codecs[kind as StoreRecord['kind']] : undefined;
  if (codec === undefined) return E.left(`unknown record kind ${JSON.stringify(kind) ?? String(kind)}`);
  return E.mapLeft((errors: t.Errors) => `${kind as string} record: ${readableErrors(errors)}`)(codec.decode(value));
}
