import * as t from 'io-ts';

/**
 * `shape` with its accepting path written out by hand (`changeset.reader.ts`,
 * `document-entry.reader.ts`): what `read` accepts is what `shape` would give; anything else goes
 * to `shape`, so refusals read as before.
 */
export function withReader<A>(shape: t.Type<A, A, unknown>, read: (u: unknown) => A | undefined): t.Type<A, A, unknown> {
  return new t.Type<A, A, unknown>(
    shape.name,
    shape.is,
    (u, context) => {
      const value = read(u);
      if (value !== undefined) return t.success(value);
      // The shape decides, in the context it would have had in this codec's place, so its
      // errors (and their readable paths, `readableErrors`) are exactly its own.
      const last = context[context.length - 1];
      return shape.validate(u, last === undefined ? context : [...context.slice(0, -1), { ...last, type: shape }]);
    },
    shape.encode,
  );
}
