import { describe, expect, it } from 'vitest';
import { SimDisk } from '../../src/testing/sim-disk.js';
import { SeededRandom } from '../../src/testing/seeded-random.js';

const bytes = (text: string): Uint8Array => Buffer.from(text, 'utf8');
const readAll = (fs: ReturnType<SimDisk['mount']>, path: string): string => fs.readFileSync(path, 'utf8');

describe('the simulated disk keeps what POSIX promises across power loss, and no more', () => {
  it('fsynced bytes under a name whose directory was fsynced survive; everything else is gone', () => {
    const disk = new SimDisk('d', new SeededRandom(1));
    let fs = disk.mount();
    fs.mkdirSync('/a', { recursive: true });
    fs.fsyncSync(fs.openSync('/', 'r'));
    const fd = fs.openSync('/a/kept', 'w');
    fs.writeSync(fd, bytes('durable'), 0, 7, 0);
    fs.fsyncSync(fd);
    fs.fsyncSync(fs.openSync('/a', 'r'));
    fs.writeFileSync('/a/unsynced-name', 'x', {});
    disk.crash();
    fs = disk.mount();
    expect(fs.readdirSync('/a')).toEqual(['kept']);
    expect(readAll(fs, '/a/kept')).toBe('durable');
  });

  it('a file fsynced but whose directory never was is gone after a crash; a rename is not durable until its directory is synced', () => {
    const disk = new SimDisk('d', new SeededRandom(2));
    let fs = disk.mount();
    const fd = fs.openSync('/f', 'w');
    fs.writeSync(fd, bytes('one'), 0, 3, 0);
    fs.fsyncSync(fd);
    disk.crash();
    fs = disk.mount();
    expect(fs.existsSync('/f')).toBe(false);

    const g = fs.openSync('/g', 'w');
    fs.writeSync(g, bytes('old'), 0, 3, 0);
    fs.fsyncSync(g);
    fs.fsyncSync(fs.openSync('/', 'r'));
    const t = fs.openSync('/g.tmp', 'w');
    fs.writeSync(t, bytes('new'), 0, 3, 0);
    fs.fsyncSync(t);
    fs.renameSync('/g.tmp', '/g');
    expect(readAll(fs, '/g')).toBe('new');
    disk.crash();
    fs = disk.mount();
    expect(readAll(fs, '/g')).toBe('old');
  });

  it('an unsynced append survives whole, torn, or not at all, as the seed decides; an overwrite reverts', () => {
    const seen = new Set<number>();
    for (let seed = 0; seed < 40; seed++) {
      const disk = new SimDisk('d', new SeededRandom(seed));
      let fs = disk.mount();
      const fd = fs.openSync('/log', 'w');
      fs.writeSync(fd, bytes('head|'), 0, 5, 0);
      fs.fsyncSync(fd);
      fs.fsyncSync(fs.openSync('/', 'r'));
      fs.writeSync(fd, bytes('tail-record'), 0, 11, 5);
      disk.crash();
      fs = disk.mount();
      const text = readAll(fs, '/log');
      expect(text.startsWith('head|')).toBe(true);
      expect('head|tail-record'.startsWith(text)).toBe(true);
      seen.add(text.length);
    }
    // Not-at-all, whole, and torn all occur over 40 seeds.
    expect(seen.has(5)).toBe(true);
    expect(seen.has(16)).toBe(true);
    expect([...seen].some((n) => n > 5 && n < 16)).toBe(true);

    const disk = new SimDisk('d', new SeededRandom(3));
    let fs = disk.mount();
    const fd = fs.openSync('/o', 'w');
    fs.writeSync(fd, bytes('abcdef'), 0, 6, 0);
    fs.fsyncSync(fd);
    fs.fsyncSync(fs.openSync('/', 'r'));
    fs.writeSync(fd, bytes('XY'), 0, 2, 1);
    disk.crash();
    fs = disk.mount();
    expect(readAll(fs, '/o')).toBe('abcdef');
  });

  it('the dead process changes nothing: its descriptors fail with EIO; its locks are released; one lock per open file', () => {
    const disk = new SimDisk('d', new SeededRandom(4));
    const first = disk.mount();
    const fd = first.openSync('/lock', 'w+');
    expect(first.tryLockFile(fd)).toBe(true);
    const other = first.openSync('/lock', 'r+');
    expect(first.tryLockFile(other)).toBe(false);
    disk.crash();
    expect(() => first.writeSync(fd, bytes('late'), 0, 4, 0)).toThrow(/EIO/);
    expect(() => first.openSync('/x', 'w')).toThrow(/EIO/);
    const second = disk.mount();
    second.writeFileSync('/lock', '', {});
    const again = second.openSync('/lock', 'r+');
    expect(second.tryLockFile(again)).toBe(true);
  });

  it('answers like node:fs: ENOENT, EEXIST with wx, readdir sorted, mkdir returns the first directory made', () => {
    const fs = new SimDisk('d', new SeededRandom(5)).mount();
    expect(() => fs.openSync('/missing', 'r')).toThrow(expect.objectContaining({ code: 'ENOENT' }));
    expect(fs.mkdirSync('/a/b/c', { recursive: true })).toBe('/a');
    expect(fs.mkdirSync('/a/b/c', { recursive: true })).toBeUndefined();
    fs.writeFileSync('/a/z', '1', { flag: 'wx' });
    expect(() => fs.writeFileSync('/a/z', '1', { flag: 'wx' })).toThrow(expect.objectContaining({ code: 'EEXIST' }));
    fs.writeFileSync('/a/m', '1', {});
    expect(fs.readdirSync('/a')).toEqual(['b', 'm', 'z']);
    expect(fs.statSync('/a/z').size).toBe(1);
    fs.rmSync('/a', { recursive: true, force: true });
    expect(fs.existsSync('/a/z')).toBe(false);
  });
});
