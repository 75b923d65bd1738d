/**
 * `integrationError` tells the two reasons a realm file throws while it records a server
 * message apart by the error's type: the store refusing the server's input is a protocol error,
 * anything else is the client's own disk.
 */
import { describe, expect, it } from 'vitest';
import { integrationError } from '../../src/client/integration-error.js';
import { CursorRegressionError, InvalidInputError, InvalidKeyError, RecordLogError } from '../../src/store/store-errors.js';

const fsError = (code: string): Error => Object.assign(new Error(`${code}: the disk said no, write`), { code, syscall: 'write' });

describe('integrationError', () => {
  it('a message the store refuses (cursor moving back, a bad cursor or key) is badDownload, a fatal protocol error', () => {
    for (const refusal of [new CursorRegressionError('download cursor would move back'), new InvalidInputError('the cursor names client version 9'), new InvalidKeyError('id', 'too long')]) {
      expect(integrationError(refusal, 'why')).toEqual({ code: 'badDownload', category: 'protocol', isFatal: true, message: 'why' });
    }
  });

  it('a failing disk (an fs error, a record log that cannot write) is localStorageFailed, a fatal session error', () => {
    for (const failure of [fsError('EIO'), fsError('ENOSPC'), fsError('EROFS'), new RecordLogError('could not append to /a.realm: EIO', { cause: fsError('EIO') })]) {
      expect(integrationError(failure, 'why')).toEqual({ code: 'localStorageFailed', category: 'session', isFatal: true, message: 'why' });
    }
  });
});
