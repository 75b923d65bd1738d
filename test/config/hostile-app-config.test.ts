/**
 * `new App(config)` under hostile configuration: every unknown key (nested ones included) and
 * every wrong value is a `TypeError` naming the field's path, never another crash, and a
 * refused app opens nothing (no storage folder, no socket).
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { App } from '../../src/client/app.js';
import { resolveAppConfig, type AppConfig } from '../../src/client/app-config.js';
import { MAX_BASE_URLS } from '../../src/client/base-urls.js';
import { silentLogger } from '../../src/store/logger.js';
import type { Transport } from '../../src/transport/transport.js';
import { applyMutation, expectAcceptable, expectRefusalNaming, hostileSeed, mutation, type OptionShape } from '../support/hostile-options.js';

const root = mkdtempSync(join(tmpdir(), 'hostile-app-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

let connects = 0;
const counting: Transport = {
  connect: () => {
    connects += 1;
    throw new Error('no socket may open here');
  },
};

const shape: OptionShape = {
  objects: {
    '': ['baseUrl', 'storageDir', 'reconnect', 'keepalive', 'connectTimeoutMs', 'lingerMs', 'refreshRetryDelayMs', 'durability', 'clock', 'inspect', 'logger', 'onSyncError', 'transport', 'authTransport', 'userAgent'],
    reconnect: ['initialDelayMs', 'maxDelayMs', 'multiplier'],
    keepalive: ['pingIntervalMs', 'pongTimeoutMs'],
  },
  leaves: [
    'baseUrl', 'storageDir', 'reconnect', 'reconnect.initialDelayMs', 'reconnect.maxDelayMs', 'reconnect.multiplier', 'keepalive',
    'keepalive.pingIntervalMs', 'keepalive.pongTimeoutMs', 'connectTimeoutMs', 'lingerMs', 'refreshRetryDelayMs', 'durability', 'clock', 'inspect', 'logger', 'userAgent',
  ],
  valid: {
    'reconnect.initialDelayMs': fc.integer({ min: 10, max: 2 ** 31 - 1 }),
    'reconnect.maxDelayMs': fc.double({ min: 10, max: 2 ** 31 - 1, noNaN: true }),
    'reconnect.multiplier': fc.double({ min: 1, max: 1_000, noNaN: true }),
    'keepalive.pingIntervalMs': fc.integer({ min: 50, max: 2 ** 31 - 1 }),
    'keepalive.pongTimeoutMs': fc.integer({ min: 50, max: 2 ** 31 - 1 }),
    connectTimeoutMs: fc.integer({ min: 50, max: 2 ** 31 - 1 }),
    lingerMs: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
    refreshRetryDelayMs: fc.integer({ min: 10, max: 2 ** 31 - 1 }),
    durability: fc.constantFrom('full', 'batched'),
    baseUrl: fc.constantFrom<unknown>('http://127.0.0.1:9', 'https://127.0.0.1/', 'http://localhost:1/path', ['http://127.0.0.1:9'], ['http://127.0.0.1:9', 'https://127.0.0.1:10/x']),
    clock: fc.constant(() => 0),
    userAgent: fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), minLength: 1, maxLength: 256 }).filter((v) => v.trim() === v),
  },
};

/** The explicit cases of the issue, and the bounds of the timing options. */
describe('new App refuses bad configuration by name', () => {
  const base = (): AppConfig => ({ baseUrl: 'http://127.0.0.1:1', storageDir: join(root, 'explicit'), logger: silentLogger, transport: counting });

  it('an unknown key names itself and the nearest known name; a far-off one gets no suggestion', () => {
    expect(() => new App({ ...base(), reconnect: { initialDelay: 5 } as never })).toThrow(
      new TypeError('App: unknown option reconnect.initialDelay; did you mean reconnect.initialDelayMs?'),
    );
    expect(() => new App({ ...base(), lingerMS: 5 } as never)).toThrow(/unknown option lingerMS; did you mean lingerMs\?$/);
    expect(() => new App({ ...base(), keepalive: { pingInterval: 5 } } as never)).toThrow(/did you mean keepalive\.pingIntervalMs\?/);
    expect(() => new App({ ...base(), colour: 'blue' } as never)).toThrow(new TypeError('App: unknown option colour'));
  });

  it('onSyncError must be a function', () => {
    for (const bad of [5, 'log', {}, null]) expect(() => new App({ ...base(), onSyncError: bad as never })).toThrow(/App: onSyncError must be a function \(session, error\) => void/);
  });

  it('userAgent is visible ASCII of at most 256 characters, appended to the library\'s own; CR, LF, control characters or the wrong type are refused by name', () => {
    const library = resolveAppConfig(base()).userAgent;
    expect(library).toMatch(/^sync-session\/\d+\.\d+\.\d+\S* \(Node \d+\.\d+\.\d+\)$/);
    expect(resolveAppConfig({ ...base(), userAgent: 'notes/1.0 (x)' }).userAgent).toBe(`${library} notes/1.0 (x)`);
    expect(resolveAppConfig({ ...base(), userAgent: 'a'.repeat(256) }).userAgent).toBe(`${library} ${'a'.repeat(256)}`);
    for (const bad of ['', ' ', ' lead', 'trail ', 'a\r\nX-Injected: 1', 'tab\there', 'nul\u0000', 'del\u007f', 'café', 'a'.repeat(257), 5, null, ['x'], { toString: () => 'x' }]) {
      expect(() => new App({ ...base(), userAgent: bad as never })).toThrow(/^App: userAgent must be a string of 1 to 256 visible ASCII characters or spaces/);
    }
    expect(() => new App({ ...base(), userAgnet: 'x' } as never)).toThrow(/unknown option userAgnet; did you mean userAgent\?/);
    expect(connects).toBe(0);
  });

  it('an option given as undefined leaves its default in force (its spread over the defaults must not erase the minimum)', () => {
    const resolved = resolveAppConfig({ ...base(), reconnect: { initialDelayMs: undefined, maxDelayMs: 1_000 }, keepalive: { pingIntervalMs: undefined, pongTimeoutMs: undefined } } as never);
    expect(resolved.reconnect).toEqual({ maxDelayMs: 1_000 });
    expect('initialDelayMs' in resolved.reconnect).toBe(false);
    expect(Object.keys(resolved.keepalive)).toEqual([]);
  });

  it('timing options have bounds: a keepalive ping of 0 ms (which flapped the connection) or a delay beyond 2^31 − 1 ms is refused', () => {
    expect(() => new App({ ...base(), keepalive: { pingIntervalMs: 0 } })).toThrow(
      new TypeError('App: keepalive.pingIntervalMs must be a number from 50 to 2,147,483,647 ms, got 0'),
    );
    expect(() => new App({ ...base(), keepalive: { pongTimeoutMs: 10 } })).toThrow(/keepalive\.pongTimeoutMs must be a number from 50/);
    expect(() => new App({ ...base(), reconnect: { initialDelayMs: 0 } })).toThrow(/reconnect\.initialDelayMs must be a number from 10 /);
    expect(() => new App({ ...base(), reconnect: { maxDelayMs: 2 ** 31 } })).toThrow(/reconnect\.maxDelayMs .* got 2147483648/);
    expect(() => new App({ ...base(), lingerMs: 2 ** 32 })).toThrow(/lingerMs/);
    // 0 would fail every attempt before it could open; beyond 2^31 − 1 a timer fires at once.
    expect(() => new App({ ...base(), connectTimeoutMs: 0 })).toThrow(new TypeError('App: connectTimeoutMs must be a number from 50 to 2,147,483,647 ms, got 0'));
    expect(() => new App({ ...base(), connectTimeoutMs: 2 ** 31 })).toThrow(/connectTimeoutMs .* got 2147483648/);
    expect(() => new App({ ...base(), connectTimeoutMs: Number.NaN })).toThrow(/connectTimeoutMs/);
    expect(() => new App({ ...base(), connectTimeoutMs: '5000' as never })).toThrow(/connectTimeoutMs/);
    expect(resolveAppConfig(base()).connectTimeoutMs).toBe(15_000);
    expect(resolveAppConfig({ ...base(), connectTimeoutMs: 50 }).connectTimeoutMs).toBe(50);
    expect(() => new App({ ...base(), refreshRetryDelayMs: 0 })).toThrow(/refreshRetryDelayMs/);
    expect(() => new App({ ...base(), reconnect: { multiplier: 0.5 } })).toThrow(/reconnect\.multiplier must be a number from 1 /);
    for (const ok of [{ keepalive: { pingIntervalMs: 50, pongTimeoutMs: 50 } }, { lingerMs: 0, reconnect: { initialDelayMs: 10, maxDelayMs: 2 ** 31 - 1 } }]) {
      new App({ ...base(), ...ok }).close();
    }
    expect(connects).toBe(0);
  });

  it('a value of the wrong type names the field, what it must be and what it got', () => {
    expect(() => new App({ ...base(), durability: 1 as never })).toThrow(new TypeError("App: durability must be one of 'full', 'batched', got 1"));
    expect(() => new App({ ...base(), logger: {} as never })).toThrow(/logger must be a Logger .*got an object/);
    expect(() => new App({ ...base(), inspect: { url: 'ws://127.0.0.1:1', retry: true } as never })).toThrow(/unknown option inspect\.retry/);
  });
});

