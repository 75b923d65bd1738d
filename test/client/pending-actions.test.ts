import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { App } from '../../src/index.js';
import { defaultRealmPath } from '../../src/client/file-names.js';
import { RealmFile } from '../../src/store/realm-file.js';
import { nodeFileSystem } from '../../src/store/file-system.js';
import { backupPathFor, checkedBackupPath, runErrorAction } from '../../src/client/pending-actions.js';
import { RecordingLogger } from '../store/temp-dir.js';

let root: string;
beforeEach(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), 'pending-actions-')));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

/** A real realm file with one document at `path`. */
function realmAt(path: string): string {
  const file = RealmFile.open({ path });
  file.write((tx) => tx.put('Task', 'kept', { n: 1 }));
  file.close();
  return path;
}

describe('pending-error-actions.json, read at App start', () => {
  it('runs a recorded action only on a realm file under storageDir; every forged entry is refused and touches nothing', () => {
    const storageDir = join(root, 'storage');
    const outside = join(root, 'outside');
    mkdirSync(join(storageDir, 'u'), { recursive: true });
    const victim = realmAt(join(outside, 'victim.realm'));
    const notARealm = join(storageDir, 'u', 'notes.realm');
    writeFileSync(notARealm, 'precious notes');
    const wrongName = join(storageDir, 'u', 'data.txt');
    writeFileSync(wrongName, readFileSync(victim));
    mkdirSync(join(storageDir, 'u', 'dir.realm'));
    symlinkSync(victim, join(storageDir, 'u', 'link.realm'));
    symlinkSync(outside, join(storageDir, 'evil'));
    const legit = realmAt(defaultRealmPath(storageDir, 'user-1', 'p'));
    const legitReset = realmAt(defaultRealmPath(storageDir, 'user-1', 'q'));
    const forged = [
      { action: 'deleteLocalFile', realmPath: victim },
      { action: 'deleteLocalFile', realmPath: `${storageDir}/../outside/victim.realm` },
      { action: 'deleteLocalFile', realmPath: `${storageDir}/u/../../outside/victim.realm` },
      { action: 'clientResetBackup', realmPath: join(storageDir, 'u', 'link.realm') },
      { action: 'deleteLocalFile', realmPath: join(storageDir, 'evil', 'victim.realm') },
      { action: 'deleteLocalFile', realmPath: notARealm },
      { action: 'deleteLocalFile', realmPath: wrongName },
      { action: 'deleteLocalFile', realmPath: join(storageDir, 'u', 'dir.realm') },
      { action: 'deleteLocalFile', realmPath: `${legit}\0` },
    ];
    const entries = [...forged, { action: 'deleteLocalFile', realmPath: legit }, { action: 'clientResetBackup', realmPath: legitReset }];
    writeFileSync(join(storageDir, 'pending-error-actions.json'), JSON.stringify(entries));

    const logger = new RecordingLogger();
    const app = new App({ baseUrl: 'http://127.0.0.1:1', storageDir, logger });
    app.close();

    const refusals = logger.warnings.filter((w) => w.message === 'refused a pending error action');
    expect(refusals).toHaveLength(forged.length);
    for (const refusal of refusals) expect(String(refusal.details?.error)).toMatch(/^InvalidActionTokenError/);
    expect(readFileSync(victim).subarray(0, 8).toString('latin1')).toBe('SSLOG001');
    const reopened = RealmFile.open({ path: victim });
    expect(reopened.objectForPrimaryKey('Task', 'kept')).toEqual({ n: 1 });
    reopened.close();
    expect(readFileSync(notARealm, 'utf8')).toBe('precious notes');
    expect(existsSync(wrongName)).toBe(true);
    expect(existsSync(join(storageDir, 'u', 'dir.realm'))).toBe(true);
    expect(existsSync(join(storageDir, 'u', 'link.realm'))).toBe(true);
    // The lock sidecar is the test's own open of the victim (realmAt), not an action's.
    expect(readdirSync(outside)).toEqual(['victim.realm', 'victim.realm.lock']);
    // The genuine entries ran: one file deleted, one moved to a backup beside it.
    expect(existsSync(legit)).toBe(false);
    expect(existsSync(legitReset)).toBe(false);
    expect(readdirSync(join(legitReset, '..')).filter((n) => n.includes('.backup-'))).toHaveLength(1);
    // And the list is done with: the next start runs nothing.
    expect(JSON.parse(readFileSync(join(storageDir, 'pending-error-actions.json'), 'utf8'))).toEqual([]);
    console.log(`pending actions: ${entries.length} entries, ${refusals.length} refused, ${entries.length - forged.length} run; the file outside storageDir and the non-realm files untouched`);
  });

  it('a recorded backup path runs only if it is a backup path of its realm: the one the error named, else one beside the file', () => {
    const storageDir = join(root, 'storage');
    const named = realmAt(defaultRealmPath(storageDir, 'user-1', 'named'));
    const forgedBackups = ['x', 'y', 'z', 'w'].map((p) => realmAt(defaultRealmPath(storageDir, 'user-1', p)));
    const precious = join(root, 'precious.txt');
    writeFileSync(precious, 'precious');
    const namedBackup = `${named}.backup-2026-12-03T08-00-00-000Z`;
    const entries = [
      { action: 'clientResetBackup', realmPath: named, backupPath: namedBackup },
      // Forged: another file, a path escaping with .., a suffix that is no time, not a string.
      { action: 'clientResetBackup', realmPath: forgedBackups[0], backupPath: precious },
      { action: 'clientResetBackup', realmPath: forgedBackups[1], backupPath: `${forgedBackups[1]}.backup-2026-12-03T08-00-00-000Z/../../../precious.txt` },
      { action: 'clientResetBackup', realmPath: forgedBackups[2], backupPath: `${forgedBackups[2]}.backup-now` },
      { action: 'clientResetBackup', realmPath: forgedBackups[3], backupPath: 42 },
    ];
    writeFileSync(join(storageDir, 'pending-error-actions.json'), JSON.stringify(entries));
    new App({ baseUrl: 'http://127.0.0.1:1', storageDir, logger: new RecordingLogger() }).close();
    expect(existsSync(namedBackup)).toBe(true);
    expect(readFileSync(precious, 'utf8')).toBe('precious');
    for (const path of forgedBackups) {
      expect(existsSync(path)).toBe(false);
      const backups = readdirSync(join(path, '..')).filter((n) => n.startsWith(`${path.split('/').at(-1)!}.backup-`));
      expect(backups).toHaveLength(1);
      expect(backups[0]).toMatch(/\.backup-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/);
    }
  });

  it('a backup never replaces a file: with the named path taken, it goes beside it, and the caller is told where', () => {
    const path = realmAt(join(root, 'r', 'a.realm'));
    const named = backupPathFor(path, Date.UTC(2026, 11, 3));
    writeFileSync(named, 'an earlier backup');
    const moved = runErrorAction(nodeFileSystem, 'clientResetBackup', path, Date.now, named);
    expect(moved).toBe(`${named}-2`);
    expect(readFileSync(named, 'utf8')).toBe('an earlier backup');
    expect(existsSync(moved!)).toBe(true);
    expect(checkedBackupPath(path, moved)).toBe(moved);
  });
});
