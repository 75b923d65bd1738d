/**
 * Checks of what callers outside the type system may pass a realm file's methods, and how a
 * refused value is shown in the error: the types say what is allowed, these keep JavaScript
 * callers from writing what a reopen would refuse.
 */
import { InvalidInputError } from './store-errors.js';

/** Whether `n` is a count, version or duration: a safe integer, not negative. */
export const isNat = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** Throws unless `type` is a document type: a non-empty string. */
export function checkType(type: unknown): void {
  if (typeof type !== 'string' || type.length === 0) throw new InvalidInputError('the type must be a non-empty string');
}

/** `value` as JSON for an error message, or as a string where it has none (a cycle, a bigint). */
export function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
