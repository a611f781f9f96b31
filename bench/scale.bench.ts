/**
 * Scale (issue 20, section 3): how time and memory grow with size, a row per
 * size in 10x steps, each against the row below it (ratio = how much worse
 * than linear: 1 = per-item cost unchanged, < 1 = it grows faster than the size):
 *
 * - a checkpoint line of 10 / 100 / 1,000 saves with retention (keep 3: each
 *   save prunes the oldest), small inline state, on the S3 server;
 * - freezing a shard plan of 10,000 / 100,000 / 1,000,000 objects on the
 *   memory store, and of 1,000 / 10,000 objects on the S3 server (seeding
 *   1,000,000 objects there is beyond this benchmark's time: the sharding
 *   benchmark measures 100,000 on MinIO);
 * - a work queue of 100 / 1,000 / 10,000 chunks drained by 16 workers (16
 *   WorkQueue instances in this process, each its own worker id), handlers empty;
 * - an idempotency batch (runMany) of 1,000 / 10,000 / 100,000 keys on the
 *   memory store and on the S3 server (100,000 there: about 4 minutes).
 *
 * Memory: the peak of heapUsed + arrayBuffers above the level before the row,
 * sampled every 10 ms (process RSS rarely shrinks between rows).
 * SCALE_MAX=<n> drops the rows above n items (quick runs); SCALE_QUEUE_CHUNKS=100,1000
 * sets the work-queue sizes.
 *
 * `node bench/scale.bench.ts`
 */
import { randomUUID } from 'node:crypto';
import { createCheckpointer } from '../src/checkpoint/checkpointer.ts';
import { createIdempotency } from '../src/idempotency/index.ts';
import type { JobIdentity } from '../src/runtime/types.ts';
import { freezeShardPlan } from '../src/sharding/plan.ts';
import { createWorkQueue } from '../src/sharding/work-queue.ts';
import { MemoryStore } from '../src/store/memory.ts';
import { S3Store } from '../src/store/s3.ts';
import type { ObjectStore } from '../src/store/types.ts';
import { setup, teardown } from '../test/setup/services.ts';
import { type BenchFigure, load, msSince, round, s3Server, writeResults } from './lib.ts';

const MAX = Number(process.env.SCALE_MAX ?? Number.POSITIVE_INFINITY);
const identity = (index = 0, count = 1): JobIdentity => ({
  platform: 'local', jobName: `scale-${randomUUID().slice(0, 8)}`, namespace: 'bench', podName: undefined, podUid: undefined,
  nodeName: undefined, index, count, attempt: 0,
});
const figures: BenchFigure[] = [];

/** Runs `fn`, returning its ms and the peak of heapUsed + arrayBuffers above the start, in MiB. */
async function measured(fn: () => Promise<void>): Promise<{ ms: number; peakMiB: number }> {
  global.gc?.();
  const used = (): number => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  const base = used();
  let peak = 0;
  const sampler = setInterval(() => {
    peak = Math.max(peak, used() - base);
  }, 10);
  const t = process.hrtime.bigint();
  await fn();
  const ms = msSince(t);
  clearInterval(sampler);
  peak = Math.max(peak, used() - base);
  return { ms, peakMiB: peak / 2 ** 20 };
}

/** One row per size; each row's ratio compares its time per item with the previous row's. */
async function rows(what: string, unit: string, sizes: readonly number[], server: string | undefined, run: (n: number) => Promise<void>, note: string): Promise<void> {
  let previous: { n: number; ms: number } | undefined;
  for (const n of sizes.filter((s) => s <= MAX)) {
    const { ms, peakMiB } = await measured(() => run(n));
    const perItem = ms / n;
    figures.push({
      name: `${what}: ${n.toLocaleString('en-US')} ${unit}`,
      value: round(ms), unit: 'ms',
      ...(previous === undefined ? {} : { baseline: round((previous.ms / previous.n) * n), baselineName: `${previous.n.toLocaleString('en-US')} ${unit} scaled linearly`, ratio: round(((previous.ms / previous.n) * n) / ms) }),
      ...(server === undefined ? {} : { server }),
      load: load(),
      note: `${round(perItem * 1000)} µs per ${unit.replace(/s$/, '')}; peak memory +${round(peakMiB)} MiB (heap + array buffers); ${note}`,
    });
    console.log(`scale: ${what} ${n}: ${Math.round(ms)} ms, +${round(peakMiB)} MiB`);
    previous = { n, ms };
  }
}

