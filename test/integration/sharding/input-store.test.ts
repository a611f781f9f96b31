import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../../src/runtime/errors.ts';
import type { JobIdentity } from '../../../src/runtime/types.ts';
import { createShardHelpers } from '../../../src/sharding/helpers.ts';
import { createWorkQueue } from '../../../src/sharding/work-queue.ts';
import { S3Store } from '../../../src/store/s3.ts';
import type { ObjectStore } from '../../../src/store/types.ts';

const endpoint = process.env.JOBKIT_TEST_S3_ENDPOINT!;
const stateBucket = process.env.JOBKIT_TEST_S3_BUCKET!;
// A bucket of its own: the "data lake" the job may only read.
const inputBucket = `jobkit-raw-${randomUUID().slice(0, 8)}`;
const s3Options = { endpoint, region: 'us-east-1', forcePathStyle: true };
const client = new S3Client({ ...s3Options });
const stores: S3Store[] = [];
const day = 'events/2026-12-01/';
const inputKeys = Array.from({ length: 30 }, (_, i) => `${day}part-${String(i).padStart(4, '0')}.json`);

beforeAll(async () => {
  await client.send(new CreateBucketCommand({ Bucket: inputBucket }));
  // Another day's objects, which the plan of `day` must not include.
  const others = ['events/2026-12-02/part-0000.json', 'events/2026-12-010/part-0000.json'];
  for (const [i, key] of [...inputKeys, ...others].entries()) {
    await client.send(new PutObjectCommand({ Bucket: inputBucket, Key: key, Body: 'x'.repeat(1 + i) }));
  }
});

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  client.destroy();
});

function stateStore(root: string): S3Store {
  const store = new S3Store({ bucket: stateBucket, prefix: root, ...s3Options });
  stores.push(store);
  return store;
}

function identity(index: number, count: number): JobIdentity {
  return {
    platform: 'kubernetes', jobName: 'events', namespace: 'data', podName: `events-${index}-abcde`, podUid: undefined,
    nodeName: undefined, index, count, attempt: 0,
  };
}

async function inputBucketKeys(): Promise<string[]> {
  const res = await client.send(new ListObjectsV2Command({ Bucket: inputBucket }));
  return (res.Contents ?? []).map((c) => c.Key!).sort();
}

describe('shard plans of an input bucket other than the state store (moto)', () => {
  it('job.shard.objects(s3://<input bucket>/<day>/): every index lists its share, the plan is in the state bucket, the input bucket is untouched', async () => {
    const root = `sharding-input-it/${randomUUID()}`;
    const url = `s3://${inputBucket}/${day}`;
    const before = await inputBucketKeys();
    const count = 3;
    const seen: string[] = [];
    for (let index = 0; index < count; index++) {
      const shard = createShardHelpers({ identity: identity(index, count), store: stateStore(root) });
      const files = await shard.objects(url, { inputOptions: { s3: s3Options }, pageSize: 4 });
      for await (const file of files) seen.push(file.key);
    }
    // Keys are relative to the input store's root (the URL), in the day only.
    expect(seen.sort()).toEqual(inputKeys.map((k) => k.slice(day.length)));
    expect(await inputBucketKeys()).toEqual(before);

    const planKeys: string[] = [];
    for await (const info of stateStore(root).list('')) planKeys.push(info.key);
    expect(planKeys.length).toBeGreaterThan(1);
    expect(planKeys.every((k) => k.startsWith('jobs/data/events/shard-plans/input%3As3'))).toBe(true);
  });

  it('an S3Store input is only read (no put, putStream, delete or probe), and a pod of another JOBKIT_COUNT is refused', async () => {
    const root = `sharding-input-it/${randomUUID()}`;
    const raw = new S3Store({ bucket: inputBucket, ...s3Options });
    stores.push(raw);
    const writes: string[] = [];
    const input: ObjectStore = new Proxy(raw, {
      get(target, prop, receiver): unknown {
        const value: unknown = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (['put', 'putStream', 'delete', 'capabilities', 'abortIncompleteUploads'].includes(String(prop))) writes.push(String(prop));
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    const plans = await Promise.all(
      [0, 1].map((index) => createShardHelpers({ identity: identity(index, 2), store: stateStore(root) }).plan(day, { input, name: 'chunks', count: 6 })),
    );
    expect(new Set(plans.map((p) => p.manifest.planId)).size).toBe(1);
    expect(plans[0]!.manifest).toMatchObject({ input: `s3://${inputBucket}`, prefix: day, objects: inputKeys.length, jobCount: 2 });
    expect(writes).toEqual([]);

    const other = createShardHelpers({ identity: identity(0, 5), store: stateStore(root) });
    const err: unknown = await other.plan(day, { input, name: 'chunks', count: 6 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toMatch(/job count 2 .*job count 5/);
  });

  it('a work queue in the state bucket refuses a worker of another JOBKIT_COUNT', async () => {
    const root = `sharding-input-it/${randomUUID()}`;
    const options = { chunks: 2, leaseMs: 1_000, renewEveryMs: 200, pollMs: 50 };
    await createWorkQueue({ ...options, store: stateStore(root), identity: identity(0, 2) }).run(async () => {});
    const err: unknown = await createWorkQueue({ ...options, store: stateStore(root), identity: identity(0, 4) })
      .run(async () => {})
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toMatch(/job count 2 .*job count 4/);
  });

  it('a malformed input URL is a ConfigurationError naming it', async () => {
    const shard = createShardHelpers({ identity: identity(0, 1), store: stateStore(`sharding-input-it/${randomUUID()}`) });
    await expect(shard.objects(`s3://${inputBucket}/events/%zz/`, { inputOptions: { s3: s3Options } })).rejects.toThrow(
      /shard input store "s3:\/\/jobkit-raw-.*\/events\/%zz\/" cannot be opened/,
    );
  });
});
