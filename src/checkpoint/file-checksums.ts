/**
 * Checksums of the files a checkpointer has read, so that a save of a file
 * that has not changed since reuses its durable part without reading it
 * again: a directory checkpoint of 1 GiB that changed by one file costs a
 * stat per file, not a read and hash of 1 GiB.
 *
 * "Not changed" is decided the way git decides an index entry is clean, with
 * its answer to the racy case: the file's device, inode, size, mtime and ctime
 * (nanoseconds) are identical to when it was read, AND its ctime is older
 * than the start of that read by more than {@link TIMESTAMP_MARGIN_MS}. A
 * write after the read moves ctime to at least the write's time, less the
 * file system's timestamp granularity (a few ms on ext4/xfs, 2 s on FAT),
 * which is then newer than the recorded ctime; ctime cannot be set from user
 * space (utimes sets mtime and atime, and moves ctime to now). A file whose
 * ctime is too close to its read is read and hashed again, every time, until
 * a read happens long enough after its last change.
 *
 * In memory, per checkpointer, bounded: a restarted pod hashes once.
 */
import type { BigIntStats } from 'node:fs';

/** How much older than its read a file's last change must be for its checksum to be trusted later. */
export const TIMESTAMP_MARGIN_MS = 2_000;

/** At most this many files are remembered; the oldest entries go first. */
const MAX_ENTRIES = 200_000;

interface Entry {
  readonly dev: bigint;
  readonly ino: bigint;
  readonly size: bigint;
  readonly mtimeNs: bigint;
  readonly ctimeNs: bigint;
  /** The checksum's form (checksum.ts): a file's sum is only reused for a record of the same form. */
  readonly form: string;
  readonly checksum: string;
}

/**
 * The per-checkpointer memory of file checksums.
 *
 * @example
 * ```ts
 * const sums = new FileChecksums();
 * const readAt = Date.now();
 * const before = await stat(path, { bigint: true });
 * const sum = await hashFile(path);
 * if (!changed(before, await stat(path, { bigint: true }))) sums.remember(path, before, 'sha256', sum, readAt);
 * sums.lookup(path, await stat(path, { bigint: true }), 'sha256'); // sum, when the file's last change was 2 s before readAt
 * ```
 */
export class FileChecksums {
  readonly #entries = new Map<string, Entry>();

  /** The checksum of the file's current content, when a read of it is known to still describe it. */
  lookup(path: string, now: BigIntStats, form: string): string | undefined {
    const e = this.#entries.get(path);
    if (e === undefined || e.form !== form) return undefined;
    const same = e.dev === now.dev && e.ino === now.ino && e.size === now.size && e.mtimeNs === now.mtimeNs && e.ctimeNs === now.ctimeNs;
    return same ? e.checksum : undefined;
  }

  /**
   * Remember `checksum` as the content of `path` described by `before` (its
   * stat before a read that started at `readStartedAt`, ms since the epoch,
   * and found unchanged after it). Not remembered when the last change is
   * within the margin of the read: that read could have raced a write.
   */
  remember(path: string, before: BigIntStats, form: string, checksum: string, readStartedAt: number): void {
    this.#entries.delete(path);
    if (before.ctimeNs >= BigInt(readStartedAt - TIMESTAMP_MARGIN_MS) * 1_000_000n) return;
    if (before.mtimeNs >= BigInt(readStartedAt - TIMESTAMP_MARGIN_MS) * 1_000_000n) return;
    this.#entries.set(path, { dev: before.dev, ino: before.ino, size: before.size, mtimeNs: before.mtimeNs, ctimeNs: before.ctimeNs, form, checksum });
    if (this.#entries.size > MAX_ENTRIES) this.#entries.delete(this.#entries.keys().next().value!);
  }
}
