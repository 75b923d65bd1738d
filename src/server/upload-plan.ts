/**
 * Which changesets of one UPLOAD the server takes: pure, decided before anything is stored.
 * Each origin's client versions must arrive in order (1, 2, 3, …); one already stored is
 * skipped (a re-sent upload is acknowledged, never applied twice); the first changeset out of
 * order, of another origin, with a key the protocol bounds out (`changesetKeyProblem`: a type
 * or id too long, or with a NUL or a lone surrogate), or whose stamp no sane clock made, is
 * refused, and those after it are not looked at.
 */
import type { Changeset } from '../protocol/changeset.codec.js';
import { changesetKeyProblem } from '../protocol/keys.js';

/** The first changeset refused, why, and the error code that says so. */
export interface Refusal {
  readonly clientVersion: number;
  readonly reason: string;
  /** `clockSkew` for a stamp `checkStamp` refused. */
  readonly code: 'badChangeset' | 'clockSkew';
}

/** What to store of an upload, and what was refused. */
export interface UploadPlan {
  /** The changesets to store, in client-version order (those stored before left out). */
  readonly accepted: readonly Changeset[];
  readonly refused?: Refusal;
}

/**
 * The plan for `uploaded` by file `origin`, whose changesets through `stored` are stored;
 * `checkStamp` names what is wrong with a stamp (asked only of changesets not stored before).
 */
export function planUpload(origin: string, stored: number, uploaded: readonly Changeset[], checkStamp: (hlc: Changeset['hlc']) => string | undefined): UploadPlan {
  const accepted: Changeset[] = [];
  let expected = stored + 1;
  for (const changeset of uploaded) {
    if (changeset.origin !== origin) {
      return { accepted, refused: { clientVersion: changeset.clientVersion, reason: `origin ${changeset.origin} is not this file (${origin})`, code: 'badChangeset' } };
    }
    if (changeset.clientVersion < expected) continue;
    if (changeset.clientVersion !== expected) {
      return { accepted, refused: { clientVersion: changeset.clientVersion, reason: `client version ${changeset.clientVersion} follows ${expected - 1}`, code: 'badChangeset' } };
    }
    // Refused here, not by the codec (which would refuse the whole UPLOAD): one changeset is
    // refused as for a gap, those before it stored; and no backend is asked to index such a key.
    const keyRefusal = changesetKeyProblem(changeset);
    if (keyRefusal !== undefined) return { accepted, refused: { clientVersion: changeset.clientVersion, reason: keyRefusal, code: 'badChangeset' } };
    const stampRefusal = checkStamp(changeset.hlc);
    if (stampRefusal !== undefined) return { accepted, refused: { clientVersion: changeset.clientVersion, reason: stampRefusal, code: 'clockSkew' } };
    accepted.push(changeset);
    expected++;
  }
  return { accepted };
}
