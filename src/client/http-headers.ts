import { packageVersion } from '../cli/version.js';
import { describeValue, type OptionSchema } from '../config/option-schema.js';

/**
 * What the client says about itself and what a user adds to its HTTP requests: the
 * `User-Agent` (`App({ userAgent })`) and `sync.customHttpHeaders`, checked and put in one
 * canonical form. Pure logic but for the package's version, read once.
 */

/** HTTP headers as the runtime sends them: lower-case names, sorted, frozen. */
export type HttpHeaders = Readonly<Record<string, string>>;

/** The most headers `sync.customHttpHeaders` may hold. */
export const MAX_CUSTOM_HTTP_HEADERS = 64;
/** The most bytes of names and values together `sync.customHttpHeaders` may hold. */
export const MAX_CUSTOM_HTTP_HEADER_BYTES = 8 * 1024;
/** The longest `App({ userAgent })` extension. */
export const MAX_USER_AGENT_LENGTH = 256;

/**
 * Names the runtime, HTTP or the WebSocket handshake own: one given twice would be ambiguous,
 * and `fetch` or `ws` would refuse or overwrite it. `authorization` is not here: the access
 * token rides in BIND and the refresh token in the body, so a gateway may have the header.
 */
const RESERVED = new Set(['host', 'connection', 'upgrade', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'expect', 'content-length', 'content-type', 'user-agent']);

/** RFC 7230 `token`: what a header name may be. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Visible ASCII, space and tab: what survives every HTTP stack unchanged (no CR, LF, NUL or other control). */
const FIELD_VALUE = /^[\t\x20-\x7e]*$/;
/** Visible ASCII and space, for the user agent. */
const VISIBLE = /^[\x20-\x7e]+$/;

const reservedProblem = (lower: string): string | undefined =>
  RESERVED.has(lower) || lower.startsWith('sec-websocket-') ? `${lower} is the runtime's to send` : undefined;

/** What is wrong with one header, if anything. */
function headerProblem(name: string, value: unknown): string | undefined {
  if (!TOKEN.test(name)) return 'the name is not an HTTP token (letters, digits and !#$%&\'*+-.^_`|~)';
  const reserved = reservedProblem(name.toLowerCase());
  if (reserved !== undefined) return reserved;
  if (typeof value !== 'string') return `the value must be a string, got ${describeValue(value)}`;
  if (!FIELD_VALUE.test(value)) return 'the value holds a control character (CR, LF, NUL…) or one outside ASCII';
  // A parser trims these: the server would see another value than the one sessions are keyed by.
  if (value !== value.trim()) return 'the value starts or ends with whitespace';
  return undefined;
}

const isPlainObject = (value: unknown): value is Readonly<Record<string, unknown>> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

/**
 * `sync.customHttpHeaders`: a plain object of at most {@link MAX_CUSTOM_HTTP_HEADERS} headers
 * and {@link MAX_CUSTOM_HTTP_HEADER_BYTES} bytes, each name a token the runtime does not own
 * (case-insensitively, and once), each value a string of visible ASCII. Checks a copy
 * ({@link copyHttpHeaders}), so a getter cannot answer differently later.
 */
export const customHttpHeadersSchema: OptionSchema = {
  expected: `an object of at most ${MAX_CUSTOM_HTTP_HEADERS} HTTP headers (name: string value)`,
  check: (owner, path, value) => {
    const fail = (why: string): never => {
      throw new TypeError(`${owner}: ${path} must be ${customHttpHeadersSchema.expected}, got ${describeValue(value)}${why === '' ? '' : `: ${why}`}`);
    };
    if (!isPlainObject(value)) return fail('');
    const names = Object.keys(value);
    if (names.length > MAX_CUSTOM_HTTP_HEADERS) fail(`${names.length} headers`);
    const seen = new Set<string>();
    let bytes = 0;
    for (const name of names) {
      const header = value[name];
      const problem = headerProblem(name, header);
      if (problem !== undefined) throw new TypeError(`${owner}: ${path}[${describeValue(name)}] is refused: ${problem}`);
      const lower = name.toLowerCase();
      if (seen.has(lower)) throw new TypeError(`${owner}: ${path}[${describeValue(name)}] is refused: ${lower} is given twice (names are case-insensitive)`);
      seen.add(lower);
      bytes += name.length + (header as string).length;
    }
    if (bytes > MAX_CUSTOM_HTTP_HEADER_BYTES) fail(`${bytes} bytes of names and values, more than ${MAX_CUSTOM_HTTP_HEADER_BYTES}`);
  },
};

