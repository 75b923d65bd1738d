import { describe, expect, it } from 'vitest';
import { DocumentSet } from '../../src/store/document-set.js';

const changeset = (origin: string, wall: number, ops: Parameters<DocumentSet['applyChangeset']>[0]['ops']) => ({ origin, hlc: { wall, counter: 0 }, ops });

describe('document set', () => {
  it('lists visible documents sorted by code units, and reports each changed document once', () => {
    const set = new DocumentSet();
    const changed = set.applyChangeset(
      changeset('a', 1, [
        { op: 'put', type: 'T', id: 'b', fields: { v: 1 } },
        { op: 'put', type: 'T', id: 'B', fields: { v: 1 } },
        { op: 'put', type: 'T', id: 'a', fields: { v: 1 } },
        { op: 'put', type: 'T', id: 'a', fields: { w: 1 } },
        { op: 'delete', type: 'T', id: 'gone' },
      ]),
    );
    expect(changed).toEqual([
      { type: 'T', id: 'b' },
      { type: 'T', id: 'B' },
      { type: 'T', id: 'a' },
      { type: 'T', id: 'gone' },
    ]);
    expect(set.list('T').map((o) => o.id)).toEqual(['B', 'a', 'b']);
    expect(set.visible('T', 'a')).toEqual({ v: 1, w: 1 });
    expect(set.visible('T', 'gone')).toBeUndefined();
    expect(set.list('Nothing')).toEqual([]);
  });

  it('caches lists until the type changes; a write that loses changes nothing', () => {
    const set = new DocumentSet();
    set.applyChangeset(changeset('a', 5, [{ op: 'put', type: 'T', id: '1', fields: { v: 'new' } }]));
    const first = set.list('T');
    expect(set.list('T')).toBe(first);
    expect(set.applyChangeset(changeset('a', 1, [{ op: 'put', type: 'T', id: '1', fields: { v: 'old' } }]))).toEqual([]);
    expect(set.list('T')).toBe(first);
    set.applyChangeset(changeset('a', 6, [{ op: 'put', type: 'U', id: '1', fields: { v: 1 } }]));
    expect(set.list('T')).toBe(first);
    set.applyChangeset(changeset('a', 7, [{ op: 'delete', type: 'T', id: '1' }]));
    expect(set.list('T')).toEqual([]);
  });

  it('keeps a running estimate of its snapshot size that follows writes and deletes', () => {
    const set = new DocumentSet();
    expect(set.estimatedBytes).toBe(0);
    set.applyChangeset(changeset('a', 1, [{ op: 'put', type: 'T', id: '1', fields: { text: 'x'.repeat(1_000) } }]));
    const big = set.estimatedBytes;
    expect(big).toBeGreaterThan(1_000);
    set.applyChangeset(changeset('a', 2, [{ op: 'delete', type: 'T', id: '1' }]));
    expect(set.estimatedBytes).toBeLessThan(200);
  });
});
