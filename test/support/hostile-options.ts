import fc from 'fast-check';
import { expect } from 'vitest';

/** Where an option object's fields are: each object's path ('' the top) and its known keys; leaves to mutate. */
export interface OptionShape {
  /** Object-valued option paths and their known keys, `''` for the top-level object. */
  readonly objects: Readonly<Record<string, readonly string[]>>;
  /** Every option path whose value the property replaces, with values it must not try (see each test). */
  readonly leaves: readonly string[];
  /** Values each of some leaves must be accepted with: the property fails if one is refused. */
  readonly valid: Readonly<Record<string, fc.Arbitrary<unknown>>>;
}

/** One hostile change to a valid configuration: an unknown key added, or a value replaced. */
export type Mutation =
  | { readonly kind: 'unknownKey'; readonly at: string; readonly key: string; readonly value: unknown }
  | { readonly kind: 'value'; readonly path: string; readonly value: unknown }
  | { readonly kind: 'valid'; readonly path: string; readonly value: unknown };

/** Values that catch the usual mistakes (strings for numbers, 0, NaN, huge, fractions), and then anything. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom<unknown>(0, -1, 1, 1.5, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 53, '5', 'yes', '', true, false, null, [], {}, () => undefined, 10n, Symbol('s')),
  fc.integer({ min: -10, max: 2 ** 32 }),
  fc.double(),
  fc.anything({ maxDepth: 2 }),
);

/** A key that is no known one at `at`: a typo of a known one (one edit), or any string. */
function unknownKey(known: readonly string[]): fc.Arbitrary<string> {
  const typo = fc
    .tuple(fc.constantFrom(...known), fc.nat(), fc.constantFrom('drop', 'insert', 'case'))
    .map(([name, i, how]) => {
      const at = i % name.length;
      if (how === 'drop') return name.slice(0, at) + name.slice(at + 1);
      if (how === 'insert') return `${name.slice(0, at)}x${name.slice(at)}`;
      return name.toUpperCase();
    });
  return fc.oneof(typo, fc.string({ minLength: 1, maxLength: 20 })).filter((k) => !known.includes(k));
}

/** Mutations of a configuration of `shape`; `allowed(path, value)` drops values a test must not use (a real host name). */
export function mutation(shape: OptionShape, allowed: (path: string, value: unknown) => boolean = () => true): fc.Arbitrary<Mutation> {
  const paths = Object.keys(shape.objects);
  return fc.oneof(
    fc.constantFrom(...paths).chain((at) =>
      fc.record({ kind: fc.constant('unknownKey' as const), at: fc.constant(at), key: unknownKey(shape.objects[at]!), value: hostileValue }),
    ),
    fc
      .record({ kind: fc.constant('value' as const), path: fc.constantFrom(...shape.leaves), value: hostileValue })
      .filter((m) => allowed(m.path, m.value)),
    fc.constantFrom(...Object.keys(shape.valid)).chain((path) => fc.record({ kind: fc.constant('valid' as const), path: fc.constant(path), value: shape.valid[path]! })),
  );
}

/** `base` deep-copied (functions and class instances kept) with `m` applied; an own key even when it is `__proto__`. */
export function applyMutation(base: Readonly<Record<string, unknown>>, m: Mutation): Record<string, unknown> {
  const copy = (v: unknown): unknown =>
    v !== null && typeof v === 'object' && Object.getPrototypeOf(v) === Object.prototype ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, copy(x)])) : v;
  const root = copy(base) as Record<string, unknown>;
  const parts = m.kind === 'unknownKey' ? (m.at === '' ? [] : m.at.split('.')) : m.path.split('.');
  const last = m.kind === 'unknownKey' ? m.key : parts.pop()!;
  let target = root;
  for (const part of parts) {
    if (typeof target[part] !== 'object' || target[part] === null) target[part] = {};
    target = target[part] as Record<string, unknown>;
  }
  Object.defineProperty(target, last, { value: m.value, enumerable: true, writable: true, configurable: true });
  return root;
}

/** A path as messages write it: `users.0.email` is `users[0].email`. */
const shown = (path: string): string => path.replace(/\.(\d+)(?=\.|$)/g, '[$1]');

/** The path a refusal of `m` must name. */
export function namedPath(m: Mutation): string {
  if (m.kind !== 'unknownKey') return shown(m.path);
  return m.at === '' ? m.key : `${shown(m.at)}.${m.key}`;
}

/** Asserts a refusal is a `TypeError` naming the field `m` broke (an unknown key: as unknown). */
export function expectRefusalNaming(error: unknown, m: Mutation, owner: string): void {
  if (m.kind === 'valid') throw new Error(`a valid ${m.path} was refused: ${String(error)}`);
  expect(error).toBeInstanceOf(TypeError);
  const message = (error as TypeError).message;
  expect(message.startsWith(`${owner}: `)).toBe(true);
  if (m.kind === 'unknownKey') expect(message).toContain(`unknown option ${namedPath(m)}`);
  else expect(message).toContain(namedPath(m));
}

/** The seed of this run: `FC_SEED` to replay one. */
export const hostileSeed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);

/** Asserts `m` may be accepted: an unknown key never is (a misspelt option left its default in force unnoticed). */
export function expectAcceptable(m: Mutation): void {
  if (m.kind === 'unknownKey') throw new Error(`unknown option ${namedPath(m)} was accepted`);
}
