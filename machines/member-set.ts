/** The connection chart's set of attached sessions (see `MemberSet`). */
interface Entry {
  readonly id: string;
  /** Position in the add order. */
  readonly seq: number;
}
type Bucket = readonly Entry[];
type Node = readonly Bucket[];
type Root = readonly Node[];

const noEntries: Bucket = [];

function emptyRoot(): Root {
  const node: Node = new Array<Bucket>(64).fill(noEntries);
  return new Array<Node>(64).fill(node);
}

/** The root with bucket `h` replaced: copies the root and one node, shares everything else. */
function replaced(root: Root, h: number, bucket: Bucket): Root {
  const high = h >>> 6;
  const node = root[high]!.slice();
  node[h & 63] = bucket;
  const next = root.slice();
  next[high] = node;
  return next;
}

/** FNV-1a, folded to 12 bits (64 × 64 buckets). */
function hash(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h ^ (h >>> 12) ^ (h >>> 24)) & 0xfff;
}

/**
 * An immutable set of ids that keeps the order they were added in, for a chart's context.
 *
 * The connection chart kept its sessions in an array copied and searched on every attach, so
 * binding n sessions cost O(n²): 10,000 sessions keyed by their realm paths spent 3.4 s in
 * `includes` alone. Here `with`, `without` and `has` copy one path of a fixed two-level hash
 * trie (64 × 64 buckets) and share the rest, so every version stays valid — the explorer
 * branches from old snapshots — at a cost that does not grow with the set until the buckets
 * fill (tens of thousands of ids). Listing in order sorts by an add counter: O(n log n), paid
 * only when everyone is told something.
 *
 * JSON (snapshots, inspection frames, the explorer's state keys) sees just the ids in order,
 * so two sets with the same ids in the same order serialize the same however they were built.
 */
export class MemberSet {
  /** The empty set. */
  static readonly empty: MemberSet = new MemberSet(emptyRoot(), 0, 0);

  private constructor(
    private readonly root: Root,
    /** How many ids the set holds. */
    readonly size: number,
    private readonly nextSeq: number,
  ) {}

  /** A set of `ids`, in that order (duplicates after the first ignored). */
  static of(ids: Iterable<string>): MemberSet {
    let set = MemberSet.empty;
    for (const id of ids) set = set.with(id);
    return set;
  }

  /** Whether `id` is in the set. */
  has(id: string): boolean {
    const h = hash(id);
    return this.root[h >>> 6]![h & 63]!.some((e) => e.id === id);
  }

  /** This set with `id` added last; the same set if it holds `id` already. */
  with(id: string): MemberSet {
    const h = hash(id);
    const bucket = this.root[h >>> 6]![h & 63]!;
    if (bucket.some((e) => e.id === id)) return this;
    return new MemberSet(replaced(this.root, h, [...bucket, { id, seq: this.nextSeq }]), this.size + 1, this.nextSeq + 1);
  }

  /** This set without `id`; the same set if it does not hold `id`. */
  without(id: string): MemberSet {
    const h = hash(id);
    const bucket = this.root[h >>> 6]![h & 63]!;
    const kept = bucket.filter((e) => e.id !== id);
    if (kept.length === bucket.length) return this;
    // Emptied, it starts its counter over, so a set is the same value however it came to be.
    return kept.length === 0 && this.size === 1 ? MemberSet.empty : new MemberSet(replaced(this.root, h, kept), this.size - 1, this.nextSeq);
  }

  /** The ids in the order they were added. */
  ids(): string[] {
    const entries: Entry[] = [];
    for (const node of this.root) for (const bucket of node) for (const e of bucket) entries.push(e);
    return entries.sort((a, b) => a.seq - b.seq).map((e) => e.id);
  }

  /** What JSON shows of the set: its ids in order. */
  toJSON(): string[] {
    return this.ids();
  }
}
