/**
 * How a save or a load moves many parts. Small in-memory parts go
 * `concurrency` at a time (and small files on save), so many shards save (and load) in a few round
 * trips; large or streamed ones go one at a time, each already multipart-
 * parallel inside the store, so memory stays about partSize x concurrency
 * instead of growing with the number of large parts.
 */
import { mapBounded } from '../util/bounded.ts';

/** Parts up to this size are moved several at a time. */
export const SMALL_PART_MAX = 8 * 2 ** 20;

/**
 * Run `move` on every entry: the `small` ones at most `concurrency` at once,
 * then the others one by one, in order. The first failure stops new moves and
 * is thrown once the running ones have settled.
 *
 * @example
 * ```ts
 * await transferParts(Object.entries(manifest.parts), ([, r]) => r.size <= SMALL_PART_MAX, 4, download);
 * ```
 */
export async function transferParts<E>(
  entries: readonly E[],
  small: (entry: E) => boolean,
  concurrency: number,
  move: (entry: E) => Promise<void>,
): Promise<void> {
  await mapBounded(entries.filter(small), concurrency, move);
  for (const entry of entries) if (!small(entry)) await move(entry);
}