/**
 * A copy of `value` taken once, each key read once, for {@link customHttpHeadersSchema} to check:
 * what is checked is what is sent. `undefined` for anything but a plain object of at most
 * {@link MAX_CUSTOM_HTTP_HEADERS} keys, which is refused without being read again; one that
 * cannot be read (a getter or a proxy that throws) is a `TypeError` at `path`.
 */
function copyHttpHeaders(owner: string, path: string, value: unknown): Record<string, unknown> | undefined {
  try {
    if (!isPlainObject(value)) return undefined;
    // Bounded before any value is read: a million keys are refused by their count.
    const names = Object.keys(value);
    if (names.length > MAX_CUSTOM_HTTP_HEADERS) return undefined;
    const copy: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    for (const name of names) copy[name] = value[name];
    return copy;
  } catch (error) {
    throw new TypeError(`${owner}: ${path} could not be read: ${error instanceof Error ? error.message : describeValue(error)}`);
  }
}

/**
 * Checked headers in their canonical form: lower-case names, sorted, frozen. Equal forms are
 * what lets two sessions of a user share a socket (docs/SEMANTICS.md §2.1).
 */
export function canonicalHttpHeaders(headers: Readonly<Record<string, string>> | undefined): HttpHeaders {
  const entries = Object.entries(headers ?? {}).map(([name, value]): [string, string] => [name.toLowerCase(), value]);
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return Object.freeze(Object.fromEntries(entries));
}

/**
 * `value` read once ({@link copyHttpHeaders}), checked ({@link customHttpHeadersSchema}: a
 * `TypeError` at `path`) and made canonical ({@link canonicalHttpHeaders}).
 */
export function checkedHttpHeaders(owner: string, path: string, value: unknown): HttpHeaders {
  const copy = copyHttpHeaders(owner, path, value);
  if (copy === undefined) {
    // Refused. The schema words why; a proxy that reads otherwise the second time is refused all the same.
    try {
      customHttpHeadersSchema.check(owner, path, value);
    } catch (error) {
      if (error instanceof TypeError) throw error;
    }
    let described = 'a value that cannot be read';
    try {
      described = describeValue(value);
    } catch {
      // A proxy whose every trap throws: named as such.
    }
    throw new TypeError(`${owner}: ${path} must be ${customHttpHeadersSchema.expected}, got ${described}`);
  }
  customHttpHeadersSchema.check(owner, path, copy);
  return canonicalHttpHeaders(copy as Readonly<Record<string, string>>);
}

/** One string per canonical form: equal headers, equal keys. */
export function httpHeadersKey(headers: HttpHeaders): string {
  return JSON.stringify(Object.entries(headers));
}

/** `App({ userAgent })`: visible ASCII and spaces, at most {@link MAX_USER_AGENT_LENGTH} characters. */
export const userAgentSchema: OptionSchema = {
  expected: `a string of 1 to ${MAX_USER_AGENT_LENGTH} visible ASCII characters or spaces (no CR, LF or other control; no space at either end)`,
  check: (owner, path, value) => {
    // Spaces at either end are what a parser trims: the server would read another string.
    if (typeof value !== 'string' || value.length > MAX_USER_AGENT_LENGTH || !VISIBLE.test(value) || value.trim() !== value) {
      throw new TypeError(`${owner}: ${path} must be ${userAgentSchema.expected}, got ${describeValue(value)}`);
    }
  },
};

let version: string | undefined;

/**
 * The `User-Agent` of every request the client makes: `sync-session/<version> (Node <version>)`,
 * then `extension` (`App({ userAgent })`) when given. The version is the package's own.
 */
export function libraryUserAgent(extension?: string): string {
  version ??= packageVersion();
  const base = `sync-session/${version} (Node ${process.versions.node})`;
  return extension === undefined ? base : `${base} ${extension}`;
}
