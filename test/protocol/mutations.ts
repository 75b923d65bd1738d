/**
 * Wrong versions of valid values, for holding a hand-written reader to its composed codec: one
 * value somewhere inside replaced by an odd one, deleted, or given an extra sibling key.
 */
import fc from 'fast-check';

/** Values a field, a number or an object may wrongly be. */
export const odd: fc.Arbitrary<unknown> = fc.constantFrom(
  undefined, null, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '', 'x', [], {}, [1], new Date(0), new Map(), Object.create({ inherited: 1 }) as object,
  'put', 'delete', { wall: 1, counter: 1 },
);

type Path = readonly (string | number)[];

/** Every path to a value inside `value`, the root included. */
function paths(value: unknown, prefix: Path = []): Path[] {
  const out: Path[] = [prefix];
  if (typeof value === 'object' && value !== null) {
    for (const [key, child] of Object.entries(value)) out.push(...paths(child, [...prefix, Array.isArray(value) ? Number(key) : key]));
  }
  return out;
}

/** A deep copy of `value` with the value at `path` replaced (or deleted, or given a sibling key). */
function mutate(value: unknown, path: Path, how: 'replace' | 'delete' | 'extraKey', replacement: unknown): unknown {
  if (path.length === 0) {
    if (how === 'extraKey' && typeof value === 'object' && value !== null && !Array.isArray(value)) return { ...value, extra: replacement };
    return how === 'replace' ? replacement : value;
  }
  const [head, ...rest] = path;
  if (Array.isArray(value)) return value.map((item, i) => (i === head ? mutate(item, rest, how, replacement) : item));
  const copy = { ...(value as Record<string, unknown>) };
  if (rest.length === 0 && how === 'delete') delete copy[head as string];
  else copy[head as string] = mutate(copy[head as string], rest, how, replacement);
  return copy;
}

/** `base`'s values, each with one part mutated. */
export const mutated = (base: fc.Arbitrary<unknown>) =>
  base.chain((value) =>
    fc.tuple(fc.constantFrom(...paths(value)), fc.constantFrom('replace', 'delete', 'extraKey') as fc.Arbitrary<'replace' | 'delete' | 'extraKey'>, odd).map(
      ([path, how, replacement]) => mutate(value, path, how, replacement),
    ),
  );

