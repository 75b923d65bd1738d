import fc from 'fast-check';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultRealmPath, fileNameStem, legacyRealmPath } from '../../src/client/file-names.js';

const seed = Number(process.env.FC_SEED ?? Date.now() % 2 ** 31);
const root = realpathSync(mkdtempSync(join(tmpdir(), 'file-names-')));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Names a hostile server (or a man in the middle) could send as a user id or partition. */
const hostileName: fc.Arbitrary<{ kind: string; name: string }> = fc.oneof(
  fc.constantFrom('', '.', '..', '/', '\\', '\0', '../../../x', '..\\..\\x', '/etc/passwd', 'a/../../b', '....//', 'C:\\x', '~', '%2e%2e%2f').map((name) => ({ kind: 'fixed', name })),
  fc.array(fc.constantFrom('..', '.', '/', '\\', '\0', 'a', 'Z', 'é', '💥', '\u202e', ' ', '-'), { maxLength: 30 }).map((parts) => ({ kind: 'segments', name: parts.join('') })),
  fc.string({ unit: 'binary', maxLength: 64 }).map((name) => ({ kind: 'unicode', name })),
  fc.string({ minLength: 256, maxLength: 5_000 }).map((name) => ({ kind: 'long', name })),
);

describe('file names made from remote data', () => {
  it('no hostile user id or partition makes a realm path that leaves storageDir, and the file system agrees', () => {
    const kinds = new Map<string, number>();
    let created = 0;
    fc.assert(
      fc.property(hostileName, hostileName, (user, partition) => {
        kinds.set(user.kind, (kinds.get(user.kind) ?? 0) + 1);
        kinds.set(partition.kind, (kinds.get(partition.kind) ?? 0) + 1);
        const storageDir = join(root, 'storage');
        const path = defaultRealmPath(storageDir, user.name, partition.name);
        const parts = relative(storageDir, path).split(sep);
        expect(parts).toHaveLength(2);
        for (const part of parts) {
          expect(part).toMatch(/^[A-Za-z0-9_-]{0,40}-[0-9a-f]{12}(\.realm)?$/);
          expect(part.length).toBeLessThanOrEqual(59);
        }
        // The OS resolves it to where the text says: inside storageDir.
        mkdirSync(dirname(path), { recursive: true });
        writeFileSync(path, '');
        created++;
        expect(realpathSync(path).startsWith(`${realpathSync(storageDir)}${sep}`)).toBe(true);
      }),
      { numRuns: 500, seed },
    );
    console.log(`file names: 500 runs, seed ${seed}, ${created} files created under storageDir, names by kind ${JSON.stringify(Object.fromEntries(kinds))}`);
  });

  it('two different names never share a component', () => {
    let pairs = 0;
    fc.assert(
      fc.property(hostileName, hostileName, (a, b) => {
        fc.pre(a.name !== b.name);
        pairs++;
        expect(fileNameStem(a.name)).not.toBe(fileNameStem(b.name));
      }),
      { numRuns: 1_000, seed },
    );
    console.log(`file names: seed ${seed}, ${pairs} distinct pairs, no shared component`);
    // Differences a file system may not see, or that the readable part drops, are in the hash.
    expect(fileNameStem('Team')).not.toBe(fileNameStem('team'));
    expect(fileNameStem('a/b')).not.toBe(fileNameStem('a_b'));
  });

  it('the raw user id of earlier versions is offered only when it is one plain component', () => {
    expect(legacyRealmPath('/s', 'anon-0123456789abcdef', 'p')).toBe(join('/s', 'anon-0123456789abcdef', `${fileNameStem('p')}.realm`));
    for (const id of ['..', '.', '', 'a/b', 'a\\b', '../x', 'a\0', 'é', 'x'.repeat(65)]) expect(legacyRealmPath('/s', id, 'p')).toBeUndefined();
  });
});
