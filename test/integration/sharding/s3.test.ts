import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import type { JobIdentity } from '../../../src/runtime/types.ts';
import { type FrozenShardPlan, type PlannedObject, freezeShardPlan } from '../../../src/sharding/plan.ts';
import { createWorkQueue } from '../../../src/sharding/work-queue.ts';
import { S3Store } from '../../../src/store/s3.ts';
import { storedPlan } from '../../support/stored-plan.ts';

const stores: S3Store[] = [];
afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
});

/** A store of its own (own client and sockets), as each pod has. */
function podStore(root: string): S3Store {
  const store = new S3Store({
    bucket: process.env.JOBKIT_TEST_S3_BUCKET!,
    prefix: root,
    endpoint: process.env.JOBKIT_TEST_S3_ENDPOINT!,
    region: 'us-east-1',
    forcePathStyle: true,
  });
  stores.push(store);
  return store;
}

function identity(index: number, count: number): JobIdentity {
  return {
    platform: 'kubernetes', jobName: 'backfill', namespace: 'data', podName: `backfill-${index}-abcde`, podUid: undefined,
    nodeName: undefined, index, count, attempt: 0,
  };
}

async function seed(store: S3Store, from: number, n: number): Promise<void> {
  const keys = Array.from({ length: n }, (_, i) => `input/day=01/part-${String(from + i).padStart(5, '0')}.parquet`);
  for (let i = 0; i < keys.length; i += 16) {
    await Promise.all(keys.slice(i, i + 16).map((k, j) => store.put(k, 'x'.repeat(1 + ((from + i + j) % 97)))));
  }
}

async function shardKeys(plan: FrozenShardPlan, index: number): Promise<string[]> {
  const out: PlannedObject[] = [];
  for await (const o of plan.shard(index)) out.push(o);
  return out.map((o) => o.key);
}

describe('frozen plans on S3 (moto)', () => {
  it('every index works from the same listing although objects are added between listings', async () => {
    const root = `sharding-it/${randomUUID()}`;
    const count = 4;
    await seed(podStore(root), 0, 120);

    // Index 2 lists first; then a producer adds objects; then the other indexes start.
    const first = await freezeShardPlan({ store: podStore(root), identity: identity(2, count), prefix: 'input/', pageSize: 25 });
    await seed(podStore(root), 120, 40);
    const plans = [first];
    for (const index of [0, 1, 3]) {
      plans.push(await freezeShardPlan({ store: podStore(root), identity: identity(index, count), prefix: 'input/', pageSize: 25 }));
    }
    expect(new Set(plans.map((p) => p.manifest.planId))).toEqual(new Set([first.manifest.planId]));
    expect(first.manifest.objects).toBe(120);

    const all: string[] = [];
    for (let index = 0; index < count; index++) all.push(...(await shardKeys(plans[index]!, index)));
    expect(all).toHaveLength(120);
    expect(new Set(all).size).toBe(120);
    expect(all.every((k) => Number(/part-(\d+)/.exec(k)![1]) < 120)).toBe(true);
  });

  it('indexes racing to freeze while a producer writes all adopt the one plan that won', async () => {
    const root = `sharding-it/${randomUUID()}`;
    const count = 5;
    await seed(podStore(root), 0, 80);
    const producer = seed(podStore(root), 80, 60);
    const plans = await Promise.all(
      Array.from({ length: count }, (_, index) =>
        freezeShardPlan({ store: podStore(root), identity: identity(index, count), prefix: 'input/', strategy: 'hash', pageSize: 10 }),
      ),
    );
    await producer;
    expect(new Set(plans.map((p) => p.manifest.planId)).size).toBe(1);

    const all: string[] = [];
    for (let index = 0; index < count; index++) all.push(...(await shardKeys(plans[index]!, index)));
    expect(new Set(all).size).toBe(all.length);
    expect(all.length).toBe(plans[0]!.manifest.objects);
    expect(all.length).toBeGreaterThanOrEqual(80);
    // Only the winner's pages remain: the losers cleaned up.
    const pages: string[] = [];
    for await (const info of podStore(root).list('jobs/data/backfill/shard-plans/')) if (info.key.includes('/pages/')) pages.push(info.key);
    expect(pages.sort()).toEqual((await storedPlan(podStore(root), plans[0]!)).pages.map((p) => p.key).sort());
  });
});

describe('work queue on S3 (moto)', () => {
  it('three workers complete every chunk exactly once and take over an abandoned lease', async () => {
    const root = `sharding-it/${randomUUID()}`;
    const chunks = 12;
    const options = { identity: identity(0, 1), chunks, leaseMs: 1_000, renewEveryMs: 200, pollMs: 50 };
    // A worker that claims a chunk and dies without renewing it.
    const abandoned = createWorkQueue({ ...options, store: podStore(root), workerId: 'dead' });
    await podStore(root).put(
      abandoned.chunkKey(5),
      JSON.stringify({
        version: 1, chunk: 5, state: 'leased', owner: 'dead', attempt: 1, failures: 0, leaseMs: 1_000,
        leasedAtMs: Date.now(), renewedAtMs: Date.now(), expiresAtMs: Date.now() + 1_000,
      }),
      { ifNoneMatch: '*' },
    );
    const runs = new Map<number, number>();
    const summaries = await Promise.all(
      ['a', 'b', 'c'].map((id) =>
        createWorkQueue({ ...options, store: podStore(root), workerId: id }).run(async ({ chunk }) => {
          runs.set(chunk, (runs.get(chunk) ?? 0) + 1);
          await new Promise((r) => setTimeout(r, 20));
        }),
      ),
    );
    expect(summaries.flatMap((s) => s.completed).sort((a, b) => a - b)).toEqual(Array.from({ length: chunks }, (_, i) => i));
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(summaries.flatMap((s) => s.takenOver)).toEqual([5]);
    const status = await abandoned.status();
    expect(status.get(5)).toMatchObject({ state: 'done', attempt: 2, takenOverFrom: 'dead' });
  });
});
