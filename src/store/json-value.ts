/**
 * What counts as a field value: JSON that survives `JSON.stringify` → `JSON.parse` unchanged,
 * because every replica (and this file, reopened) only ever sees that round trip. Values that
 * JSON would silently alter (undefined, NaN, a Date, a sparse array) are refused instead.
 */
import type { Json } from '../protocol/json.codec.js';

/**
 * Why `value` is not a JSON value, naming where inside it (`at`), or `undefined` if it is one.
 * With `maxDepth`, an object or array at that depth or deeper (`value` itself is at depth 0) is
 * refused too: the protocol's codecs refuse such values, so one accepted here would be written
 * and then fail to read back.
 */
export function jsonValueProblem(value: unknown, at = 'value', maxDepth = Number.POSITIVE_INFINITY): string | undefined {
  try {
    return problemIn(value, at, new Set(), 0, maxDepth);
  } catch (error) {
    if (error instanceof RangeError) return `${at} is nested too deeply`;
    throw error;
  }
}

function problemIn(value: unknown, at: string, path: Set<object>, depth: number, maxDepth: number): string | undefined {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return undefined;
    case 'number':
      return Number.isFinite(value) ? undefined : `${at} is ${String(value)}, which JSON cannot hold`;
    case 'object':
      break;
    default:
      return `${at} is ${typeof value === 'function' ? 'a function' : `of type ${typeof value}`}, not a JSON value`;
  }
  if (value === null) return undefined;
  if (depth >= maxDepth) return `${at} is nested too deeply (objects and arrays nest at most ${maxDepth} levels here)`;
  if (path.has(value)) return `${at} refers back to itself (circular)`;
  path.add(value);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        if (!(i in value)) return `${at}[${i}] is a hole in a sparse array`;
        const problem = problemIn(value[i], `${at}[${i}]`, path, depth + 1, maxDepth);
        if (problem !== undefined) return problem;
      }
      return undefined;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
      return `${at} is ${typeof name === 'string' && name !== '' ? `a ${name}` : 'an object with a prototype'}, not a plain JSON object`;
    }
    if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return `${at} has a toJSON method, not a plain JSON object`;
    for (const [key, item] of Object.entries(value)) {
      const problem = problemIn(item, `${at}.${key}`, path, depth + 1, maxDepth);
      if (problem !== undefined) return problem;
    }
    return undefined;
  } finally {
    path.delete(value);
  }
}

/** Freezes `value` and everything inside it, so that what a reader is handed cannot change the store. */
export function deepFreeze<T extends Json>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const item of Object.values(value)) deepFreeze(item as Json);
    Object.freeze(value);
  }
  return value;
}

/** Own property lookup: plain `record[key]` would find `constructor` or `__proto__` on every object. */
export function ownValue<V>(record: Readonly<Record<string, V>>, key: string): V | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

/** Whether two JSON values are equal; object key order does not matter (it depends on write order, not content). */
export function jsonEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEqual(item, b[i] as Json));
  }
  const [x, y] = [a as { readonly [key: string]: Json }, b as { readonly [key: string]: Json }];
  const keys = Object.keys(x);
  if (keys.length !== Object.keys(y).length) return false;
  return keys.every((key) => Object.hasOwn(y, key) && jsonEqual(x[key] as Json, y[key] as Json));
}
