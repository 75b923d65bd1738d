/**
 * A tiny declarative validator for option objects (`new App`, `Realm.open`, `startServer`).
 *
 * Purpose-built rather than io-ts: io-ts reports a failure as a path of codec names and has no
 * notion of an unknown key or of a suggestion, and the messages here are what a user reads
 * first when a configuration is wrong. Every refusal is a `TypeError` whose message starts
 * with the owner and the field's full path (`App: reconnect.initialDelayMs must be …`), and an
 * unknown key names the nearest known one when one is close (`did you mean …?`). Pure logic.
 */

/** What one option may be: `check` answers `undefined` when `value` is acceptable, else what was expected. */
export interface OptionSchema {
  /** What the option must be, as the error message says it (`a number from 1 to 10`). */
  readonly expected: string;
  /** Throws the `TypeError` for a bad `value` at `path`; nested schemas recurse with their own paths. */
  readonly check: (owner: string, path: string, value: unknown) => void;
}

/** A field of an object schema: its schema and whether it must be present. */
export interface FieldSpec {
  readonly schema: OptionSchema;
  readonly required?: boolean;
}

/** The fields of an object option, by name. */
export type Fields = Readonly<Record<string, OptionSchema | FieldSpec>>;

/** Describes a refused value for a message: short, and never throws (a hostile getter or a cycle). */
export function describeValue(value: unknown): string {
  try {
    if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
    if (typeof value === 'function') return 'a function';
    if (typeof value === 'bigint') return `${value}n`;
    if (typeof value === 'symbol') return value.toString();
    if (Array.isArray(value)) return 'an array';
    if (value === null) return 'null';
    if (typeof value === 'object') return 'an object';
    return String(value);
  } catch {
    return 'an unprintable value';
  }
}

function refuse(owner: string, path: string, expected: string, value: unknown): never {
  throw new TypeError(`${owner}: ${path} must be ${expected}, got ${describeValue(value)}`);
}

/** A schema from a predicate. */
export function custom(expected: string, accepts: (value: unknown) => boolean): OptionSchema {
  return {
    expected,
    check: (owner, path, value) => {
      if (!accepts(value)) refuse(owner, path, expected, value);
    },
  };
}

/** A string; `nonEmpty` refuses `''`, `minLength` shorter ones. */
export function str(options: { readonly nonEmpty?: boolean; readonly minLength?: number; readonly expected?: string } = {}): OptionSchema {
  const min = options.minLength ?? (options.nonEmpty === true ? 1 : 0);
  const expected = options.expected ?? (min === 0 ? 'a string' : min === 1 ? 'a non-empty string' : `a string of at least ${min} characters`);
  return custom(expected, (v) => typeof v === 'string' && v.length >= min);
}

/** `true` or `false` (not `'yes'`, not `1`). */
export const bool: OptionSchema = custom('a boolean (true or false)', (v) => typeof v === 'boolean');

/** A function. */
export function func(expected = 'a function'): OptionSchema {
  return custom(expected, (v) => typeof v === 'function');
}

/** One of a fixed list of strings. */
export function oneOf(values: readonly string[]): OptionSchema {
  return custom(`one of ${values.map((v) => `'${v}'`).join(', ')}`, (v) => typeof v === 'string' && values.includes(v));
}

/** A finite number in [min, max]; `integer` refuses fractions. `unit` goes into the message (`ms`). */
export function num(range: { readonly min: number; readonly max: number; readonly integer?: boolean; readonly unit?: string }): OptionSchema {
  const unit = range.unit === undefined ? '' : ` ${range.unit}`;
  const kind = range.integer === true ? 'a whole number' : 'a number';
  const expected = `${kind} from ${range.min.toLocaleString('en-US')} to ${range.max.toLocaleString('en-US')}${unit}`;
  return custom(
    expected,
    (v) => typeof v === 'number' && Number.isFinite(v) && v >= range.min && v <= range.max && (range.integer !== true || Number.isInteger(v)),
  );
}

/** A non-null, non-array object, its keys unchecked (a logger, a transport). */
export function anyObject(expected = 'an object'): OptionSchema {
  return custom(expected, (v) => typeof v === 'object' && v !== null && !Array.isArray(v));
}

