/**
 * Sharding benchmarks, each against a baseline measured in the same run:
 * 1. keys per second assigned by the hash strategy (FNV-1a 64 + fmix64 + jump
 *    consistent hash) over 10 million keys, vs a bare loop computing a 32-bit
 *    FNV-1a string hash modulo the count (not stable under count changes);
 * 2. listing and freezing a plan of 100,000 objects on the memory store, vs
 *    listing them (the planning cost itself: sort, assign, pages, checksums);
 * 3. listing and freezing a plan of N objects on the local S3 server (MinIO;
 *    moto in the second column), vs a
 *    raw ListObjectsV2 loop over the same prefix; and a second index reading its
 *    shard from the frozen plan, vs listing the prefix again. N is 100,000 on MinIO
 *    (target: <= 1.5x the raw listing); moto stores about 100 objects/s here,
 *    so seeding 100,000 objects would take over 15 minutes: N is 2,000 there.
 *
 * `node bench/sharding.bench.ts` (SHARDING_BENCH_OBJECTS overrides N).
 */
import { randomUUID } from 'node:crypto';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { JobIdentity } from '../src/runtime/types.ts';
import { shardOfKey } from '../src/sharding/hash.ts';
import { freezeShardPlan } from '../src/sharding/plan.ts';
import { MemoryStore } from '../src/store/memory.ts';
import { S3Store } from '../src/store/s3.ts';
import { setup, teardown } from '../test/setup/services.ts';
import { type BenchFigure, higherIsBetter, lowerIsBetter, median, motoColumn, msSince, round, s3Server, writeResults } from './lib.ts';

const figures: BenchFigure[] = [];
const benchIdentity = (index: number): JobIdentity => ({
  platform: 'local', jobName: 'bench', namespace: 'default', podName: undefined, podUid: undefined,
  nodeName: undefined, index, count: 16, attempt: 0,
});

// ---- 1. hash assignment throughput ------------------------------------------
const KEY_POOL = 1_000_000;
const TOTAL_KEYS = 10_000_000;
const COUNT = 1_000;
const keys = Array.from({ length: KEY_POOL }, (_, i) => `s3://datalake/events/dt=2026-11-${(i % 30) + 1}/part-${i}.parquet`);

function fnv1a32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

function timeKeysPerSecond(assign: (key: string) => number, total = TOTAL_KEYS): number {
  let sink = 0;
  const start = process.hrtime.bigint();
  for (let done = 0; done < total; done += KEY_POOL) for (let i = 0; i < KEY_POOL; i++) sink += assign(keys[i]!);
  const ms = msSince(start);
  if (sink === -1) console.log(sink); // keeps the loop observable
  return total / (ms / 1000);
}

// Hash and memory-store figures once, in the MinIO run (the moto run is the S3 figures' second column).
if (!motoColumn()) {
  timeKeysPerSecond((k) => fnv1a32(k) % COUNT, KEY_POOL); // warm-up
  timeKeysPerSecond((k) => shardOfKey(k, COUNT), KEY_POOL);
  const jkRuns: number[] = [];
  const baseRuns: number[] = [];
  for (let run = 0; run < 2; run++) {
    baseRuns.push(timeKeysPerSecond((k) => fnv1a32(k) % COUNT));
    jkRuns.push(timeKeysPerSecond((k) => shardOfKey(k, COUNT)));
  }
  const jk = median(jkRuns);
  const base = median(baseRuns);
  figures.push({
    name: `hash strategy: keys assigned per second (10M keys, count ${COUNT})`,
    value: round(jk),
    unit: 'keys/s',
    baseline: round(base),
    baselineName: 'bare loop: FNV-1a 32 % count',
    ratio: higherIsBetter(jk, base),
    note: 'mean of 2 runs after a warm-up; jobkit computes a 64-bit hash and jump consistent hash (stable across count changes)',
  });
}
keys.length = 0;

