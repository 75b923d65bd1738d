import type { CompensatingWriteInfo, ErrorAction, ErrorCategory, SyncErrorInfo } from '../../machines/types.js';
import { knownCode, type SyncErrorCode } from './sync-error-code.js';

/** What the user must do about an error, and the means to do it now (docs/SEMANTICS.md §5). */
export interface ErrorActionToken {
  readonly action: ErrorAction;
  /** The store file the action applies to. */
  readonly realmPath: string;
  /** For `clientResetBackup`: where the file will be moved (Realm's `clientResetInfo().backupFilePath`). */
  readonly backupPath?: string;
}

/**
 * An error the sync session hands to `onError` and with which waits reject. `category` says
 * what happened to the session; `isFatal` whether it stopped syncing.
 */
export class SyncError extends Error {
  override readonly name = 'SyncError';
  /**
   * A code of the server's table (`errorCodes`, PROTOCOL.md "Errors") or of the client's
   * (`clientErrorCodes`, README "Error codes"); built from a code neither has, `unknown`.
   */
  readonly code: SyncErrorCode;
  readonly category: ErrorCategory;
  readonly isFatal: boolean;
  readonly actionToken: ErrorActionToken | undefined;
  /**
   * A manual client reset's backup path, known before `immediatelyHandleError` runs (Realm's
   * `clientResetInfo().backupFilePath`): where the file with its unsynced changes will be.
   */
  readonly backupPath: string | undefined;
  /**
   * For a `compensatingWrite` (realm-js's `CompensatingWriteError.writes`): the writes the
   * server refused, each document with the reason; the file already holds the server's state of
   * them. Empty for every other error.
   */
  readonly compensatingWrites: readonly CompensatingWriteInfo[];

  constructor(info: SyncErrorInfo, actionToken?: ErrorActionToken) {
    super(info.message);
    this.compensatingWrites = Object.freeze((info.compensatingWrites ?? []).map((w) => Object.freeze({ type: w.type, id: w.id, reason: w.reason })));
    this.code = knownCode(info.code);
    this.givenCode = info.code;
    this.category = info.category;
    this.isFatal = info.isFatal;
    this.actionToken = actionToken;
    this.backupPath = actionToken?.backupPath;
  }

  /** The code this error was made with, also when it is in neither table (`code` is then `unknown`). */
  private readonly givenCode: string;

  /** The plain data the charts use: the code it was made with. */
  toInfo(): SyncErrorInfo {
    return {
      code: this.givenCode,
      category: this.category,
      isFatal: this.isFatal,
      message: this.message,
      ...(this.compensatingWrites.length === 0 ? {} : { compensatingWrites: this.compensatingWrites }),
    };
  }
}

/** A wait rejected because its session ended: logout, or the store closed and the session went inactive. */
export class SessionClosedError extends Error {
  override readonly name = 'SessionClosedError';

  constructor(message = 'the sync session was closed before the wait was over') {
    super(message);
  }
}

/**
 * An error action refused: `immediatelyHandleError` was given something that is not a token
 * this runtime issued to `onError` (an object of the same shape is not one), or an action
 * recorded in `pending-error-actions.json` named a path that is not a realm file under
 * `storageDir`. Nothing was deleted or moved. A `TypeError`, as bad arguments are.
 */
export class InvalidActionTokenError extends TypeError {
  override readonly name = 'InvalidActionTokenError';
}

/**
 * The auth endpoint answered a login or refresh with 2xx but not with what the protocol says:
 * a `userId` that is not a non-empty string of at most {@link MAX_USER_ID_LENGTH} characters, or
 * tokens that are not non-empty strings of at most {@link MAX_AUTH_TOKEN_LENGTH} characters.
 * Nothing was stored or opened with it.
 */
export class MalformedAuthResponseError extends Error {
  override readonly name = 'MalformedAuthResponseError';
}

/**
 * The HTTP statuses that say the node cannot serve rather than answer (docs/SEMANTICS.md §2.8):
 * 502 and 504 come from a gateway in front of a node that is down or silent, 503 from a node
 * (or its gateway) that cannot serve now, such as one whose database is out of reach.
 */
export const UNAVAILABLE_STATUSES: readonly number[] = [502, 503, 504];

/**
 * An auth request (`app.logIn`, a token refresh) that got no answer from the node: it is down,
 * the address is wrong, it did not answer in time, it cut its answer short, or it (or its
 * gateway) answered 502, 503 or 504, which say nothing about the request itself. `url` is the
 * endpoint asked; `code` the network's reason as Node names it (`ECONNREFUSED`, `ENOTFOUND`,
 * `ECONNRESET`, …; `TimeoutError` for no answer in time) when known; `status` the HTTP status
 * when one of those answered; `cause` what `fetch` threw, or what the node said. Any other HTTP
 * error status is not this: 401/403 is `AuthRefusedError`.
 */
export class ServerUnreachableError extends Error {
  override readonly name = 'ServerUnreachableError';
  readonly code: string | undefined;
  /** 502, 503 or 504 when the node or its gateway answered so; `undefined` when nothing answered. */
  readonly status: number | undefined;

  constructor(
    readonly url: string,
    cause: unknown,
    status?: number,
  ) {
    const code = networkCode(cause);
    const detail = innermostMessage(cause);
    const reason = status === undefined ? (code ?? 'the request failed') : `it answered ${status}`;
    super(`cannot reach ${url}: ${reason}${detail === undefined || detail === code ? '' : ` (${detail})`}`, { cause });
    this.code = code;
    this.status = status;
  }
}

/** `fetch` wraps the socket's error: `TypeError('fetch failed', { cause })`, a few levels deep at most. */
function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let e = error; chain.length < 4 && typeof e === 'object' && e !== null; e = (e as { cause?: unknown }).cause) chain.push(e);
  return chain;
}

function networkCode(error: unknown): string | undefined {
  for (const e of causes(error)) {
    if (e instanceof Error && e.name === 'TimeoutError') return 'TimeoutError';
    // A host with several addresses fails as an AggregateError that carries the code too.
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && code !== '') return code;
  }
  return undefined;
}

function innermostMessage(error: unknown): string | undefined {
  const last = causes(error).at(-1);
  return last instanceof Error && last.message !== '' ? last.message : undefined;
}

/** The longest `userId` a login answer may carry (characters). */
export const MAX_USER_ID_LENGTH = 256;

/** The longest access or refresh token a login or refresh answer may carry (characters). */
export const MAX_AUTH_TOKEN_LENGTH = 16 * 1024;