/** An array whose every element passes `element` (paths `users[3].email`). */
export function arrayOf(element: OptionSchema): OptionSchema {
  const expected = `a list of ${element.expected}`;
  return {
    expected,
    check: (owner, path, value) => {
      if (!Array.isArray(value)) refuse(owner, path, expected, value);
      // A sparse or huge array is still walked once: its length bounds the loop.
      for (let i = 0; i < value.length; i += 1) element.check(owner, `${path}[${i}]`, value[i]);
    },
  };
}

/** An object with exactly these fields: an unknown key is refused with the nearest known name. */
export function obj(fields: Fields, expected = 'an object'): OptionSchema {
  const specs = Object.entries(fields).map(([name, spec]): [string, FieldSpec] => [name, 'check' in spec ? { schema: spec } : spec]);
  const names = specs.map(([name]) => name);
  return {
    expected,
    check: (owner, path, value) => {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) refuse(owner, path === '' ? 'options' : path, expected, value);
      const prefix = path === '' ? '' : `${path}.`;
      for (const key of Object.keys(value)) {
        if (names.includes(key)) continue;
        const near = nearestName(key, names);
        throw new TypeError(`${owner}: unknown option ${prefix}${key}${near === undefined ? '' : `; did you mean ${prefix}${near}?`}`);
      }
      const record = value as Readonly<Record<string, unknown>>;
      // A bad value given is named before a value missing: it is what the user just wrote.
      for (const [name, spec] of specs) {
        if (record[name] !== undefined) spec.schema.check(owner, `${prefix}${name}`, record[name]);
      }
      const missing = specs.find(([name, spec]) => spec.required === true && record[name] === undefined);
      if (missing !== undefined) throw new TypeError(`${owner}: ${prefix}${missing[0]} is required (${missing[1].schema.expected})`);
    },
  };
}

/**
 * Checks `value` against a schema, at `path` (`''` for a top-level options object, `sync` for
 * one nested in another); throws the `TypeError` naming the field path. `value` is then known to have the schema's shape (the caller's type says which).
 */
export function validateOptions(owner: string, schema: OptionSchema, value: unknown, path = ''): void {
  schema.check(owner, path, value);
}

/** Edit distance (insertions, deletions, substitutions; case-insensitive), bounded by the inputs' lengths. */
export function editDistance(a: string, b: string): number {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  let previous = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i += 1) {
    const current = [i];
    for (let j = 1; j <= y.length; j += 1) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[y.length]!;
}

/**
 * The known name closest to `key`, if close enough to be a likely typo: within a third of the
 * longer name's length (at least 1, at most 4 edits), or one the key starts or is the start of. A far-off key gets no suggestion, which
 * would only mislead.
 */
export function nearestName(key: string, names: readonly string[]): string | undefined {
  // Very long keys are not typos of a short name; comparing them would only cost time.
  if (key.length > 100) return undefined;
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const name of names) {
    // A name cut short or run on (`initialDelay`, `onAfterReset`) is as likely a slip as a typo.
    const lower = key.toLowerCase();
    const known = name.toLowerCase();
    const affix = Math.min(lower.length, known.length) >= 4 && (lower.startsWith(known) || known.startsWith(lower));
    const distance = affix ? 1 : editDistance(key, name);
    const allowed = Math.min(4, Math.max(1, Math.floor(Math.max(key.length, name.length) / 3)));
    if (distance <= allowed && distance < bestDistance) {
      best = name;
      bestDistance = distance;
    }
  }
  return best;
}

/** An object (or function) with these methods: a logger, a transport. Its other keys are its own business. */
export function withMethods(expected: string, methods: readonly string[]): OptionSchema {
  return custom(expected, (v) => (typeof v === 'object' || typeof v === 'function') && v !== null && methods.every((m) => typeof (v as Readonly<Record<string, unknown>>)[m] === 'function'));
}

/**
 * `options` without the keys it holds as `undefined`: a spread over defaults then leaves each
 * default in force (`{ initialDelayMs: undefined }` passes validation, and must not erase it).
 */
export function withoutUndefined<T extends object>(options: T): Partial<T> {
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as Partial<T>;
}
