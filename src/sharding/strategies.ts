/**
 * The pure strategies: which items (or integers) belong to shard `index` of
 * `count`. No I/O; the same inputs give the same shares on every pod.
 */
import { ConfigurationError } from '../runtime/errors.ts';
import { DuplicateShardKeyError } from './errors.ts';
import { shardOfKey } from './hash.ts';
import type { DuplicateKeyPolicy, RangeStrategy, ShardSpec, ShardStrategy } from './types.ts';
import { applyDuplicatePolicy, assertNonNegativeInteger, validateShardSpec } from './validate.ts';
import { assignWeighted } from './weighted.ts';

/**
 * The half-open bounds `[start, end)` of shard `index` when `total` items are
 * cut into `count` contiguous runs whose sizes differ by at most one (the first
 * `total % count` shards take one extra item).
 *
 * @example
 * ```ts
 * contiguousBounds(10, { index: 0, count: 3 }); // { start: 0, end: 4 }
 * contiguousBounds(10, { index: 2, count: 3 }); // { start: 7, end: 10 }
 * ```
 */
export function contiguousBounds(total: number, spec: ShardSpec): { start: number; end: number } {
  assertNonNegativeInteger(total, 'total');
  const { index, count } = validateShardSpec(spec);
  const base = Math.floor(total / count);
  const extra = total % count;
  const start = index * base + Math.min(index, extra);
  return { start, end: start + base + (index < extra ? 1 : 0) };
}

/**
 * An arithmetic progression of integers: `start, start + step, ...` while `< end`.
 * The share of an integer range.
 */
export interface IntegerShare {
  /** First integer (when `size > 0`). */
  readonly start: number;
  /** Exclusive upper bound. */
  readonly end: number;
  /** Distance between consecutive integers (1 for contiguous, `count` for strided). */
  readonly step: number;
  /** How many integers the share holds. */
  readonly size: number;
}

/** A half-open integer range `[start, end)`. */
export interface IntegerRange {
  readonly start: number;
  readonly end: number;
}

/**
 * This shard's share of the integer range `[start, end)` (or `[0, total)` when
 * given a number), contiguous (default) or strided.
 *
 * @example
 * ```ts
 * const share = shardRange(1_000_000, job.identity); // e.g. { start: 250000, end: 500000, step: 1, size: 250000 }
 * for (let i = share.start; i < share.end; i += share.step) await processRow(i);
 * ```
 */
export function shardRange(range: number | IntegerRange, spec: ShardSpec, strategy: RangeStrategy = 'contiguous'): IntegerShare {
  const { start, end } = typeof range === 'number' ? { start: 0, end: range } : range;
  if (!Number.isSafeInteger(start)) throw new ConfigurationError(`range.start must be an integer, got ${String(start)}`);
  if (!Number.isSafeInteger(end) || end < start) {
    throw new ConfigurationError(`range.end must be an integer >= range.start (${start}), got ${String(end)}`);
  }
  const { index, count } = validateShardSpec(spec);
  if (strategy === 'contiguous') {
    const b = contiguousBounds(end - start, spec);
    return { start: start + b.start, end: start + b.end, step: 1, size: b.end - b.start };
  }
  if (strategy === 'strided') {
    const first = start + index;
    return { start: first, end, step: count, size: first >= end ? 0 : Math.ceil((end - first) / count) };
  }
  throw new ConfigurationError(`range strategy must be 'contiguous' or 'strided', got ${JSON.stringify(strategy)}`);
}

/** How to read an item's key and weight. */
export interface ItemAccessors<T> {
  /**
   * The item's key (hash and weighted strategies, duplicate detection). Default:
   * the item itself when it is a string, else its `key` property when that is a string.
   */
  readonly key?: (item: T) => string;
  /**
   * The item's weight (weighted strategy), e.g. bytes. Default: its `size`
   * property when that is a number.
   */
  readonly weight?: (item: T) => number;
}

/** Options of {@link shardItems}. */
export interface ShardItemsOptions<T> extends ItemAccessors<T> {
  /** Default `contiguous`. */
  readonly strategy?: ShardStrategy;
  /**
   * What to do when two items have the same key (only checked when a key is
   * available). Default `error` (DuplicateShardKeyError).
   */
  readonly duplicates?: DuplicateKeyPolicy;
}

/**
 * For each item, its shard under `strategy` (the shared core of every
 * strategy, used by the frozen plans too). Items must already be deduplicated.
 *
 * @example
 * ```ts
 * assignShards(['a', 'b', 'c'], 2, { strategy: 'strided' }); // Int32Array [0, 1, 0]
 * ```
 */
export function assignShards<T>(items: readonly T[], count: number, options: ShardItemsOptions<T> = {}): Int32Array {
  validateShardSpec({ index: 0, count });
  const strategy = options.strategy ?? 'contiguous';
  const n = items.length;
  const out = new Int32Array(n);
  switch (strategy) {
    case 'contiguous': {
      const base = Math.floor(n / count);
      const extra = n % count;
      // The first `extra` shards hold base + 1 items, the rest base.
      const boundary = extra * (base + 1);
      for (let i = 0; i < n; i++) out[i] = i < boundary ? Math.floor(i / (base + 1)) : extra + Math.floor((i - boundary) / base);
      return out;
    }
    case 'strided':
      for (let i = 0; i < n; i++) out[i] = i % count;
      return out;
    case 'hash': {
      const key = keyAccessor(options, items[0], strategy);
      for (let i = 0; i < n; i++) out[i] = shardOfKey(key(items[i]!), count);
      return out;
    }
    case 'weighted': {
      const key = keyAccessor(options, items[0], strategy);
      const weight = weightAccessor(options, items[0]);
      return assignWeighted(items.map(key), Float64Array.from(items, weight), count);
    }
    default:
      throw new ConfigurationError(
        `strategy must be one of 'contiguous', 'strided', 'hash', 'weighted', got ${JSON.stringify(strategy)}`,
      );
  }
}