async function seed(store: ObjectStore, n: number): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < n) {
        const i = next++;
        await store.put(`input/part-${String(i).padStart(7, '0')}.json`, `{"n":${i}}`);
      }
    }),
  );
}

const ownServers = process.env.JOBKIT_TEST_S3_ENDPOINT === undefined;
if (ownServers) await setup();
try {
  const server = s3Server();
  const s3 = (prefix: string): S3Store =>
    new S3Store({ bucket: process.env.JOBKIT_TEST_S3_BUCKET!, prefix: `bench-scale/${prefix}-${randomUUID()}`, endpoint: process.env.JOBKIT_TEST_S3_ENDPOINT!, region: 'us-east-1', forcePathStyle: true, maxSockets: 64 });

  await rows('checkpoint line with retention (keep 3)', 'saves', [10, 100, 1000], server, async (n) => {
    const store = s3('checkpoint');
    const cp = createCheckpointer<{ step: number; cursor: string }>({ store, identity: identity(), keep: 3 });
    for (let i = 0; i < n; i++) await cp.save({ step: i, cursor: `row-${i}` });
    await cp.close();
    await store.close();
  }, 'save() one after another, inline state, each save commits and prunes');

  for (const [label, sizes, storeOf] of [
    ['memory store', [10_000, 100_000, 1_000_000], () => new MemoryStore()],
    [server, [1_000, 10_000], () => s3('plan')],
  ] as const) {
    const onS3 = storeOf !== undefined && label === server;
    const stores = new Map<number, ObjectStore>();
    for (const n of sizes.filter((s) => s <= MAX)) {
      const store = storeOf();
      await seed(store, n);
      stores.set(n, store);
    }
    await rows(`freeze a shard plan (${onS3 ? 'S3' : 'memory store'}, 16 shards)`, 'objects', sizes, onS3 ? server : undefined, async (n) => {
      const plan = await freezeShardPlan({ store: stores.get(n)!, identity: identity(0, 16), prefix: 'input/' });
      if (plan.manifest.objects !== n) throw new Error(`plan of ${plan.manifest.objects} objects, seeded ${n}`);
    }, 'list, sort, assign and write the plan pages and manifest (seeding not counted)');
    for (const store of stores.values()) await store.close();
  }

  const queueSizes = (process.env.SCALE_QUEUE_CHUNKS ?? '100,1000,10000').split(',').map(Number);
  await rows('work queue drained by 16 workers', 'chunks', queueSizes, server, async (n) => {
    const store = s3('queue');
    const id = identity();
    const workers = Array.from({ length: 16 }, (_, w) =>
      createWorkQueue({ store, identity: { ...id, index: w, count: 16 }, chunks: n, workerId: `worker-${w}`, pollMs: 50 }),
    );
    const summaries = await Promise.all(workers.map(async (q) => await q.run(() => Promise.resolve())));
    const done = summaries.reduce((sum, s) => sum + s.completed.length, 0);
    if (done !== n) throw new Error(`work queue: ${done} chunks completed, expected ${n}`);
    await store.close();
  }, 'empty handlers: the claim, complete and scan requests alone');

  for (const [label, sizes] of [
    ['memory store', [1_000, 10_000, 100_000]],
    ['S3', [1_000, 10_000, 100_000]],
  ] as const) {
    await rows(`idempotency runMany (${label}, concurrency 32)`, 'keys', sizes, label === 'S3' ? server : undefined, async (n) => {
      const store = label === 'S3' ? s3('idem') : new MemoryStore();
      const ledger = createIdempotency({ store, scope: `scale-${randomUUID()}` });
      const keys = Array.from({ length: n }, (_, i) => i);
      const results = await ledger.runMany(keys, (i) => `key-${i}`, (i) => i, { concurrency: 32 });
      if (results.length !== n) throw new Error('runMany returned too few results');
      await store.close();
    }, 'fresh keys: a claim and a completion each');
  }
} finally {
  if (ownServers) await teardown();
}
writeResults('scale', figures);
