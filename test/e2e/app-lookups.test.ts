/**
 * What a user can look up (realm-js's names) against a real server: `app.currentUser`,
 * `app.allUsers`, `user.app`, and `app.syncManager.getSession(user, partition)` (a user cannot
 * know the file's path before opening it).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { Credentials, Realm } from '../../src/index.js';
import { Harness } from './harness.js';

let h: Harness;
afterEach(async () => {
  await h.close();
});

describe('lookups a user can make', () => {
  it('currentUser is the last logged in and still logged in; allUsers every user by id; user.app its app', async () => {
    h = await new Harness().start();
    const app = h.app();
    expect(app.currentUser).toBeNull();
    expect(app.allUsers).toEqual({});
    const ann = await app.logIn(Credentials.anonymous());
    const bob = await app.logIn(Credentials.anonymous());
    expect(app.currentUser).toBe(bob);
    expect(app.allUsers).toEqual({ [ann.id]: ann, [bob.id]: bob });
    expect(ann.app).toBe(app);
    bob.logOut();
    expect(app.currentUser).toBe(ann); // the one before is current again
    expect(Object.keys(app.allUsers).sort()).toEqual([ann.id, bob.id].sort()); // logged out, still known
    ann.logOut();
    expect(app.currentUser).toBeNull();
    expect(() => ((app.allUsers as Record<string, unknown>)['x'] = 1)).toThrow(TypeError);
  });

  it('syncManager.getSession(user, partition) finds the session of an opened partition, and only that', async () => {
    h = await new Harness().start();
    const app = h.app();
    const user = await app.logIn(Credentials.anonymous());
    const other = await app.logIn(Credentials.anonymous());
    expect(app.syncManager.getSession(user, 'team')).toBeUndefined();
    const realm = await Realm.open({ sync: { user, partition: 'team' } });
    const session = app.syncManager.getSession(user, 'team');
    expect(session).toBe(realm.syncSession);
    expect(session?.partition).toBe('team');
    expect(app.syncManager.getSession(user, 'elsewhere')).toBeUndefined();
    expect(app.syncManager.getSession(other, 'team')).toBeUndefined();
    expect(() => app.syncManager.getSession({} as never, 'team')).toThrow(/getSession: user must be a User from app.logIn/);
    expect(() => app.syncManager.getSession(user, 7 as never)).toThrow(/getSession: partition must be a string, got number/);
    realm.close();
    // After app.close() the lookup still names the session, which says it is over.
    app.close();
    const closed = app.syncManager.getSession(user, 'team');
    expect(closed).toBe(session);
    expect(closed?.state).toBe('inactive');
    await expect(closed!.waitForUpload()).rejects.toThrow(/closed/);
  });
});
