import { nodeFileSystem } from '../../src/store/file-system.js';
import { appendFileSync, chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PrivateLog } from '../../src/server/storage/file/private-log.js';

const dir = mkdtempSync(join(tmpdir(), 'private-log-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('PrivateLog', () => {
  it('creates the file 0600, and reads back every appended record', () => {
    const path = join(dir, 'a.jsonl');
    const log = PrivateLog.open(nodeFileSystem, path);
    log.append({ revoked: 'u1' });
    log.append({ revoked: 'u2' });
    log.close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const again = PrivateLog.open(nodeFileSystem, path);
    expect(again.records).toEqual([{ revoked: 'u1' }, { revoked: 'u2' }]);
    again.close();
  });

  it('drops a torn last line (a write cut by a crash) and appends after what was whole', () => {
    const path = join(dir, 'torn.jsonl');
    writeFileSync(path, '{"revoked":"u1"}\n{"revok');
    const log = PrivateLog.open(nodeFileSystem, path);
    expect(log.records).toEqual([{ revoked: 'u1' }]);
    log.append({ revoked: 'u3' });
    log.close();
    expect(readFileSync(path, 'utf8')).toBe('{"revoked":"u1"}\n{"revoked":"u3"}\n');
  });

  it('refuses a damaged whole line rather than forget it, and narrows a wider mode', () => {
    const path = join(dir, 'damaged.jsonl');
    writeFileSync(path, '{"revoked":"u1"}\n');
    chmodSync(path, 0o644);
    PrivateLog.open(nodeFileSystem, path).close();
    expect(statSync(path).mode & 0o777).toBe(0o600);
    appendFileSync(path, 'not json\n{"revoked":"u2"}\n');
    expect(() => PrivateLog.open(nodeFileSystem, path)).toThrow('line 2 is damaged');
  });
});