describe('baseUrl: one URL or a list of nodes (docs/SEMANTICS.md §2.8)', () => {
  const base = (baseUrl: unknown): AppConfig => ({ baseUrl, storageDir: join(root, 'nodes'), logger: silentLogger, transport: counting }) as AppConfig;

  it('a single string works as before: its origin, one node', () => {
    expect(resolveAppConfig(base('http://127.0.0.1:1/some/path')).baseUrls).toEqual(['http://127.0.0.1:1']);
  });

  it('a list is kept in order, each entry as its origin; 1 and 64 entries are accepted', () => {
    expect(resolveAppConfig(base(['http://127.0.0.1:2/', 'https://127.0.0.1:1/x'])).baseUrls).toEqual(['http://127.0.0.1:2', 'https://127.0.0.1:1']);
    expect(resolveAppConfig(base(['http://127.0.0.1:3'])).baseUrls).toEqual(['http://127.0.0.1:3']);
    const most = Array.from({ length: MAX_BASE_URLS }, (_, i) => `http://127.0.0.1:${i + 1}`);
    expect(resolveAppConfig(base(most)).baseUrls).toEqual(most);
    new App(base(most)).close();
    expect(connects).toBe(0);
  });

  it('an empty list, a list of more than 64, or a huge sparse one is refused by its length, before any entry', () => {
    expect(() => new App(base([]))).toThrow(new TypeError('App: baseUrl must be a list of 1 to 64 distinct http(s) URLs, got a list of 0'));
    const tooMany = Array.from({ length: MAX_BASE_URLS + 1 }, (_, i) => `http://127.0.0.1:${i + 1}`);
    expect(() => new App(base(tooMany))).toThrow(new TypeError('App: baseUrl must be a list of 1 to 64 distinct http(s) URLs, got a list of 65'));
    // Walking 2^32 − 1 holes would hang; the length alone refuses it.
    expect(() => new App(base(new Array(2 ** 32 - 1)))).toThrow(/^App: baseUrl must be a list of 1 to 64 .*got a list of 4294967295$/);
  });

  it('a bad entry is named by its index', () => {
    expect(() => new App(base(['http://127.0.0.1:1', 5]))).toThrow(new TypeError('App: baseUrl[1] must be an http(s) URL, got 5'));
    expect(() => new App(base(['ftp://127.0.0.1:1']))).toThrow(new TypeError('App: baseUrl[0] must be an http(s) URL, got "ftp://127.0.0.1:1"'));
    expect(() => new App(base(['http://127.0.0.1:1', null]))).toThrow(/^App: baseUrl\[1\] must be an http\(s\) URL, got null$/);
    expect(() => new App(base([['http://127.0.0.1:1']]))).toThrow(/^App: baseUrl\[0\] must be an http\(s\) URL, got an array$/);
    expect(() => new App(base(['http://127.0.0.1:1', , 'http://127.0.0.1:2']))).toThrow(/^App: baseUrl\[1\] must be an http\(s\) URL, got undefined$/);
    expect(() => new App(base({ 0: 'http://127.0.0.1:1', length: 1 }))).toThrow(/^App: baseUrl must be an http\(s\) URL or a list of 1 to 64 distinct http\(s\) URLs, got an object$/);
  });

  it('two entries naming one server (same origin) are refused, naming both', () => {
    expect(() => new App(base(['http://127.0.0.1:1', 'http://127.0.0.1:2', 'http://127.0.0.1:1/other']))).toThrow(
      new TypeError('App: baseUrl[2] names the same server as baseUrl[0] (http://127.0.0.1:1)'),
    );
    expect(() => new App(base(['HTTP://LOCALHOST:80/', 'http://localhost']))).toThrow(/baseUrl\[1\] names the same server as baseUrl\[0\]/);
    expect(connects).toBe(0);
  });
});

