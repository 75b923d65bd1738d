/** Something that holds at most one file descriptor, and can give it up and take it back on demand. */
export interface FileHolder {
  /** Whether it holds its descriptor now. */
  readonly holdsFile: boolean;
  /** Gives the descriptor up; nothing it wrote is lost (see `RecordLog.releaseFile`). */
  releaseFile(): void;
}

/**
 * At most `max` holders keep a file open: one that is about to open or write its file makes
 * room first, and the least recently used give theirs up. A descriptor limit of the process
 * then bounds sockets, not partitions.
 */
export class OpenFileBudget {
  /** Holders that may hold a file, least recently used first (a Set keeps insertion order). */
  private readonly order = new Set<FileHolder>();

  constructor(
    readonly max: number,
    /** A holder failed to give its file up (its own log refuses writes from then on). */
    private readonly onReleaseFailed: (error: unknown) => void,
  ) {}

  /** How many holders may hold a file now (an upper bound on the descriptors held). */
  get size(): number {
    return this.order.size;
  }

  /** Frees a slot for one more file, from the least recently used holders. */
  makeRoom(): void {
    for (const holder of this.order) {
      if (this.order.size < this.max) return;
      this.order.delete(holder);
      try {
        holder.releaseFile();
      } catch (error) {
        this.onReleaseFailed(error);
      }
    }
  }

  /** `holder` is about to open or write its file: it becomes the most recently used, with a slot. */
  use(holder: FileHolder): void {
    if (this.order.delete(holder)) {
      this.order.add(holder);
      return;
    }
    this.makeRoom();
    this.order.add(holder);
  }

  /** `holder` closed its file for good. */
  forget(holder: FileHolder): void {
    this.order.delete(holder);
  }
}
