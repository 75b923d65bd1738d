import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { InvalidActionTokenError, SyncSession, type ErrorActionToken } from '../../src/index.js';
import { eventually, Harness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

describe('error action tokens', () => {
  it('only a token the app issued runs, once; a forged one, a copy, or another app’s is refused and touches no file', async () => {
    h = await new Harness().start({ permissions: (_u, partition) => (partition === 'ro' ? 'none' : 'readWrite') });
    const a = await h.client('ro');
    const other = h.app();
    a.realm.write((tx) => tx.put('Task', 'forbidden', { n: 1 }));
    await eventually(() => a.errors.length > 0, 'onError');
    const token = a.errors[0]!.actionToken!;
    expect(token).toEqual({ action: 'deleteLocalFile', realmPath: a.realm.path });
    a.realm.close();

    const victim = join(h.dir, 'victim.txt');
    writeFileSync(victim, 'not yours');
    const forged: ErrorActionToken[] = [
      { action: 'deleteLocalFile', realmPath: victim },
      { action: 'clientResetBackup', realmPath: victim },
      { action: 'deleteLocalFile', realmPath: a.realm.path }, // the right shape and path, but not issued
      { ...token },
      Object.create(token) as ErrorActionToken,
    ];
    let refused = 0;
    for (const candidate of forged) {
      expect(() => SyncSession.immediatelyHandleError(candidate, a.app.syncManager)).toThrow(InvalidActionTokenError);
      expect(() => a.app.syncManager.runErrorAction(candidate)).toThrow(InvalidActionTokenError);
      refused += 2;
    }
    expect(() => SyncSession.immediatelyHandleError(token, other.syncManager)).toThrow(InvalidActionTokenError);
    refused++;
    // Issued tokens are frozen: the path they name cannot be changed to another file.
    expect(() => {
      (token as { realmPath: string }).realmPath = victim;
    }).toThrow(TypeError);
    expect(readFileSync(victim, 'utf8')).toBe('not yours');
    expect(existsSync(a.realm.path)).toBe(true);

    // The genuine token, given to the app that issued it, runs; then it is used up.
    SyncSession.immediatelyHandleError(token, a.app.syncManager);
    expect(existsSync(a.realm.path)).toBe(false);
    expect(() => SyncSession.immediatelyHandleError(token, a.app.syncManager)).toThrow(InvalidActionTokenError);
    refused++;
    expect(readFileSync(victim, 'utf8')).toBe('not yours');
    console.log(`action tokens: ${refused} refusals (forged, copied, prototype-chained, another app's, used up), 1 genuine token run`);
  });
});