describe('new App under random hostile configuration', () => {
  it('accepts a valid config or throws a TypeError naming the exact field; a refused one opens nothing', () => {
    let accepted = 0;
    let refused = 0;
    let run = 0;
    fc.assert(
      fc.property(
        // `inspect: true` would reach for a relay on this machine: no socket belongs in this test.
        mutation(shape, (path, value) => !(path === 'inspect' && (value === true || (typeof value === 'object' && value !== null)))),
        (m) => {
          run += 1;
          const storageDir = join(root, `run${run}`);
          const config = applyMutation({ baseUrl: 'http://127.0.0.1:1', storageDir, logger: silentLogger, transport: counting }, m);
          let app: App | undefined;
          try {
            app = new App(config as unknown as AppConfig);
          } catch (error) {
            expectRefusalNaming(error, m, 'App');
            refused += 1;
          }
          if (app === undefined) expect(typeof config.storageDir !== 'string' || !existsSync(config.storageDir)).toBe(true);
          else {
            accepted += 1;
            expectAcceptable(m);
            app.close();
          }
          expect(connects).toBe(0);
        },
      ),
      { numRuns: 400, seed: hostileSeed, endOnFailure: true },
    );
    console.log(`hostile App config: ${run} cases (${refused} refused, ${accepted} accepted), seed ${hostileSeed} (FC_SEED to replay)`);
    expect(refused).toBeGreaterThan(0);
    expect(accepted).toBeGreaterThan(0);
  });
});