/**
 * This shard's share of a list, in input order. Shares of all indexes are
 * disjoint and together are the list, exactly. `contiguous` and `strided` rely
 * on every pod seeing the same order; `hash` and `weighted` do not.
 *
 * @example
 * ```ts
 * const mine = shardItems(files, job.identity, { strategy: 'weighted', weight: (f) => f.size });
 * ```
 */
export function shardItems<T>(items: readonly T[], spec: ShardSpec, options: ShardItemsOptions<T> = {}): T[] {
  const { index, count } = validateShardSpec(spec);
  const unique = dedupe(items, options);
  const strategy = options.strategy ?? 'contiguous';
  if (strategy === 'contiguous') {
    const { start, end } = contiguousBounds(unique.length, spec);
    return unique.slice(start, end);
  }
  const shards = assignShards(unique, count, options);
  return unique.filter((_, i) => shards[i] === index);
}

/** Options of {@link shardAsyncItems}. */
export interface ShardAsyncItemsOptions<T> extends ItemAccessors<T> {
  /** `strided` (default) or `hash` stream; `contiguous` and `weighted` need the whole input and buffer it. */
  readonly strategy?: ShardStrategy;
  /** See {@link ShardItemsOptions.duplicates}. Default `error`. */
  readonly duplicates?: DuplicateKeyPolicy;
}

/**
 * This shard's share of an async iterable. `strided` and `hash` stream with
 * constant memory (plus a set of keys for duplicate detection under `strided`
 * when keys are available; `hash` only needs this shard's keys, since equal
 * keys land in the same shard). `contiguous` and `weighted` need the whole
 * input: it is read into memory first.
 *
 * @example
 * ```ts
 * for await (const line of shardAsyncItems(readLines(file), job.identity, { strategy: 'strided' })) { ... }
 * ```
 */
export async function* shardAsyncItems<T>(
  items: AsyncIterable<T> | Iterable<T>,
  spec: ShardSpec,
  options: ShardAsyncItemsOptions<T> = {},
): AsyncGenerator<T> {
  const { index, count } = validateShardSpec(spec);
  const strategy = options.strategy ?? 'strided';
  if (strategy === 'contiguous' || strategy === 'weighted') {
    const all: T[] = [];
    for await (const item of items) all.push(item);
    yield* shardItems(all, spec, { ...options, strategy });
    return;
  }
  if (strategy !== 'strided' && strategy !== 'hash') assignShards([], count, options); // throws the standard message
  const policy = options.duplicates ?? 'error';
  let key: ((item: T) => string) | undefined;
  // Keys seen so far: all of them under strided; only this shard's under hash,
  // where equal keys always land in the same shard.
  const seen = new Set<string>();
  const isRepeat = (k: string | undefined): boolean => {
    if (k === undefined || policy === 'allow') return false;
    if (!seen.has(k)) {
      seen.add(k);
      return false;
    }
    if (policy === 'error') throw new DuplicateShardKeyError([k], 1);
    return true; // keep-first: skip it, as if it were not in the input
  };
  let position = 0;
  for await (const awaited of items) {
    const item = awaited as T;
    if (position === 0 && key === undefined) {
      key = strategy === 'hash' ? keyAccessor(options, item, strategy) : optionalKeyAccessor(options, item);
    }
    const k = key?.(item);
    if (strategy === 'hash') {
      if (shardOfKey(k!, count) === index && !isRepeat(k)) yield item;
    } else if (!isRepeat(k) && position++ % count === index) yield item;
  }
}

function dedupe<T>(items: readonly T[], options: ShardItemsOptions<T>): readonly T[] {
  const key = optionalKeyAccessor(options, items[0]);
  if (key === undefined) return items;
  return applyDuplicatePolicy(items, key, options.duplicates ?? 'error');
}

function optionalKeyAccessor<T>(options: ItemAccessors<T>, sample: T | undefined): ((item: T) => string) | undefined {
  if (options.key !== undefined) return options.key;
  if (typeof sample === 'string') return (item) => item as string;
  if (isRecord(sample) && typeof sample.key === 'string') return (item) => (item as { key: string }).key;
  return undefined;
}

function keyAccessor<T>(options: ItemAccessors<T>, sample: T | undefined, strategy: ShardStrategy): (item: T) => string {
  const key = optionalKeyAccessor(options, sample);
  if (key === undefined && sample !== undefined) {
    throw new ConfigurationError(`the ${strategy} strategy needs each item's key: pass options.key (items are neither strings nor { key: string })`);
  }
  return key ?? String;
}

function weightAccessor<T>(options: ItemAccessors<T>, sample: T | undefined): (item: T) => number {
  if (options.weight !== undefined) return options.weight;
  if (sample === undefined || (isRecord(sample) && typeof sample.size === 'number')) return (item) => (item as { size: number }).size;
  throw new ConfigurationError(`the weighted strategy needs each item's weight: pass options.weight (items have no numeric size)`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
