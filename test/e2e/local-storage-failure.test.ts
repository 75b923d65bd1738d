/**
 * A revived session whose realm file the disk will not reopen (src/client/sync-manager.ts
 * `reacquire`): the session's `onError` hears `localStorageFailed`, the chart stops the session,
 * and a realm opened once the disk works again syncs what was pending.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { nodeFileSystem, type FileSystem } from '../../src/index.js';
import { Realm } from '../../src/index.js';
import { eventually, Harness } from './harness.js';

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Node's file system, whose opens of paths under `failing` fail with `EIO` while it is set. */
function flakyDisk(): { fileSystem: FileSystem; fail: (prefix: string | undefined) => void } {
  let failing: string | undefined;
  const fileSystem: FileSystem = {
    ...nodeFileSystem,
    openSync: (path, flags, mode) => {
      if (failing !== undefined && path.startsWith(failing)) throw Object.assign(new Error(`EIO: i/o error, open '${path}'`), { code: 'EIO', syscall: 'open', path });
      return nodeFileSystem.openSync(path, flags, mode);
    },
  };
  return { fileSystem, fail: (prefix) => void (failing = prefix) };
}

describe('local storage failure', () => {
  it('a revived session whose realm file cannot be reopened reports localStorageFailed and stops; a later open syncs again', async () => {
    h = await new Harness().start();
    const disk = flakyDisk();
    const a = await h.client('p', {}, h.app({ fileSystem: disk.fileSystem }));
    const session = a.realm.syncSession!;
    session.pause();
    a.realm.write((tx) => tx.put('Task', 'x', { n: 1 }));
    a.realm.close(); // paused with no handle: the runtime lets go of the file

    disk.fail(a.realm.path);
    // Revived to upload what is pending (dying), the runtime reopens the file: the disk refuses.
    expect(() => session.resume()).not.toThrow();
    await eventually(() => a.errors.length > 0, 'the error');
    expect(a.errors.map(({ code, category, isFatal }) => ({ code, category, isFatal }))).toEqual([{ code: 'localStorageFailed', category: 'session', isFatal: true }]);
    expect(a.errors[0]?.message).toMatch(/cannot reopen the realm file: .*EIO/);
    expect(session.state).toBe('inactive');

    disk.fail(undefined);
    const again = await Realm.open({ sync: { user: a.user, partition: 'p' } });
    expect(again.syncSession).toBe(session);
    await again.syncSession!.waitForUpload(AbortSignal.timeout(30_000));
    expect(again.objects('Task')).toHaveLength(1);
    again.close();
  }, 60_000);
});
