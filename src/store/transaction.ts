/**
 * The write side of one transaction: it checks each call at once (so a bad call throws where
 * it was made) and records operations; the realm file turns them into one changeset at commit.
 */
import type { Operation } from '../protocol/changeset.codec.js';
import { MAX_JSON_DEPTH, type Json } from '../protocol/json.codec.js';
import { jsonValueProblem } from './json-value.js';
import { keyProblem } from '../protocol/keys.js';
import { InvalidInputError, InvalidKeyError, TransactionStateError } from './store-errors.js';

/** What a `write` callback may do. Operations take effect together, at commit, in call order. */
export interface Transaction {
  /** Sets the named fields of document (type, id), creating it if needed; fields not named keep their values. */
  put(type: string, id: string, fields: Readonly<Record<string, Json>>): void;
  /** Deletes document (type, id): a tombstone that hides every field written before it. */
  delete(type: string, id: string): void;
}

/** A {@link Transaction} that records its operations until {@link TransactionRecorder.end}. */
export class TransactionRecorder implements Transaction {
  private readonly recorded: Operation[] = [];
  private open = true;

  /** The operations recorded so far. */
  get operations(): readonly Operation[] {
    return this.recorded;
  }

  put(type: string, id: string, fields: Readonly<Record<string, Json>>): void {
    this.assertOpen('put');
    checkKey('put', type, id);
    const where = `put(${JSON.stringify(type)}, ${JSON.stringify(id)})`;
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
      throw new InvalidInputError(`${where}: fields must be a plain object of field values`);
    }
    // Field values are checked once here, against the protocol's own limits (depth included):
    // the commit encodes what was recorded without decoding it back (see RealmFile.append).
    // `fields` is one level above its values, hence the + 1.
    const problem = jsonValueProblem(fields, 'fields', MAX_JSON_DEPTH + 1);
    if (problem !== undefined) throw new InvalidInputError(`${where}: ${problem}`);
    if (Object.keys(fields).length === 0) {
      // A document is visible only through a field written after its last delete: an empty put would do nothing.
      throw new InvalidInputError(`${where}: no fields given; a document exists only through its fields`);
    }
    // A copy, so that the caller changing its object after put() does not change the transaction.
    const copy = JSON.parse(JSON.stringify(fields)) as Record<string, Json>;
    this.recorded.push({ op: 'put', type, id, fields: copy });
  }

  delete(type: string, id: string): void {
    this.assertOpen('delete');
    checkKey('delete', type, id);
    this.recorded.push({ op: 'delete', type, id });
  }

  /** Ends the transaction: later calls (from a callback that kept `tx`) throw. */
  end(): void {
    this.open = false;
  }

  private assertOpen(verb: string): void {
    if (!this.open) throw new TransactionStateError(`cannot ${verb}: this transaction is over (its write() has returned)`);
  }
}

/**
 * The protocol's own rule for keys (`keyProblem`), at the call: a type or id the server would
 * refuse (or no backend could index) is never recorded, so the user learns of it here rather
 * than later as a sync error.
 */
function checkKey(verb: string, type: unknown, id: unknown): void {
  if (typeof type !== 'string' || type.length === 0) throw new InvalidKeyError('type', `${verb}: the type must be a non-empty string, not ${show(type)}`);
  const typeProblem = keyProblem('type', type);
  if (typeProblem !== undefined) throw new InvalidKeyError('type', `${verb}(${shortJson(type)}): ${typeProblem}`);
  if (typeof id !== 'string' || id.length === 0) throw new InvalidKeyError('id', `${verb}(${JSON.stringify(type)}): the id must be a non-empty string, not ${show(id)}`);
  const idProblem = keyProblem('id', id);
  if (idProblem !== undefined) throw new InvalidKeyError('id', `${verb}(${JSON.stringify(type)}, ${shortJson(id)}): ${idProblem}`);
}

/** A key for a message: a long one cut short (the message says how long it is). */
const shortJson = (key: string): string => (key.length > 60 ? `${JSON.stringify(key.slice(0, 57))}…` : JSON.stringify(key));

function show(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return `a ${typeof value}`;
  }
}