// ---- 2. planning 100,000 objects (memory store) ------------------------------
if (!motoColumn()) {
  const MEMORY_OBJECTS = 100_000;
  const store = new MemoryStore();
  for (let i = 0; i < MEMORY_OBJECTS; i++) await store.put(`input/part-${String(i).padStart(7, '0')}.json`, `{"n":${i}}`);
  let t = process.hrtime.bigint();
  let listed = 0;
  for await (const _ of store.list('input/')) listed++;
  const listMs = msSince(t);
  t = process.hrtime.bigint();
  const plan = await freezeShardPlan({ store, identity: benchIdentity(0), prefix: 'input/' });
  const freezeMs = msSince(t);
  if (plan.manifest.objects !== listed) throw new Error(`plan holds ${plan.manifest.objects} objects, listed ${listed}`);
  figures.push({
    name: `list and freeze a plan of ${MEMORY_OBJECTS} objects (memory store, 16 shards, weighted)`,
    value: round(freezeMs),
    unit: 'ms',
    baseline: round(listMs),
    baselineName: 'listing the same objects',
    ratio: lowerIsBetter(freezeMs, listMs),
    note: `${plan.manifest.pageCount} pages of 5,000 entries; readers hold one page (plus one prefetched) at a time`,
  });
}

// ---- 3. listing and planning on the S3 server -----------------------------------------
const OBJECTS = Number(process.env.SHARDING_BENCH_OBJECTS ?? (motoColumn() ? 2_000 : 100_000));
const startedServers = process.env.JOBKIT_TEST_S3_ENDPOINT === undefined;
if (startedServers) await setup();
try {
  const endpoint = process.env.JOBKIT_TEST_S3_ENDPOINT!;
  const bucket = process.env.JOBKIT_TEST_S3_BUCKET!;
  const root = `bench-sharding/${randomUUID()}`;
  const store = new S3Store({ bucket, prefix: root, endpoint, region: 'us-east-1', forcePathStyle: true, maxSockets: 64 });

  const seedStart = process.hrtime.bigint();
  let next = 0;
  const seeder = async (): Promise<void> => {
    while (next < OBJECTS) {
      const i = next++;
      await store.put(`input/part-${String(i).padStart(7, '0')}.json`, `{"n":${i}}`);
    }
  };
  await Promise.all(Array.from({ length: 32 }, seeder));
  const seedMs = msSince(seedStart);
  console.log(`seeded ${OBJECTS} objects in ${round(seedMs / 1000)} s`);

  const client = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true });
  const rawList = async (): Promise<number> => {
    let n = 0;
    let token: string | undefined;
    do {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${root}/input/`, ContinuationToken: token }));
      n += page.KeyCount ?? 0;
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
    return n;
  };

  let t = process.hrtime.bigint();
  const listed = await rawList();
  const rawMs = msSince(t);
  if (listed !== OBJECTS) throw new Error(`raw listing saw ${listed} objects, expected ${OBJECTS}`);

  t = process.hrtime.bigint();
  const plan = await freezeShardPlan({ store, identity: benchIdentity(0), prefix: 'input/' });
  const freezeMs = msSince(t);
  if (plan.manifest.objects !== OBJECTS) throw new Error(`plan holds ${plan.manifest.objects} objects, expected ${OBJECTS}`);
  figures.push({
    name: `list and freeze a plan of ${OBJECTS} objects on S3 (16 shards, weighted)`,
    key: 'list and freeze a plan on S3',
    server: s3Server(),
    target: '>= 0.667 (<= 1.5x the raw listing)',
    value: round(freezeMs),
    unit: 'ms',
    baseline: round(rawMs),
    baselineName: 'raw ListObjectsV2 loop (list only)',
    ratio: lowerIsBetter(freezeMs, rawMs),
    note: `the plan adds sorting, assignment and ${plan.manifest.pageCount} page writes + 1 conditional manifest write; seeding took ${round(seedMs / 1000)} s`,
  });

  // Another index (another pod, its own client) reads its shard from the frozen plan instead of listing.
  const reader = new S3Store({ bucket, prefix: root, endpoint, region: 'us-east-1', forcePathStyle: true });
  t = process.hrtime.bigint();
  const other = await freezeShardPlan({ store: reader, identity: benchIdentity(7), prefix: 'input/' });
  let mine = 0;
  for await (const _ of other.shard(7)) mine++;
  const readMs = msSince(t);
  t = process.hrtime.bigint();
  await rawList();
  const relistMs = msSince(t);
  figures.push({
    name: `another index reads its shard (${mine} objects) from the frozen plan`,
    key: 'another index reads its shard from the frozen plan',
    server: s3Server(),
    value: round(readMs),
    unit: 'ms',
    baseline: round(relistMs),
    baselineName: 'raw ListObjectsV2 loop (listing again)',
    ratio: lowerIsBetter(readMs, relistMs),
  });
  client.destroy();
  await reader.close();
  await store.close();
} finally {
  if (startedServers) await teardown();
}

writeResults('sharding', figures);
