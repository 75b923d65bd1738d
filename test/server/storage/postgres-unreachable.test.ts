/**
 * Which errors say the database is out of reach (the node then sends its clients elsewhere):
 * connection-level SQLSTATEs, socket errnos and pg's own messages, also as a cause; a statement
 * that failed on its own (a constraint, a syntax error) is not; hostile shapes do not throw.
 */
import { describe, expect, it } from 'vitest';
import { isDatabaseUnreachable } from '../../../src/server/storage/postgres/unreachable.js';

const withCode = (code: unknown, message = 'x') => Object.assign(new Error(message), { code });

describe('isDatabaseUnreachable', () => {
  it('connection exceptions, shutdowns, too many connections, refused or cut sockets, pg\'s messages: unreachable', () => {
    for (const code of ['08000', '08003', '08006', '08001', '57P01', '57P02', '57P03', '53300', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE']) {
      expect(isDatabaseUnreachable(withCode(code)), code).toBe(true);
    }
    expect(isDatabaseUnreachable(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isDatabaseUnreachable(new Error('timeout exceeded when trying to connect'))).toBe(true);
    expect(isDatabaseUnreachable(new Error('cannot open the storage', { cause: withCode('ECONNREFUSED') }))).toBe(true);
  });

  it('a statement that failed on its own, and anything not an error of that kind: reachable', () => {
    for (const code of ['23505', '42601', '40001', '57014', '0800', '080000', 'E', 42, null]) expect(isDatabaseUnreachable(withCode(code)), String(code)).toBe(false);
    for (const value of [undefined, null, 'Connection terminated', 42, {}, [], new RangeError('client version 3 follows 1')]) expect(isDatabaseUnreachable(value)).toBe(false);
    const looped: { cause?: unknown; message: string } = { message: 'outer' };
    looped.cause = looped;
    expect(isDatabaseUnreachable(looped)).toBe(false);
    const hostile = { get code(): string { throw new Error('getter'); } };
    expect(isDatabaseUnreachable(hostile)).toBe(false);
  });
});
