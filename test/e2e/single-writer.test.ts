import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Credentials, FileLockedError, Realm, SyncSession } from '../../src/index.js';
import { eventually } from '../support/eventually.js';
import { Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

const user = { email: 'ann@example.com', password: 'secret' };

describe('one realm file, one App: the second App on the file is refused', () => {
  it('two Apps of one process on one file: the second Realm.open rejects with FileLockedError; the first syncs on, untouched', async () => {
    h = await new Harness().start({ users: [user] });
    const path = join(h.dir, 'shared', 'team.realm');
    const first = h.app();
    const ann = await first.logIn(Credentials.emailPassword(user.email, user.password));
    const realm = await Realm.open({ path, sync: { user: ann, partition: 'team' } });
    for (let i = 1; i <= 50; i++) realm.write((tx) => tx.put('Task', `a${i}`, { i }));

    const second = h.app();
    const annAgain = await second.logIn(Credentials.emailPassword(user.email, user.password));
    const refusal = await Realm.open({ path, sync: { user: annAgain, partition: 'team' } }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refusal).toBeInstanceOf(FileLockedError);
    expect(refusal).toMatchObject({ path, holderPid: process.pid });
    // A local open of the same file is the same second writer.
    await expect(Realm.open({ path })).rejects.toBeInstanceOf(FileLockedError);
    expect(second.syncManager.getExistingSession(path)).toBeUndefined();

    for (let i = 51; i <= 100; i++) realm.write((tx) => tx.put('Task', `a${i}`, { i }));
    await realm.syncSession!.waitForUpload(AbortSignal.timeout(30_000));
    expect(realm.objects('Task')).toHaveLength(100);

    // Once the first App lets go, the second opens the file with everything in it.
    first.close();
    const reopened = await Realm.open({ path, sync: { user: annAgain, partition: 'team' } });
    expect(reopened.objects('Task')).toHaveLength(100);
    reopened.close();
  }, 60_000);

  it('one App opening one realm twice shares the file: both handles work, no lock against itself', async () => {
    h = await new Harness().start();
    const a = await h.client('p');
    const again = await Realm.open({ sync: { user: a.user, partition: 'p' } });
    expect(again.path).toBe(a.realm.path);
    a.realm.write((tx) => tx.put('Task', 'x', { n: 1 }));
    expect(again.objectForPrimaryKey('Task', 'x')).toEqual({ n: 1 });
    a.realm.close();
    again.write((tx) => tx.put('Task', 'y', { n: 2 }));
    await again.syncSession!.waitForUpload(AbortSignal.timeout(30_000));
    again.close();
    // Closed and reopened in the same App: the lock was let go and is taken again.
    const third = await Realm.open({ sync: { user: a.user, partition: 'p' } });
    expect(third.objects('Task')).toHaveLength(2);
    third.close();
  }, 60_000);

  it("an error action leaves a file another App holds alone: immediatelyHandleError throws FileLockedError, and at the next start it stays pending", async () => {
    h = await new Harness().start({ permissions: () => 'none' });
    const storageDir = join(h.dir, 'app-with-action');
    const a = await h.client('ro', {}, h.app({ storageDir }));
    a.realm.write((tx) => tx.put('Task', 'forbidden', { n: 1 }));
    await eventually(() => a.errors.length > 0, 'the permission error');
    const token = a.errors[0]!.actionToken!;
    expect(token).toEqual({ action: 'deleteLocalFile', realmPath: a.realm.path });
    a.realm.close();

    // Opened outside this App meanwhile (a local handle here; another process alike): it is that holder's now.
    const holder = await Realm.open({ path: a.realm.path });
    expect(() => SyncSession.immediatelyHandleError(token, a.app.syncManager)).toThrow(FileLockedError);
    a.app.close();
    h.app({ storageDir }).close(); // the next start of the first app: the action waits
    expect(existsSync(a.realm.path)).toBe(true);
    expect(holder.objectForPrimaryKey('Task', 'forbidden')).toEqual({ n: 1 });
    holder.close();

    h.app({ storageDir }); // a start that finds the file free runs it
    expect(existsSync(a.realm.path)).toBe(false);
  }, 60_000);

  it('a session revived while another holder has its released file does not take the file: it logs and waits', async () => {
    h = await new Harness().start();
    const warnings: string[] = [];
    const app = h.app({ logger: { info: () => {}, warn: (message) => warnings.push(message) } });
    const a = await h.client('p', {}, app);
    const session = a.realm.syncSession!;
    session.pause();
    a.realm.write((tx) => tx.put('Task', 'x', { n: 1 }));
    a.realm.close(); // paused with no handle: the runtime lets go of the file

    const holder = await Realm.open({ path: a.realm.path });
    // Revived to upload what is pending (dying), it would reopen the file: the holder has it.
    expect(() => session.resume()).not.toThrow();
    await eventually(() => warnings.includes('a revived session could not reopen its realm file'), 'the warning');
    holder.write((tx) => tx.put('Task', 'y', { n: 2 }));
    holder.close();

    // A handle opened in the app again syncs the file, with what the holder wrote.
    const again = await Realm.open({ sync: { user: a.user, partition: 'p' } });
    expect(again.objects('Task')).toHaveLength(2);
    await again.syncSession!.waitForUpload(AbortSignal.timeout(30_000));
    again.close();
  }, 60_000);
});
