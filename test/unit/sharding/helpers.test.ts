import { describe, expect, it } from 'vitest';
import { createShardHelpers } from '../../../src/sharding/helpers.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import { testIdentity } from './identity.ts';

async function seeded(n: number): Promise<MemoryStore> {
  const store = new MemoryStore();
  for (let i = 0; i < n; i++) await store.put(`input/${String(i).padStart(4, '0')}.csv`, 'x'.repeat(i + 1));
  return store;
}

describe('job.shard helpers', () => {
  it("objects(): each index iterates its own share of the prefix, and together they cover it once", async () => {
    const store = await seeded(37);
    const seen: string[] = [];
    for (let index = 0; index < 4; index++) {
      const shard = createShardHelpers({ identity: testIdentity({ index, count: 4 }), store });
      for await (const obj of await shard.objects('input/')) seen.push(obj.key);
    }
    expect(seen.sort()).toEqual(Array.from({ length: 37 }, (_, i) => `input/${String(i).padStart(4, '0')}.csv`));
  });

  it('range/items/owns use the identity', () => {
    const shard = createShardHelpers({ identity: testIdentity({ index: 1, count: 2 }) });
    expect([...shard.range(5)]).toEqual([3, 4]);
    expect([...shard.range(5, { strategy: 'strided' })]).toEqual([1, 3]);
    expect([...shard.items(['a', 'b', 'c', 'd'])]).toEqual(['c', 'd']);
    const keys = Array.from({ length: 100 }, (_, i) => `k${i}`);
    expect(keys.filter((k) => shard.owns(k))).toEqual([...shard.items(keys, { strategy: 'hash' })]);
  });

  it('a work queue over the chunks of a frozen plan processes every object exactly once', async () => {
    const store = await seeded(50);
    const processed: string[] = [];
    const worker = async (pod: string) => {
      const shard = createShardHelpers({ identity: testIdentity({ podName: pod }), store });
      const plan = await shard.plan('input/', { name: 'queue', count: 8 });
      await shard.workQueue({ chunks: 8, leaseMs: 500, pollMs: 10 }).run(async ({ chunk, signal }) => {
        for await (const obj of plan.shard(chunk, { signal })) processed.push(obj.key);
      });
    };
    await Promise.all([worker('a'), worker('b'), worker('c')]);
    expect(processed.sort()).toEqual(Array.from({ length: 50 }, (_, i) => `input/${String(i).padStart(4, '0')}.csv`));
  });

  it('rejects an invalid identity with a ConfigurationError naming the value', () => {
    expect(() => createShardHelpers({ identity: testIdentity({ index: 3, count: 3 }) })).toThrow(/job identity index .* got 3/);
  });
});
