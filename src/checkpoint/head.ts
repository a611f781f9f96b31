/**
 * How the head changes: a new epoch, or a new committed checkpoint. Every
 * version of the head gets a fresh nonce, so its bytes (hence its etag) never
 * repeat and a compare-and-swap against an older etag always fails.
 */
import { randomBytes } from 'node:crypto';
import { type EpochOwner, type Head, type HeadEntry, HEAD_VERSION } from './format.ts';

const nonce = (): string => randomBytes(8).toString('hex');

/**
 * A fresh head for a newly taken epoch, keeping the committed checkpoints.
 *
 * @example
 * ```ts
 * const next = nextHead(current?.head, (current?.head.epoch ?? 0) + 1, owner);
 * ```
 */
export function nextHead(previous: Head | undefined, epoch: number, owner: EpochOwner): Head {
  return {
    format: HEAD_VERSION,
    epoch,
    lastSeq: previous?.lastSeq ?? 0,
    checkpoints: previous?.checkpoints ?? [],
    owner,
    updatedAt: new Date().toISOString(),
    nonce: nonce(),
  };
}

/**
 * The head after committing `entry`: newest first, trimmed to `keep`.
 *
 * @example
 * ```ts
 * const next = committedHead(head, { seq: 4, manifest, size, checksum }, 3);
 * ```
 */
export function committedHead(head: Head, entry: HeadEntry, keep: number): Head {
  return {
    ...head,
    lastSeq: entry.seq,
    checkpoints: [entry, ...head.checkpoints].slice(0, keep),
    updatedAt: new Date().toISOString(),
    nonce: nonce(),
  };
}

/**
 * The head without the checkpoints of `seqs` (`jobkit checkpoint rm`): same
 * epoch and owner, so the writer of that epoch keeps committing (its next CAS
 * fails once, it re-reads the head and builds on this one) and older writers
 * stay fenced; a fresh nonce, as every head write has.
 *
 * @example
 * ```ts
 * const next = headWithout(head, new Set([3]));
 * ```
 */
export function headWithout(head: Head, seqs: ReadonlySet<number>): Head {
  return {
    ...head,
    checkpoints: head.checkpoints.filter((e) => !seqs.has(e.seq)),
    updatedAt: new Date().toISOString(),
    nonce: nonce(),
  };
}
