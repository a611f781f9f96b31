import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/runtime/errors.ts';
import { ShardPlanError } from '../../../src/sharding/errors.ts';
import { type PlannedObject, deleteShardPlan, freezeShardPlan, loadShardPlan, shardPlanKey } from '../../../src/sharding/plan.ts';
import type { ShardStrategy } from '../../../src/sharding/types.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import type { ObjectStore } from '../../../src/store/types.ts';
import { storedPlan } from '../../support/stored-plan.ts';
import { testIdentity } from './identity.ts';

async function seed(store: ObjectStore, prefix: string, n: number, from = 0): Promise<void> {
  for (let i = from; i < from + n; i++) await store.put(`${prefix}file-${String(i).padStart(5, '0')}.csv`, 'x'.repeat(1 + ((i * 37) % 200)));
}

async function collect(it: AsyncIterable<PlannedObject>): Promise<PlannedObject[]> {
  const out: PlannedObject[] = [];
  for await (const o of it) out.push(o);
  return out;
}

/** Counts list() calls, to prove that readers never list. */
function countingLists(store: ObjectStore): { store: ObjectStore; lists: () => number } {
  let lists = 0;
  const wrapped = new Proxy(store, {
    get(target, prop, receiver): unknown {
      if (prop === 'list') {
        return (prefix: string, options?: { signal?: AbortSignal }) => {
          if (prefix.startsWith('input/')) lists++;
          return target.list(prefix, options);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: wrapped, lists: () => lists };
}

describe('frozen shard plans', () => {
  it('every index gets the same listing even when objects appear after the first listing', async () => {
    const store = new MemoryStore();
    await seed(store, 'input/', 30);
    const count = 4;
    const first = await freezeShardPlan({ store, identity: testIdentity({ index: 2, count }), prefix: 'input/' });
    await seed(store, 'input/', 10, 30); // arrives during the run
    await store.delete('input/file-00003.csv'); // and one disappears
    const shares: PlannedObject[][] = [];
    for (let index = 0; index < count; index++) {
      const plan = await freezeShardPlan({ store, identity: testIdentity({ index, count }), prefix: 'input/' });
      expect(plan.manifest.planId).toBe(first.manifest.planId);
      shares.push(await collect(plan.shard(index)));
    }
    const keys = shares.flat().map((o) => o.key);
    expect(keys).toHaveLength(30);
    expect(new Set(keys)).toEqual(new Set(Array.from({ length: 30 }, (_, i) => `input/file-${String(i).padStart(5, '0')}.csv`)));
  });

  it('concurrent first listings agree on one plan, and the losers clean up their pages', async () => {
    const store = new MemoryStore();
    await seed(store, 'input/', 40);
    const count = 5;
    const plans = await Promise.all(
      Array.from({ length: count }, (_, index) =>
        freezeShardPlan({ store, identity: testIdentity({ index, count }), prefix: 'input/', pageSize: 7 }),
      ),
    );
    expect(new Set(plans.map((p) => p.manifest.planId)).size).toBe(1);
    const pageKeys: string[] = [];
    for await (const info of store.list('jobs/default/etl/shard-plans/')) if (info.key.includes('/pages/')) pageKeys.push(info.key);
    expect(pageKeys.sort()).toEqual((await storedPlan(store, plans[0]!)).pages.map((p) => p.key).sort());
  });

  for (const strategy of ['contiguous', 'strided', 'hash', 'weighted'] as ShardStrategy[]) {
    it(`${strategy}: shards partition the listing exactly, across page boundaries`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat(60), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 13 }), async (n, count, pageSize) => {
          const store = new MemoryStore();
          await seed(store, 'input/', n);
          const plan = await freezeShardPlan({ store, identity: testIdentity({ count }), prefix: 'input/', strategy, pageSize });
          const all: PlannedObject[] = [];
          for (let index = 0; index < count; index++) {
            const shard = await collect(plan.shard(index));
            expect(shard).toHaveLength(plan.shardSize(index));
            expect(shard.reduce((b, o) => b + o.size, 0)).toBe(plan.shardBytes(index));
            all.push(...shard);
          }
          const listed: PlannedObject[] = [];
          for await (const info of store.list('input/')) listed.push({ key: info.key, size: info.size, etag: info.etag });
          expect(all.sort((a, b) => (a.key < b.key ? -1 : 1))).toEqual(listed);
        }),
        { numRuns: 25 },
      );
    });
  }

  it('a restarted pod resumes from the cursor without listing again', async () => {
    const base = new MemoryStore();
    await seed(base, 'input/', 50);
    const { store, lists } = countingLists(base);
    const identity = testIdentity({ index: 1, count: 2 });
    const first = (await freezeShardPlan({ store, identity, prefix: 'input/', strategy: 'contiguous', pageSize: 4 })).shard(1);
    const done: string[] = [];
    for await (const o of first) {
      if (done.length === 9) break; // killed while processing the 10th
      done.push(o.key);
    }
    expect(lists()).toBe(1);
    const cursor = JSON.parse(JSON.stringify(first.cursor)) as typeof first.cursor;
    const restarted = (await freezeShardPlan({ store, identity, prefix: 'input/', strategy: 'contiguous', pageSize: 4 })).shard(1, { resume: cursor });
    const rest = (await collect(restarted)).map((o) => o.key);
    expect(lists()).toBe(1);
    expect([...done, ...rest]).toEqual(Array.from({ length: 25 }, (_, i) => `input/file-${String(25 + i).padStart(5, '0')}.csv`));
  });

  it('refuses a cursor of another shard or another plan', async () => {
    const store = new MemoryStore();
    await seed(store, 'input/', 10);
    const plan = await freezeShardPlan({ store, identity: testIdentity({ count: 2 }), prefix: 'input/' });
    expect(() => plan.shard(1, { resume: plan.shard(0).cursor })).toThrow(/another shard/);
  });

  it('refuses a plan frozen for another count or strategy', async () => {
    const store = new MemoryStore();
    await seed(store, 'input/', 10);
    await freezeShardPlan({ store, identity: testIdentity({ count: 2 }), prefix: 'input/' });
    await expect(freezeShardPlan({ store, identity: testIdentity({ count: 3 }), prefix: 'input/' })).rejects.toThrow(
      /frozen for prefix "input\/", strategy weighted, count 2, but this pod asks for .* count 3/,
    );
    await expect(freezeShardPlan({ store, identity: testIdentity({ count: 2 }), prefix: 'input/', strategy: 'hash' })).rejects.toBeInstanceOf(
      ConfigurationError,
    );
    // Another name is another plan.
    const other = await freezeShardPlan({ store, identity: testIdentity({ count: 3 }), prefix: 'input/', name: 'rerun' });
    expect(other.manifest.count).toBe(3);
  });

  it('detects a corrupt manifest and a corrupt page', async () => {
    const store = new MemoryStore();
    await seed(store, 'input/', 20);
    const location = { store, identity: testIdentity({ count: 2 }), prefix: 'input/' };
    const plan = await freezeShardPlan({ ...location, pageSize: 5 });
    const manifest = (await store.get(plan.key))!;
    const text = Buffer.from(manifest.body).toString('utf8');

    await store.put(plan.key, text.replace('"objects":20', '"objects":21'));
    await expect(freezeShardPlan(location)).rejects.toThrow(/fails its checksum/);
    await store.put(plan.key, text.slice(0, text.length / 2));
    await expect(freezeShardPlan(location)).rejects.toBeInstanceOf(ShardPlanError);
    await store.put(plan.key, text.replace('"version":1', '"version":99'));
    await expect(freezeShardPlan(location)).rejects.toThrow(/format version 99/);

    await store.put(plan.key, text);
    const page = (await storedPlan(store, plan)).pages[1]!;
    const pageBody = Buffer.from((await store.get(page.key))!.body).toString('utf8');
    await store.put(page.key, pageBody.replace('file-', 'fila-'));
    await expect(collect(plan.shard(0))).rejects.toThrow(/page fails its checksum/);
  });

  it('handles an empty prefix: every shard is empty', async () => {
    const store = new MemoryStore();
    const plan = await freezeShardPlan({ store, identity: testIdentity({ count: 3 }), prefix: 'nothing/' });
    expect(plan.manifest.objects).toBe(0);
    for (let i = 0; i < 3; i++) expect(await collect(plan.shard(i))).toEqual([]);
  });

  it('applies the filter when listing', async () => {
    const store = new MemoryStore();
    await seed(store, 'input/', 6);
    await store.put('input/_SUCCESS', '');
    const plan = await freezeShardPlan({ store, identity: testIdentity(), prefix: 'input/', filter: (o) => o.key.endsWith('.csv') });
    expect(plan.manifest.objects).toBe(6);
  });

  it('keeps plans under the job prefix, with the plan name encoded', () => {
    const key = shardPlanKey({ store: new MemoryStore(), identity: testIdentity({ jobName: '../x' }), prefix: 'in/../' });
    expect(key).toBe('jobs/default/%2E%2E%2Fx/shard-plans/prefix%3Ain%2F%2E%2E%2F/plan.json');
  });

  it('refuses to freeze on a store that ignores conditional writes', async () => {
    const store = new MemoryStore({ ignoreConditions: true });
    await seed(store, 'input/', 3);
    await expect(freezeShardPlan({ store, identity: testIdentity(), prefix: 'input/' })).rejects.toThrow(/conditional writes/);
  });

  it('can be deleted to re-plan', async () => {
    const store = new MemoryStore();
    await seed(store, 'input/', 12);
    const location = { store, identity: testIdentity(), prefix: 'input/' };
    const plan = await freezeShardPlan({ ...location, pageSize: 5 });
    const { pages } = await storedPlan(store, plan);
    expect(pages.length).toBeGreaterThan(1);
    expect(await deleteShardPlan(location)).toBe(true);
    expect(await loadShardPlan(location)).toBeUndefined();
    for (const p of pages) expect(await store.head(p.key)).toBeUndefined();
    expect(await deleteShardPlan(location)).toBe(false);
  });

  // 100,000 objects take a few seconds on a shared 2-core machine: JOBKIT_TEST_LARGE=1 runs that size.
  const large = process.env.JOBKIT_TEST_LARGE === '1';
  const n = large ? 100_000 : 10_000;
  it(`plans ${n} objects in pages of bounded size`, { timeout: 60_000 }, async () => {
    const store = new MemoryStore();
    for (let i = 0; i < n; i++) await store.put(`input/${String(i).padStart(6, '0')}`, 'x');
    const plan = await freezeShardPlan({ store, identity: testIdentity({ count: 16 }), prefix: 'input/' });
    expect(plan.manifest.objects).toBe(n);
    expect(plan.manifest.pageCount).toBe(Math.ceil(n / 5_000));
    const seen = new Set<string>();
    for (let i = 0; i < 16; i++) for await (const o of plan.shard(i)) seen.add(o.key);
    expect(seen.size).toBe(n);
  });
});
