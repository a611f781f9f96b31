/**
 * Types shared by the sharding strategies, frozen plans, resumable iterators
 * and the work queue.
 */

/**
 * Which share of the input a task takes: index `index` of `count`.
 *
 * @example
 * ```ts
 * const spec: ShardSpec = { index: job.identity.index, count: job.identity.count };
 * ```
 */
export interface ShardSpec {
  /** 0-based, integer, `< count`. */
  readonly index: number;
  /** Integer `>= 1`. */
  readonly count: number;
}

/**
 * How items are dealt to shards.
 * - `contiguous`: consecutive runs; sizes differ by at most one. Needs the same
 *   order on every pod.
 * - `strided`: item `i` goes to shard `i % count`. Needs the same order.
 * - `hash`: by a stable hash of the item's key (jump consistent hash): order
 *   does not matter, and changing `count` from n to n+1 moves only about
 *   1/(n+1) of the keys.
 * - `weighted`: deterministic greedy by weight (e.g. bytes), heaviest first,
 *   ties by key: balances total weight, not item counts.
 *
 * @example
 * ```ts
 * const strategy: ShardStrategy = 'hash';
 * ```
 */
export type ShardStrategy = 'contiguous' | 'strided' | 'hash' | 'weighted';

/** Strategies usable on an integer range (no keys, no weights). */
export type RangeStrategy = 'contiguous' | 'strided';

/**
 * A saved position in a shard: a small JSON value the checkpointer stores and
 * a restarted pod passes back as `resume`. `position` counts the items of the
 * shard that were finished (the item being processed when the cursor was read
 * is not counted, so it is processed again after a restart).
 *
 * @example
 * ```ts
 * const cursor: ShardCursor = shard.cursor; // { v: 1, kind: 'plan', of: '...', position: 1200 }
 * ```
 */
export interface ShardCursor {
  /** Cursor format version. */
  readonly v: 1;
  /** What kind of shard it belongs to. */
  readonly kind: 'range' | 'items' | 'plan';
  /**
   * Fingerprint of the exact shard (plan id and index, or strategy, bounds,
   * index and count): resuming a different shard is refused.
   */
  readonly of: string;
  /** Items of the shard already finished. */
  readonly position: number;
}

/** How duplicate keys in the input are handled. */
export type DuplicateKeyPolicy = 'error' | 'keep-first' | 'allow';
