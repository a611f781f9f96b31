/**
 * The weighted strategy: deterministic greedy list scheduling (longest
 * processing time first). Items are taken heaviest first (ties by key, so the
 * input order does not matter) and each goes to the currently lightest shard
 * (ties to the lowest index). Any greedy assignment of this kind bounds the
 * heaviest shard by `total / count + largest item`; sorting heaviest first
 * makes it much tighter in practice (at most 4/3 of the optimum).
 */
import { ConfigurationError } from '../runtime/errors.ts';
import { validateShardSpec } from './validate.ts';

/** Min-heap of shards by (load, index), in two parallel typed arrays. */
class ShardHeap {
  readonly #load: Float64Array;
  readonly #shard: Int32Array;

  constructor(count: number) {
    this.#load = new Float64Array(count);
    this.#shard = new Int32Array(count);
    for (let i = 0; i < count; i++) this.#shard[i] = i; // all loads 0: already a heap by index
  }

  /** The lightest shard. */
  peek(): number {
    return this.#shard[0]!;
  }

  /** Add `weight` to the lightest shard and restore the heap. */
  addToTop(weight: number): void {
    const load = this.#load;
    const shard = this.#shard;
    const n = load.length;
    const topLoad = load[0]! + weight;
    const topShard = shard[0]!;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && less(load[r]!, shard[r]!, load[l]!, shard[l]!)) c = r;
      if (!less(load[c]!, shard[c]!, topLoad, topShard)) break;
      load[i] = load[c]!;
      shard[i] = shard[c]!;
      i = c;
    }
    load[i] = topLoad;
    shard[i] = topShard;
  }
}

function less(loadA: number, shardA: number, loadB: number, shardB: number): boolean {
  return loadA < loadB || (loadA === loadB && shardA < shardB);
}

/**
 * Assign weighted items to `count` shards. Returns, for each item (in input
 * order), its shard. Deterministic for a given set of (key, weight) pairs,
 * whatever their order; keys should be unique (equal keys with equal weights
 * are interchangeable, so it stays deterministic anyway).
 *
 * @example
 * ```ts
 * assignWeighted(['a', 'b', 'c'], [10, 5, 5], 2); // Int32Array [0, 1, 1]
 * ```
 */
export function assignWeighted(keys: readonly string[], weights: ArrayLike<number>, count: number): Int32Array {
  validateShardSpec({ index: 0, count }, 'weighted');
  const n = keys.length;
  if (weights.length !== n) throw new TypeError(`assignWeighted: ${n} keys but ${weights.length} weights`);
  for (let i = 0; i < n; i++) {
    const w = weights[i]!;
    if (!Number.isFinite(w) || w < 0) {
      throw new ConfigurationError(`weighted sharding: the weight of ${JSON.stringify(keys[i])} must be a finite number >= 0, got ${w}`);
    }
  }
  const order = Array.from({ length: n }, (_, i) => i);
  order.sort((a, b) => {
    const d = weights[b]! - weights[a]!;
    if (d !== 0) return d;
    const ka = keys[a]!;
    const kb = keys[b]!;
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
  const heap = new ShardHeap(count);
  const out = new Int32Array(n);
  for (const i of order) {
    out[i] = heap.peek();
    heap.addToTop(weights[i]!);
  }
  return out;
}
