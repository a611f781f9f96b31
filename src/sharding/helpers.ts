/**
 * `job.shard`: the sharding functions bound to the job's identity (and store),
 * so job code says `job.shard.range(n)` instead of passing index and count.
 */
import { ConfigurationError } from '../runtime/errors.ts';
import type { JobIdentity, JobLogger, Lifecycle } from '../runtime/types.ts';
import type { ObjectStore } from '../store/types.ts';
import { ResumableSequence, fingerprint, resumableRange } from './cursor.ts';
import { type GuardedKeys, defaultItemKey, noGuardError } from './guarded.ts';
import { shardOfKey } from './hash.ts';
import { type FreezeShardPlanOptions, type FrozenShardPlan, type PlanShardIterator, freezeShardPlan } from './plan.ts';
import {
  type IntegerRange,
  type ShardAsyncItemsOptions,
  type ShardItemsOptions,
  shardAsyncItems,
  shardItems,
  shardRange,
} from './strategies.ts';
import type { ItemGuard, RangeStrategy, ShardCursor, ShardIterationOptions } from './types.ts';
import { validateShardSpec } from './validate.ts';
import { type WorkQueue, type WorkQueueOptions, type WorkQueueProgress, createWorkQueue } from './work-queue.ts';

/** Dependencies of {@link createShardHelpers}. */
export interface ShardHelperDeps {
  readonly identity: JobIdentity;
  /** Needed by `plan`, `objects` and `workQueue`. */
  readonly store?: ObjectStore;
  /** Lets work-queue leases be released at shutdown. */
  readonly lifecycle?: Lifecycle;
  readonly log?: JobLogger;
  /** Told of every resumable share handed out (range, items, objects), for the work-remaining metrics. */
  readonly onShare?: (share: ShareProgress) => void;
  /** Told of every work queue's progress (chunks left), for the work-remaining metrics. */
  readonly onQueueProgress?: (progress: WorkQueueProgress) => void;
  /** Asked before each item of a `quarantine: true` iterator (runJob's: the attempt lineage); without it such an iterator is refused. */
  readonly itemGuard?: ItemGuard;
}

/** A share's progress: items in it, and items finished so far. */
export interface ShareProgress {
  readonly size: number;
  readonly position: number;
}

/** Options of {@link ShardHelpers.objects} and {@link ShardHelpers.plan}. */
export type ShardObjectsOptions = Pick<
  FreezeShardPlanOptions,
  'strategy' | 'name' | 'scope' | 'filter' | 'pageSize' | 'signal' | 'input' | 'inputOptions'
> & {
  /** A cursor saved from a previous attempt: skip what it finished. */
  readonly resume?: ShardCursor;
};

/**
 * The sharding helpers bound to one job; see {@link createShardHelpers}.
 */
export interface ShardHelpers {
  /** This task's index. */
  readonly index: number;
  /** Number of indexes. */
  readonly count: number;
  /**
   * This index's integers of `[0, n)` or `[start, end)`, resumable. With
   * `quarantine: true` each integer (its decimal string is the item key) is
   * marked in progress before the body of a `for await` loop runs, and one
   * that attempts kept crashing on is skipped.
   *
   * @example
   * ```ts
   * const rows = job.shard.range(1_000_000, { resume: last?.state.cursor, quarantine: true });
   * for await (const i of rows) await handle(i);
   * ```
   */
  range(
    range: number | IntegerRange,
    options?: { readonly strategy?: RangeStrategy; readonly resume?: ShardCursor } & ShardIterationOptions,
  ): ResumableSequence<number>;
  /**
   * This index's items of a list (any strategy), resumable. Under
   * `quarantine: true` the item key is `key(item)`, else the item when it is a
   * string or number, else its string `key` property.
   *
   * @example
   * ```ts
   * const users = job.shard.items(list, { key: (u) => u.id, quarantine: true });
   * for await (const user of users) await sync(user);
   * ```
   */
  items<T>(items: readonly T[], options?: ShardItemsOptions<T> & { readonly resume?: ShardCursor } & ShardIterationOptions): ResumableSequence<T>;
  /** This index's items of a stream (`strided` or `hash` stream; others buffer). */
  stream<T>(items: AsyncIterable<T> | Iterable<T>, options?: ShardAsyncItemsOptions<T>): AsyncGenerator<T>;
  /** Whether a key belongs to this index under the hash strategy. */
  owns(key: string): boolean;
  /**
   * The job's frozen plan of a store prefix (listed once, by the first index).
   * `count` defaults to the job's count; set it to cut the input into work-queue chunks.
   * The prefix may be a store URL (`s3://raw/events/2026-12-01/`): that store is
   * only listed, and the plan is stored in the job's store.
   *
   * @example
   * ```ts
   * const plan = await job.shard.plan('s3://raw/events/2026-12-01/', { name: 'queue', count: 200 });
   * ```
   */
  plan(prefix: string, options?: ShardObjectsOptions & { readonly count?: number }): Promise<FrozenShardPlan>;
  /**
   * This index's objects under a store prefix, from the frozen plan, resumable.
   * A URL prefix, or `input`, lists another (read-only) store; the keys are
   * then relative to that store's root.
   *
   * @example
   * ```ts
   * const files = await job.shard.objects('s3://raw/events/2026-12-01/', { resume: saved?.state.cursor });
   * const raw = openStore('s3://raw/events/2026-12-01/');
   * for await (const file of files) await convert(await raw.getStream(file.key));
   * // quarantine: true marks each object (by its key) before the body runs and skips poison ones.
   * ```
   */
  objects(prefix: string, options?: ShardObjectsOptions & ShardIterationOptions): Promise<PlanShardIterator>;
  /** A work queue of `chunks` chunks leased by the job's pods. */
  workQueue(options: Omit<WorkQueueOptions, 'store' | 'identity' | 'lifecycle' | 'log'>): WorkQueue;
}

