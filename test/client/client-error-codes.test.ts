/**
 * The client's error codes are one table (`machines/client-error-codes.ts`): the README lists
 * exactly its rows, no code is in both the client's and the server's table, and the client builds
 * no error of its own beside it (every `SyncErrorInfo` of machines/ and src/client comes from
 * `clientError`, or `serverCodeError` for a server code).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { clientError, clientErrorCodes, isClientErrorCode } from '../../machines/client-error-codes.js';
import { SyncError } from '../../src/client/errors.js';
import { decodeServerMessage } from '../../src/protocol/index.js';
import { errorCodes } from '../../src/protocol/error-codes.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');

/** The rows of the README's "Error codes" table: code, category, isFatal. */
function readmeRows(): string[][] {
  const section = readme.split(/^### Error codes$/m)[1]?.split(/^#{2,3} /m)[0] ?? '';
  return section
    .split('\n')
    .filter((line) => /^\| `/.test(line))
    .map((line) => line.split('|').slice(1, 4).map((cell) => cell.trim()));
}

/** The charts' and the runtime's source files, less the table itself and the test alphabets that invent their own errors. */
function clientSources(): string[] {
  const alphabets = new Set(['machines/client-error-codes.ts', 'machines/session.alphabet.ts', 'machines/waiter.machine.ts']);
  return ['machines', 'src/client']
    .flatMap((dir) => readdirSync(join(root, dir)).filter((f) => f.endsWith('.ts')).map((f) => `${dir}/${f}`))
    .filter((file) => !alphabets.has(file));
}

describe('client error codes', () => {
  it('README "Error codes" lists exactly the codes of clientErrorCodes, with their category and fatality', () => {
    const expected = Object.entries(clientErrorCodes).map(([code, info]) => [`\`${code}\``, info.category, info.isFatal ? 'yes' : 'no']);
    expect(readmeRows()).toEqual(expected);
  });

  it('no code is both a client and a server code', () => {
    expect(Object.keys(clientErrorCodes).filter((code) => Object.hasOwn(errorCodes, code))).toEqual([]);
  });

  it('clientError takes category and fatality from the table; isClientErrorCode knows its codes only', () => {
    expect(clientError('localStorageFailed', 'EIO')).toEqual({ code: 'localStorageFailed', category: 'session', isFatal: true, message: 'EIO' });
    expect(isClientErrorCode('badDownload')).toBe(true);
    expect(isClientErrorCode('permissionDenied')).toBe(false);
    expect(isClientErrorCode('toString')).toBe(false);
  });

  it('the charts and the runtime build no error beside the tables', () => {
    // An error literal names its category; one built from the tables does not.
    const literals = clientSources().filter((file) => /category: '/.test(readFileSync(join(root, file), 'utf8')));
    expect(literals).toEqual([]);
  });

  it("a server's code this client does not know is refused with the frame, and the reason names it (what badServerMessage carries)", () => {
    const frame = { type: 'error', session: 1, code: 'quotaExceeded', category: 'session', isFatal: false, message: 'a newer server', tryAgain: false };
    const decoded = decodeServerMessage(JSON.stringify(frame));
    expect(decoded._tag).toBe('Left');
    expect(decoded._tag === 'Left' ? decoded.left.message : '').toMatch(/code: .*got "quotaExceeded"/);
  });

  it("a SyncError's code is a code of either table; built from another, it is unknown", () => {
    expect(new SyncError(clientError('localStorageFailed', 'EIO')).code).toBe('localStorageFailed');
    expect(new SyncError({ code: 'permissionDenied', category: 'permission', isFatal: true, message: 'no' }).code).toBe('permissionDenied');
    expect(new SyncError({ code: 'test.session', category: 'session', isFatal: false, message: 'made up' }).code).toBe('unknown');
  });
});
