import { describe, expect, it } from 'vitest';
import { SessionClosedError, SyncError } from '../../src/index.js';

describe('public errors', () => {
  it('SyncError carries the chart error and its action token, and round-trips to plain data', () => {
    const info = { code: 'permissionDenied', category: 'permission', isFatal: true, message: 'no write access' } as const;
    const error = new SyncError(info, { action: 'deleteLocalFile', realmPath: '/tmp/a.realm' });
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('SyncError');
    expect(error.message).toBe('no write access');
    expect(error.actionToken?.action).toBe('deleteLocalFile');
    expect(error.toInfo()).toEqual(info);
  });

  it('SessionClosedError is an Error with its own name', () => {
    const error = new SessionClosedError();
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe('SessionClosedError');
    expect(error.message).toMatch(/closed/);
  });
});
