import type { ErrorAction } from '../../machines/types.js';
import type { ErrorActionToken } from './errors.js';

/**
 * Every token handed out, with the runtime (a `SyncManager`) that issued it. A token is
 * honoured because it is in here, never because of its shape: anyone can write
 * `{ action: 'deleteLocalFile', realmPath: '/etc/passwd' }`, nobody outside this module can
 * add it. Weak, so tokens nobody holds cost nothing.
 */
const issued = new WeakMap<object, object>();

/** A frozen token for `action` on `realmPath`, which only `issuer` will run. */
export function issueErrorActionToken(issuer: object, action: ErrorAction, realmPath: string, backupPath?: string): ErrorActionToken {
  const token: ErrorActionToken = Object.freeze(backupPath === undefined ? { action, realmPath } : { action, realmPath, backupPath });
  issued.set(token, issuer);
  return token;
}

/** Whether `value` is a token `issuer` issued and has not used up. */
export function isIssuedBy(value: unknown, issuer: object): value is ErrorActionToken {
  return typeof value === 'object' && value !== null && issued.get(value) === issuer;
}

/** Marks a token used: the file it named is gone, and a new file at that path is not its to delete. */
export function useUpErrorActionToken(token: ErrorActionToken): void {
  issued.delete(token);
}
