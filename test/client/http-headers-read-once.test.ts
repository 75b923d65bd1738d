/**
 * `sync.customHttpHeaders` is read once, and only that copy is checked and sent: a proxy that
 * answers one way when it is counted or typed and another when it is read again is refused,
 * and nothing it answered later reaches a request (found in review: a header injection and a
 * reserved name got through when a refused object was read again by the check and the copy).
 */
import { describe, expect, it } from 'vitest';
import { checkedHttpHeaders } from '../../src/client/http-headers.js';

describe('custom headers are read once', () => {
  it('a proxy counting 65 keys first and one later is refused, never read into a header with CR LF', () => {
    let keysCalls = 0;
    let gets = 0;
    const many = Array.from({ length: 65 }, (_, i) => `x-${i}`);
    const proxy = new Proxy({} as Record<string, string>, {
      ownKeys: () => (++keysCalls === 1 ? many : ['x-a']),
      getOwnPropertyDescriptor: () => ({ value: 'x', enumerable: true, configurable: true, writable: true }),
      get: (_t, k) => (k === 'x-a' ? (++gets <= 1 ? 'ok' : 'ok\r\nHost: evil') : undefined),
    });
    expect(() => checkedHttpHeaders('t', 'h', proxy)).toThrow(TypeError);
  });

  it('a proxy typed as an array first and a plain object later is refused, its later keys never sent', () => {
    let protoCalls = 0;
    let keysCalls = 0;
    const proxy = new Proxy({} as Record<string, string>, {
      getPrototypeOf: () => (++protoCalls === 1 ? Array.prototype : Object.prototype),
      ownKeys: () => (++keysCalls === 1 ? ['x-a'] : ['sec-websocket-key']),
      getOwnPropertyDescriptor: () => ({ value: 'x', enumerable: true, configurable: true, writable: true }),
      get: () => 'AAAA',
    });
    expect(() => checkedHttpHeaders('t', 'h', proxy)).toThrow(TypeError);
  });
});
