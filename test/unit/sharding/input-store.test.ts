import { describe, expect, it } from 'vitest';
import { exitCodeOf } from '../../../src/runtime/classify.ts';
import { ConfigurationError } from '../../../src/runtime/errors.ts';
import { createShardHelpers } from '../../../src/sharding/helpers.ts';
import { readOnlyStore } from '../../../src/sharding/input.ts';
import { encodeManifest } from '../../../src/sharding/plan-format.ts';
import { storedPlan } from '../../support/stored-plan.ts';
import { type PlannedObject, freezeShardPlan, shardPlanKey } from '../../../src/sharding/plan.ts';
import { createWorkQueue } from '../../../src/sharding/work-queue.ts';
import { MemoryStore } from '../../../src/store/memory.ts';
import type { ObjectStore } from '../../../src/store/types.ts';
import { testIdentity } from './identity.ts';

/** Records every write-like call made on the wrapped store. */
function spyWrites(store: ObjectStore): { store: ObjectStore; writes: string[] } {
  const writes: string[] = [];
  const wrapped = new Proxy(store, {
    get(target, prop, receiver): unknown {
      if (prop === 'put' || prop === 'putStream' || prop === 'delete' || prop === 'capabilities' || prop === 'abortIncompleteUploads') {
        return (...args: unknown[]) => {
          writes.push(`${String(prop)} ${String(args[0])}`);
          return (Reflect.get(target, prop, receiver) as (...a: unknown[]) => unknown).apply(target, args);
        };
      }
      const value: unknown = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { store: wrapped, writes };
}

async function collect(it: AsyncIterable<PlannedObject>): Promise<string[]> {
  const out: string[] = [];
  for await (const o of it) out.push(o.key);
  return out;
}

let seq = 0;
/** A named memory store (reachable by its memory:// URL), seeded under `events/`. */
async function rawLake(n: number): Promise<{ name: string; store: MemoryStore; keys: string[] }> {
  const name = `raw-lake-${process.pid}-${seq++}`;
  const store = new MemoryStore({ name });
  const keys = Array.from({ length: n }, (_, i) => `events/2026-12-01/part-${String(i).padStart(4, '0')}.json`);
  for (const [i, k] of keys.entries()) await store.put(k, 'x'.repeat(1 + i));
  return { name, store, keys };
}

describe('shard plans of a read-only input store', () => {
  it('an ObjectStore input is only listed; the plan goes to the job store, namespaced as before', async () => {
    const lake = await rawLake(23);
    const { store: input, writes } = spyWrites(lake.store);
    const state = new MemoryStore();
    const seen: string[] = [];
    for (let index = 0; index < 3; index++) {
      const shard = createShardHelpers({ identity: testIdentity({ index, count: 3 }), store: state });
      seen.push(...(await collect(await shard.objects('events/2026-12-01/', { input }))));
    }
    expect(seen.sort()).toEqual(lake.keys);
    expect(writes).toEqual([]);
    const stateKeys: string[] = [];
    for await (const info of state.list('')) stateKeys.push(info.key);
    expect(stateKeys.length).toBeGreaterThan(1);
    expect(stateKeys.every((k) => k.startsWith('jobs/default/etl/shard-plans/'))).toBe(true);
    // Nothing of the plan lands in the input.
    const inputKeys: string[] = [];
    for await (const info of lake.store.list('')) inputKeys.push(info.key);
    expect(inputKeys).toEqual(lake.keys);
  });

  it('job.shard.objects(<URL>) lists that store (opened by URL), keys relative to it, and records the input in the manifest', async () => {
    const lake = await rawLake(11);
    const url = `memory://${lake.name}`;
    const state = new MemoryStore();
    const shard = createShardHelpers({ identity: testIdentity({ index: 0, count: 1 }), store: state });
    const files = await shard.objects(url);
    expect(await collect(files)).toEqual(lake.keys);
    const plan = await shard.plan(url);
    expect(plan.manifest.input).toBe(url);
    expect(plan.manifest.prefix).toBe('');
    expect(plan.key).toBe(shardPlanKey({ store: state, identity: testIdentity(), prefix: url }));
    expect(plan.key.startsWith('jobs/default/etl/shard-plans/input%3Amemory')).toBe(true);
  });

  it('the same prefix in two input stores gives two plans, and a plan is not adopted for another input', async () => {
    const a = await rawLake(4);
    const b = await rawLake(6);
    const state = new MemoryStore();
    const identity = testIdentity({ count: 1 });
    const pa = await freezeShardPlan({ store: state, identity, prefix: 'events/', input: `memory://${a.name}` });
    const pb = await freezeShardPlan({ store: state, identity, prefix: 'events/', input: `memory://${b.name}` });
    expect([pa.manifest.objects, pb.manifest.objects]).toEqual([4, 6]);
    expect(pa.key).not.toBe(pb.key);
    await expect(freezeShardPlan({ store: state, identity, prefix: 'events/', input: `memory://${b.name}`, name: 'fixed' })).resolves.toBeDefined();
    await expect(freezeShardPlan({ store: state, identity, prefix: 'events/', input: `memory://${a.name}`, name: 'fixed' })).rejects.toThrow(
      /frozen for prefix "events\/" of memory:\/\/raw-lake-.*but this pod asks for prefix "events\/" of memory:\/\/raw-lake-/,
    );
  });

  it('writes through the input view are refused with a ConfigurationError', async () => {
    const lake = await rawLake(1);
    const view = readOnlyStore(lake.store);
    expect(await view.get('events/2026-12-01/part-0000.json')).toBeDefined();
    await expect(view.put('x', 'y')).rejects.toBeInstanceOf(ConfigurationError);
    await expect(view.delete('events/2026-12-01/part-0000.json')).rejects.toThrow(/read-only/);
    await expect(view.capabilities()).rejects.toBeInstanceOf(ConfigurationError);
    expect(await lake.store.head('events/2026-12-01/part-0000.json')).toBeDefined();
  });

  for (const [what, call] of [
    ['an s3:// URL that cannot be opened', (s: ReturnType<typeof createShardHelpers>) => s.objects('s3:///events/2026-12-01/')],
    ['a URL with an unknown scheme', (s: ReturnType<typeof createShardHelpers>) => s.objects('gs://raw/events/')],
    ['a prefix with an empty segment', (s: ReturnType<typeof createShardHelpers>) => s.objects('events//2026/')],
    ['a prefix with a .. segment', (s: ReturnType<typeof createShardHelpers>) => s.objects('../etc/')],
    ['an absolute prefix', (s: ReturnType<typeof createShardHelpers>) => s.objects('/events/')],
    ['an input that is not a URL', (s: ReturnType<typeof createShardHelpers>) => s.objects('events/', { input: 'raw/events' })],
    ['credentials in the input URL', (s: ReturnType<typeof createShardHelpers>) => s.objects('', { input: 's3://AKIA:secret@raw/events/' })],
  ] as const) {
    it(`${what} is a ConfigurationError (exit 78) naming it, not a TypeError`, async () => {
      const shard = createShardHelpers({ identity: testIdentity(), store: new MemoryStore() });
      const err: unknown = await call(shard).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigurationError);
      expect(err).not.toBeInstanceOf(TypeError);
      expect(exitCodeOf(err)).toBe(78);
      expect((err as Error).message).toMatch(/shard (plan prefix|input store)/);
      expect((err as Error).message).not.toContain('secret');
    });
  }

  it('a bad prefix names the prefix', async () => {
    const shard = createShardHelpers({ identity: testIdentity(), store: new MemoryStore() });
    await expect(shard.objects('events//2026/')).rejects.toThrow(/prefix "events\/\/2026\/"/);
    await expect(shard.objects('gs://raw/events/')).rejects.toThrow(/gs:\/\/raw\/events\//);
  });
});

describe('the job count is checked at run time', () => {
  it('a plan with an explicit shard count frozen by a pod of another JOBKIT_COUNT is refused, naming both counts', async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 9; i++) await store.put(`input/${i}.csv`, 'x');
    await createShardHelpers({ identity: testIdentity({ index: 0, count: 4 }), store }).plan('input/', { name: 'queue', count: 16 });
    const other = createShardHelpers({ identity: testIdentity({ index: 0, count: 3 }), store });
    const err: unknown = await other.plan('input/', { name: 'queue', count: 16 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toMatch(/job count 4 .*job count 3/);
    // The same count adopts the plan.
    await expect(createShardHelpers({ identity: testIdentity({ index: 3, count: 4 }), store }).plan('input/', { name: 'queue', count: 16 })).resolves.toBeDefined();
  });

  it('a plan written before the job count was recorded is accepted', async () => {
    const store = new MemoryStore();
    for (let i = 0; i < 5; i++) await store.put(`input/${i}.csv`, 'x');
    const identity = testIdentity({ count: 2 });
    const plan = await freezeShardPlan({ store, identity, prefix: 'input/', name: 'old', count: 8 });
    // Rewrite the manifest as an older jobkit wrote it: no jobCount, resealed.
    const { checksum: _checksum, jobCount: _jobCount, ...fields } = await storedPlan(store, plan);
    await store.put(plan.key, encodeManifest(fields));
    const adopted = await freezeShardPlan({ store, identity: testIdentity({ count: 5 }), prefix: 'input/', name: 'old', count: 8 });
    expect(adopted.manifest.planId).toBe(plan.manifest.planId);
    expect(adopted.manifest.jobCount).toBeUndefined();
  });

  it('a work queue created by pods of another JOBKIT_COUNT is refused, naming both counts', async () => {
    const store = new MemoryStore();
    const options = { store, chunks: 2, leaseMs: 500, pollMs: 10 };
    await createWorkQueue({ ...options, identity: testIdentity({ index: 0, count: 2 }) }).run(async () => {});
    const err: unknown = await createWorkQueue({ ...options, identity: testIdentity({ index: 0, count: 3 }) })
      .run(async () => {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toMatch(/job count 2 .*job count 3/);
    // A peer with the same count finds every chunk done.
    await expect(createWorkQueue({ ...options, identity: testIdentity({ index: 1, count: 2 }) }).run(async () => {})).resolves.toMatchObject({ completed: [] });
  });

  it('a work queue record without a count (older jobkit) is accepted', async () => {
    const store = new MemoryStore();
    const queue = createWorkQueue({ store, chunks: 1, leaseMs: 500, pollMs: 10, identity: testIdentity({ count: 7 }) });
    await store.put(`${queue.dir}/queue.json`, JSON.stringify({ version: 1, chunks: 1, createdAtMs: 0, createdBy: 'old' }), { ifNoneMatch: '*' });
    await expect(queue.run(async () => {})).resolves.toMatchObject({ completed: [0] });
  });
});
