import type { NonEmptyList } from '../../machines/connection.machine.js';
import { arrayOf, custom, describeValue, type OptionSchema } from '../config/option-schema.js';

/**
 * The most nodes one `baseUrl` list may name. Every failed attempt walks to the next node, and
 * an auth request tries each once (up to 15 s each when a node does not answer), so a list is a
 * few nodes of one server, not a directory of hosts.
 */
export const MAX_BASE_URLS = 64;

const isHttpUrl = (v: unknown): boolean => {
  if (typeof v !== 'string') return false;
  try {
    const { protocol } = new URL(v);
    return protocol === 'http:' || protocol === 'https:';
  } catch {
    return false;
  }
};

const httpUrl = custom('an http(s) URL', isHttpUrl);
const httpUrls = arrayOf(httpUrl);
const listExpected = `a list of 1 to ${MAX_BASE_URLS} distinct http(s) URLs`;

/**
 * `baseUrl`: one http(s) URL, or a list of 1 to {@link MAX_BASE_URLS} of them naming distinct
 * origins (a URL's path is ignored, as it always was, so `http://h:1` and `http://h:1/x` are one
 * node). A refusal names the entry (`baseUrl[2]`). The length is checked before any entry, so
 * a huge or sparse array costs nothing.
 */
export const baseUrlSchema: OptionSchema = {
  expected: `an http(s) URL or ${listExpected}`,
  check: (owner, path, value) => {
    if (typeof value === 'string') return httpUrl.check(owner, path, value);
    if (!Array.isArray(value)) throw new TypeError(`${owner}: ${path} must be ${baseUrlSchema.expected}, got ${describeValue(value)}`);
    if (value.length === 0 || value.length > MAX_BASE_URLS) {
      throw new TypeError(`${owner}: ${path} must be ${listExpected}, got a list of ${value.length}`);
    }
    // Each entry read once (one may be a getter): what passes is what the checks below saw.
    const list: unknown[] = Array.from(value);
    httpUrls.check(owner, path, list);
    const seen = new Map<string, number>();
    (list as string[]).forEach((url, i) => {
      const origin = new URL(url).origin;
      const first = seen.get(origin);
      if (first !== undefined) throw new TypeError(`${owner}: ${path}[${i}] names the same server as ${path}[${first}] (${origin})`);
      seen.set(origin, i);
    });
  },
};

/**
 * `baseUrl` read once, to check and then use: a list of at most {@link MAX_BASE_URLS} entries
 * becomes a plain copy, so an entry that is a getter cannot pass the check with one value and be
 * used with another. A longer list is left as it is (the check refuses it by its length alone).
 */
export function copyBaseUrl(baseUrl: string | readonly string[]): string | readonly string[] {
  if (!Array.isArray(baseUrl) || baseUrl.length > MAX_BASE_URLS) return baseUrl;
  return Array.from(baseUrl as readonly string[]);
}

/** The origins of a `baseUrl` that passed {@link baseUrlSchema}, in order: one for a single URL. */
export function resolveBaseUrls(baseUrl: string | readonly string[]): NonEmptyList<string> {
  const list = typeof baseUrl === 'string' ? [baseUrl] : baseUrl;
  const [first, ...rest] = list.map((url) => new URL(url).origin);
  if (first === undefined) throw new TypeError('App: baseUrl must not be an empty list');
  return [first, ...rest];
}
