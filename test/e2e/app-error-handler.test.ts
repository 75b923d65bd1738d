/**
 * `new App({ onSyncError })` against a real server: the errors of sessions opened without their
 * own `sync.onError` reach it, as `(session, error)`; a session with its own handler keeps them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Credentials, Realm, SyncError, type SyncSession } from '../../src/index.js';
import { eventually, Harness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

describe('the app-wide error handler', () => {
  it('hears the errors of sessions without their own onError; a session with one keeps its own', async () => {
    h = await new Harness().start({ permissions: (_u, partition) => (partition.startsWith('ro') ? 'none' : 'readWrite') });
    const heard: Array<{ session: SyncSession; error: SyncError }> = [];
    const app = h.app({ onSyncError: (session, error) => void heard.push({ session, error }) });
    const user = await app.logIn(Credentials.anonymous());
    // No onError of its own: the app's handler hears its permission error.
    const plain = await Realm.open({ sync: { user, partition: 'ro-1' } });
    plain.write((tx) => tx.put('Task', 'forbidden', { n: 1 }));
    await eventually(() => heard.length > 0, 'the app-wide handler heard the error');
    expect(heard[0]!.session).toBe(plain.syncSession);
    expect(heard[0]!.error).toBeInstanceOf(SyncError);
    expect(heard[0]!.error).toMatchObject({ category: 'permission', isFatal: true });
    // Its own onError: that one hears, the app's does not.
    const own: SyncError[] = [];
    const handled = await Realm.open({ sync: { user, partition: 'ro-2', onError: (_s, e) => void own.push(e) } });
    handled.write((tx) => tx.put('Task', 'forbidden', { n: 2 }));
    await eventually(() => own.length > 0, 'its own handler heard the error');
    expect(own[0]).toMatchObject({ category: 'permission' });
    expect(heard).toHaveLength(1);
    plain.close();
    handled.close();
  });
});
