import * as t from 'io-ts';

/** A JSON value: what a document field may hold. */
export type Json = null | boolean | number | string | readonly Json[] | { readonly [key: string]: Json };

/** io-ts codec of a JSON value (finite numbers only: NaN and Infinity do not survive JSON). */
export const JsonCodec: t.Type<Json> = t.recursion('Json', () =>
  t.union([
    t.null,
    t.boolean,
    t.refinement(t.number, Number.isFinite, 'FiniteNumber'),
    t.string,
    t.readonlyArray(JsonCodec),
    t.record(t.string, JsonCodec),
  ]),
);
