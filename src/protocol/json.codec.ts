import * as t from 'io-ts';

/** A JSON value: what a document field may hold. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/**
 * How deep a field value may nest. Deeper values are refused at the edge: a value nested
 * thousands deep decodes, but overflows the stack of every encoder after it.
 */
export const MAX_JSON_DEPTH = 32;

/** Why `value` is not a JSON value within the depth limit, or `undefined` when it is one. */
function jsonProblem(value: unknown, depth: number): string | undefined {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return undefined;
  if (typeof value === 'number') return Number.isFinite(value) ? undefined : 'a number that is not finite';
  if (typeof value !== 'object') return `a ${typeof value}`;
  if (depth >= MAX_JSON_DEPTH) return `a value nested deeper than ${MAX_JSON_DEPTH} levels`;
  const children = Array.isArray(value) ? value : Object.values(value as Record<string, unknown>);
  if (!Array.isArray(value) && Object.getPrototypeOf(value) !== Object.prototype && Object.getPrototypeOf(value) !== null) {
    return 'an object that is not plain';
  }
  for (const child of children) {
    const problem = jsonProblem(child, depth + 1);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/** io-ts codec of a JSON value: finite numbers only, plain objects, at most `MAX_JSON_DEPTH` deep. */
export const JsonCodec: t.Type<Json> = new t.Type<Json>(
  'Json',
  (u): u is Json => jsonProblem(u, 0) === undefined,
  (u, context) => {
    const problem = jsonProblem(u, 0);
    return problem === undefined ? t.success(u as Json) : t.failure(u, context, `not JSON: ${problem}`);
  },
  t.identity,
);
