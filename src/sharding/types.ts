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

/**
 * What a shard iterator created with `quarantine: true` asks before each
 * item, so poison items are skipped and the others marked in progress. runJob
 * provides it (on top of the job.item runner of the attempt lineage); the
 * sharding layer only calls it, so it knows nothing of attempt records.
 *
 * @example
 * ```ts
 * const guard: ItemGuard = {
 *   begin: async (key) => (poison.has(key) ? 'skip' : 'run'),
 *   end: (key, finished) => console.log(key, finished ? 'done' : 'left unfinished'),
 * };
 * const shard = createShardHelpers({ identity, itemGuard: guard });
 * ```
 */
export interface ItemGuard {
  /**
   * Before the item runs: `skip` when it is quarantined (the guard counted and
   * logged it), else `run` once it is durably marked in progress.
   */
  begin(key: string): Promise<'run' | 'skip'>;
  /**
   * After it: `finished` when the loop asked for the next item, false when it
   * left the loop on this one (break, return or a throw: the iterator cannot
   * tell which, so the item is not counted either way). Clears the mark.
   */
  end(key: string, finished: boolean): void;
}

/**
 * Options of the shard iterators (`job.shard.range`, `items`, `objects`) that
 * concern the items' runs rather than the share.
 *
 * @example
 * ```ts
 * const rows = job.shard.range(1_000_000, { resume: last?.state.cursor, quarantine: true });
 * for await (const i of rows) await handle(i);
 * ```
 */
export interface ShardIterationOptions {
  /**
   * Mark each item in progress before the loop body runs, and skip (and
   * dead-letter) an item that earlier attempts kept crashing on, like
   * `job.item`. The sequence must then be iterated with `for await`. Only
   * crashes are caught: an error thrown in the loop body leaves the loop, so
   * quarantining a permanent error needs `job.item(key, fn, { quarantine: 'permanent' })`.
   * @default false
   */
  readonly quarantine?: boolean;
}