/**
 * Bind the sharding functions to a job's identity and store. runJob exposes the
 * result as `job.shard`; tests and scripts can call it directly.
 *
 * @example
 * ```ts
 * const shard = createShardHelpers({ identity: job.identity, store });
 * const files = await shard.objects('input/', { resume: saved?.cursor });
 * for await (const file of files) {
 *   await convert(file.key);
 *   await checkpoint.save({ cursor: files.cursor });
 * }
 * ```
 */
export function createShardHelpers(deps: ShardHelperDeps): ShardHelpers {
  const { identity } = deps;
  const spec = validateShardSpec({ index: identity.index, count: identity.count }, 'job identity');
  const requireStore = (what: string): ObjectStore => {
    if (deps.store === undefined) throw new ConfigurationError(`job.shard.${what} needs an object store: set JOBKIT_STORE (s3://, file://)`);
    return deps.store;
  };
  const told = <T extends ShareProgress>(share: T): T => {
    deps.onShare?.(share);
    return share;
  };
  const plan = (prefix: string, options: ShardObjectsOptions & { readonly count?: number } = {}): Promise<FrozenShardPlan> =>
    freezeShardPlan({ ...options, store: requireStore('plan'), identity, prefix, log: deps.log });
  // The guard an iterator asked for quarantine gets, checked when it is created (not at its first item).
  const guardOf = (what: string, quarantine: boolean | undefined): ItemGuard | undefined => {
    if (quarantine !== true) return undefined;
    if (deps.itemGuard === undefined) throw noGuardError(`job.shard.${what}`);
    return deps.itemGuard;
  };
  return {
    index: spec.index,
    count: spec.count,
    range: (range, options = {}) => {
      const guard = guardOf('range', options.quarantine);
      const guarded: GuardedKeys<number> | undefined = guard === undefined ? undefined : { guard, key: String, what: 'job.shard.range' };
      return told(resumableRange(shardRange(range, spec, options.strategy), options.resume, guarded));
    },
    items: (items, options = {}) => {
      const guard = guardOf('items', options.quarantine);
      const mine = shardItems(items, spec, options);
      const of = fingerprint(['items', options.strategy ?? 'contiguous', spec.index, spec.count, items.length]);
      const keyOf = options.key;
      const guarded: GuardedKeys<(typeof items)[number]> | undefined =
        guard === undefined
          ? undefined
          : {
              guard,
              what: 'job.shard.items',
              key: (item) => {
                const key = keyOf === undefined ? defaultItemKey(item) : keyOf(item);
                // Found at the item, not up front: checking every item first would walk the whole share.
                if (key === undefined) throw new ConfigurationError('job.shard.items: quarantine needs a key for each item: pass key: (item) => string (the item is not a string, a number, or an object with a string key)');
                return key;
              },
            };
      // In range by construction; the cast keeps T as given (null and undefined items included).
      return told(new ResumableSequence(mine.length, (p) => mine[p] as (typeof items)[number], 'items', of, options.resume, guarded));
    },
    stream: (items, options) => shardAsyncItems(items, spec, options),
    owns: (key) => shardOfKey(key, spec.count) === spec.index,
    plan,
    objects: async (prefix, options = {}) => {
      const guard = guardOf('objects', options.quarantine);
      return told((await plan(prefix, { ...options, count: spec.count })).shard(spec.index, { ...options, guard }));
    },
    workQueue: (options) =>
      createWorkQueue({
        ...options,
        store: requireStore('workQueue'),
        identity,
        lifecycle: deps.lifecycle,
        log: deps.log,
        onProgress: (p) => {
          options.onProgress?.(p);
          deps.onQueueProgress?.(p);
        },
      }),
  };
}
