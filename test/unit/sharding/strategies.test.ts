import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/runtime/errors.ts';
import { DuplicateShardKeyError } from '../../../src/sharding/errors.ts';
import { shardOfKey } from '../../../src/sharding/hash.ts';
import { contiguousBounds, shardAsyncItems, shardItems, shardRange } from '../../../src/sharding/strategies.ts';
import type { ShardStrategy } from '../../../src/sharding/types.ts';
import { validateShardSpec } from '../../../src/sharding/validate.ts';
import { assignWeighted } from '../../../src/sharding/weighted.ts';

const STRATEGIES: readonly ShardStrategy[] = ['contiguous', 'strided', 'hash', 'weighted'];
const specs = (count: number) => Array.from({ length: count }, (_, index) => ({ index, count }));

/** Unique-keyed files with sizes. */
const filesArb = fc
  .uniqueArray(fc.string({ minLength: 1, maxLength: 12 }), { maxLength: 120 })
  .chain((keys) => fc.tuple(fc.constant(keys), fc.array(fc.nat(10_000), { minLength: keys.length, maxLength: keys.length })))
  .map(([keys, sizes]) => keys.map((key, i) => ({ key, size: sizes[i]! })));

describe('every strategy partitions the input exactly', () => {
  for (const strategy of STRATEGIES) {
    it(`${strategy}: shares are disjoint and their union is the input`, () => {
      fc.assert(
        fc.property(filesArb, fc.integer({ min: 1, max: 40 }), (files, count) => {
          const shares = specs(count).map((spec) => shardItems(files, spec, { strategy }));
          const all = shares.flat();
          expect(all).toHaveLength(files.length);
          expect(new Set(all.map((f) => f.key)).size).toBe(files.length);
          expect(new Set(all)).toEqual(new Set(files));
        }),
        { numRuns: 150 },
      );
    });
  }

  it('contiguous shares differ in size by at most one and keep input order', () => {
    fc.assert(
      fc.property(fc.nat(100_000), fc.integer({ min: 1, max: 500 }), (total, count) => {
        let expectedStart = 0;
        const sizes: number[] = [];
        for (const spec of specs(count)) {
          const { start, end } = contiguousBounds(total, spec);
          expect(start).toBe(expectedStart);
          sizes.push(end - start);
          expectedStart = end;
        }
        expect(expectedStart).toBe(total);
        expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
      }),
    );
  });

  it('integer ranges: contiguous and strided shares cover [start, end) exactly once', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1000, max: 1000 }), fc.nat(600), fc.integer({ min: 1, max: 30 }), (start, length, count) => {
        for (const strategy of ['contiguous', 'strided'] as const) {
          const seen: number[] = [];
          for (const spec of specs(count)) {
            const share = shardRange({ start, end: start + length }, spec, strategy);
            let n = 0;
            for (let i = share.start; i < share.end; i += share.step) {
              seen.push(i);
              n++;
            }
            expect(n).toBe(share.size);
          }
          expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length }, (_, i) => start + i));
        }
      }),
    );
  });

  it('order-free strategies give the same shares whatever the input order', () => {
    fc.assert(
      fc.property(filesArb, fc.integer({ min: 1, max: 12 }), fc.nat(), (files, count, seed) => {
        const shuffled = [...files].sort((a, b) => ((hashInt(a.key, seed) - hashInt(b.key, seed)) | 0));
        for (const strategy of ['hash', 'weighted'] as const) {
          for (const spec of specs(count)) {
            const a = shardItems(files, spec, { strategy }).map((f) => f.key).sort();
            const b = shardItems(shuffled, spec, { strategy }).map((f) => f.key).sort();
            expect(b).toEqual(a);
          }
        }
      }),
      { numRuns: 60 },
    );
  });

  it('streams give the same shares as lists (strided and hash stream; others buffer)', async () => {
    await fc.assert(
      fc.asyncProperty(filesArb, fc.integer({ min: 1, max: 8 }), async (files, count) => {
        for (const strategy of STRATEGIES) {
          for (const spec of specs(count)) {
            const streamed: unknown[] = [];
            for await (const f of shardAsyncItems(toAsync(files), spec, { strategy })) streamed.push(f);
            expect(streamed).toEqual(shardItems(files, spec, { strategy }));
          }
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('hash strategy: minimal movement when the count changes', () => {
  const keys = Array.from({ length: 20_000 }, (_, i) => `s3://bucket/part-${i}.parquet`);

  it('n -> n+1 moves about 1/(n+1) of the keys, all of them to the new shard', () => {
    for (const n of [1, 2, 3, 7, 16, 50, 100]) {
      let moved = 0;
      for (const key of keys) {
        const before = shardOfKey(key, n);
        const after = shardOfKey(key, n + 1);
        if (before !== after) {
          moved++;
          expect(after).toBe(n);
        }
      }
      const expected = keys.length / (n + 1);
      // 6 standard deviations of a binomial: fails by chance with probability ~1e-9.
      const sigma = Math.sqrt(keys.length * (1 / (n + 1)) * (1 - 1 / (n + 1)));
      expect(Math.abs(moved - expected)).toBeLessThan(6 * sigma);
    }
  });

  it('spreads keys evenly over the shards', () => {
    for (const count of [3, 10, 64]) {
      const sizes = new Array<number>(count).fill(0);
      for (const key of keys) sizes[shardOfKey(key, count)]!++;
      const mean = keys.length / count;
      const sigma = Math.sqrt(mean * (1 - 1 / count));
      for (const size of sizes) expect(Math.abs(size - mean)).toBeLessThan(6 * sigma);
    }
  });
});

describe('weighted strategy', () => {
  it('balances weight: the heaviest share is at most ideal + largest item', () => {
    fc.assert(
      fc.property(fc.array(fc.nat(1_000_000), { maxLength: 300 }), fc.integer({ min: 1, max: 50 }), (weights, count) => {
        const keys = weights.map((_, i) => `k${i}`);
        const shard = assignWeighted(keys, weights, count);
        const loads = new Array<number>(count).fill(0);
        weights.forEach((w, i) => (loads[shard[i]!]! += w));
        const total = weights.reduce((a, b) => a + b, 0);
        const largest = Math.max(0, ...weights);
        expect(Math.max(...loads)).toBeLessThanOrEqual(total / count + largest + 1e-6);
      }),
    );
  });

  it('balances bytes, not counts', () => {
    const files = [{ key: 'big', size: 900 }, ...Array.from({ length: 9 }, (_, i) => ({ key: `small-${i}`, size: 100 }))];
    const a = shardItems(files, { index: 0, count: 2 }, { strategy: 'weighted' });
    const b = shardItems(files, { index: 1, count: 2 }, { strategy: 'weighted' });
    expect(a.map((f) => f.key)).toEqual(['big']);
    expect(b).toHaveLength(9);
  });

  it('rejects negative or non-finite weights, naming the item', () => {
    expect(() => assignWeighted(['a', 'b'], [1, -1], 2)).toThrow(ConfigurationError);
    expect(() => assignWeighted(['a', 'b'], [1, Number.NaN], 2)).toThrow(/"b".*NaN/);
  });
});

describe('validation', () => {
  it('rejects bad counts and indexes with a ConfigurationError naming the value', () => {
    expect(() => validateShardSpec({ index: 0, count: 0 })).toThrow(/count must be an integer >= 1, got 0/);
    expect(() => validateShardSpec({ index: 4, count: 4 })).toThrow(/0 <= index < count \(4\), got 4/);
    expect(() => validateShardSpec({ index: -1, count: 4 })).toThrow(ConfigurationError);
    expect(() => validateShardSpec({ index: 1.5, count: 4 })).toThrow(/got 1.5/);
    expect(() => validateShardSpec({ index: 0, count: Number.NaN }, 'JOBKIT_COUNT')).toThrow(/JOBKIT_COUNT count .* got NaN/);
    expect(() => shardItems([1, 2], { index: 2, count: 2 })).toThrow(ConfigurationError);
    expect(() => shardRange({ start: 5, end: 2 }, { index: 0, count: 1 })).toThrow(/range.end/);
  });

  it('handles empty input: every share is empty', () => {
    for (const strategy of STRATEGIES) {
      for (const spec of specs(3)) expect(shardItems<{ key: string; size: number }>([], spec, { strategy })).toEqual([]);
    }
    expect(shardRange(0, { index: 2, count: 3 }).size).toBe(0);
  });

  it('reports duplicate keys, or drops them with keep-first', () => {
    const rows = ['a', 'b', 'a', 'c', 'b', 'a'];
    const err = captureError(() => shardItems(rows, { index: 0, count: 2 }, { strategy: 'hash' }));
    expect(err).toBeInstanceOf(DuplicateShardKeyError);
    expect((err as DuplicateShardKeyError).duplicates).toEqual(['a', 'b']);
    expect((err as DuplicateShardKeyError).duplicateCount).toBe(3);
    const kept = specs(2).flatMap((spec) => shardItems(rows, spec, { strategy: 'strided', duplicates: 'keep-first' }));
    expect(kept.sort()).toEqual(['a', 'b', 'c']);
    const all = specs(2).flatMap((spec) => shardItems(rows, spec, { strategy: 'contiguous', duplicates: 'allow' }));
    expect(all).toHaveLength(rows.length);
  });

  it('drops duplicate keys in streams exactly as in lists with keep-first', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f'), { maxLength: 30 }), fc.integer({ min: 1, max: 4 }), async (rows, count) => {
        for (const strategy of STRATEGIES) {
          for (const spec of specs(count)) {
            const streamed: string[] = [];
            for await (const r of shardAsyncItems(toAsync(rows), spec, { strategy, duplicates: 'keep-first', weight: () => 1 })) streamed.push(r);
            expect(streamed).toEqual(shardItems(rows, spec, { strategy, duplicates: 'keep-first', weight: () => 1 }));
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  it('reports duplicate keys in streams', async () => {
    const consume = async () => {
      for await (const _ of shardAsyncItems(toAsync(['x', 'y', 'x']), { index: 0, count: 1 }, { strategy: 'hash' })) void _;
    };
    await expect(consume()).rejects.toBeInstanceOf(DuplicateShardKeyError);
  });

  it('needs a key for the hash strategy when items are not strings', () => {
    expect(() => shardItems([{ id: 1 }], { index: 0, count: 1 }, { strategy: 'hash' })).toThrow(/options.key/);
    expect(shardItems([{ id: 1 }], { index: 0, count: 1 }, { strategy: 'hash', key: (r) => String(r.id) })).toEqual([{ id: 1 }]);
  });
});

function captureError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('expected an error');
}

async function* toAsync<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) {
    await Promise.resolve();
    yield item;
  }
}

function hashInt(s: string, seed: number): number {
  let h = seed | 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x9e3779b1);
  return h;
}
