/**
 * The bookkeeping of a partition's tail, with no I/O: for each changeset after the state, where
 * it lies on disk and what it counts, plus running totals to answer "bytes after v not of
 * origin o" without touching the changesets.
 */

/** Where one tail changeset lies, and what it counts. */
export interface TailEntry {
  readonly v: number;
  readonly origin: string;
  readonly clientVersion: number;
  readonly owner: string | undefined;
  /** The first server version of the segment that holds it. */
  readonly segment: number;
  /** Offset of the changeset's JSON in the segment, and its length in bytes. */
  readonly jsonAt: number;
  readonly jsonLength: number;
  /** `changesetBytes`: the unit of progress. */
  readonly bytes: number;
  /** The server's clock when it arrived. */
  readonly at: number;
}

/** How many of the ascending `values` are at most `limit` (binary search). */
export function countThrough(values: readonly number[], limit: number): number {
  let lo = 0;
  let hi = values.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid]! <= limit) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The tail's entries in server-version order (consecutive versions), with running totals. */
export class TailIndex {
  private entries: TailEntry[] = [];
  /** totals[i] = bytes of entries[0..i]. */
  private totals: number[] = [];
  private readonly byOrigin = new Map<string, { versions: number[]; totals: number[] }>();

  /** `base` is the state's version: the first entry is `base + 1`. */
  constructor(private base: number) {}

  get size(): number {
    return this.entries.length;
  }

  /** The newest version in the tail, or the base if it is empty. */
  get last(): number {
    return this.base + this.entries.length;
  }

  /** The entry of server version `v`, if it is in the tail. */
  at(v: number): TailEntry | undefined {
    return v > this.base ? this.entries[v - this.base - 1] : undefined;
  }

  push(entry: TailEntry): void {
    if (entry.v !== this.last + 1) throw new Error(`tail entry ${entry.v} does not follow ${this.last}`);
    this.entries.push(entry);
    this.totals.push((this.totals[this.totals.length - 1] ?? 0) + entry.bytes);
    const own = this.byOrigin.get(entry.origin) ?? { versions: [], totals: [] };
    own.versions.push(entry.v);
    own.totals.push((own.totals[own.totals.length - 1] ?? 0) + entry.bytes);
    this.byOrigin.set(entry.origin, own);
  }

  /** Bytes of the entries with `after < v <= through`. */
  bytesBetween(after: number, through: number): number {
    return this.totalThrough(through) - this.totalThrough(after);
  }

  /** Bytes of the entries with `after < v <= through` that `origin` did not write. */
  othersBytesBetween(after: number, through: number, origin: string): number {
    const all = this.bytesBetween(after, through);
    const own = this.byOrigin.get(origin);
    if (own === undefined) return all;
    const ownThrough = (limit: number): number => {
      const n = countThrough(own.versions, limit);
      return n === 0 ? 0 : own.totals[n - 1]!;
    };
    return all - (ownThrough(through) - ownThrough(after));
  }

  /** The newest version `v <= limit` such that the entries `(base, v]` hold at most `maxBytes` (at least one entry if any). */
  chunkEnd(limit: number, maxBytes: number): number {
    const through = Math.min(limit, this.last);
    if (through <= this.base) return this.base;
    let lo = this.base + 1;
    let hi = through;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.bytesBetween(this.base, mid) <= maxBytes) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The newest entry of `origin` at or below `through`, if the tail holds one. */
  lastOfOrigin(origin: string, through: number): TailEntry | undefined {
    const own = this.byOrigin.get(origin);
    if (own === undefined) return undefined;
    const n = countThrough(own.versions, through);
    return n === 0 ? undefined : this.at(own.versions[n - 1]!);
  }

  /** Drops the entries through `v` (folded into the state): the tail now starts after it. */
  dropThrough(v: number): void {
    if (v <= this.base) return;
    const kept = this.entries.slice(Math.min(v, this.last) - this.base);
    this.base = v;
    this.entries = [];
    this.totals = [];
    this.byOrigin.clear();
    for (const entry of kept) this.push(entry);
  }

  /** The entries with `after < v <= through`, in order. */
  slice(after: number, through: number): readonly TailEntry[] {
    return this.entries.slice(Math.max(after, this.base) - this.base, Math.max(through - this.base, 0));
  }

  private totalThrough(v: number): number {
    const n = Math.min(v, this.last) - this.base;
    return n <= 0 ? 0 : this.totals[n - 1]!;
  }
}
