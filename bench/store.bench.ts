/**
 * Object-store benchmarks, each against a baseline measured in the same run:
 * 1. fs store, create-only put of 1 KiB objects (fsync on), vs the bare
 *    durable-write recipe it is built on (write temp + fsync + rename + fsync dir);
 * 2. fs store, compare-and-swap put (the per-key lock path), same baseline;
 * 3. S3 store on the local S3 server (MinIO; moto in the second column), conditional put of 1 KiB objects, vs
 *    the raw SDK PutObjectCommand with the same header, sequentially;
 * 4. S3 store streamed upload of 64 MiB (8 MiB parts, 4 in flight), vs
 *    @aws-sdk/lib-storage Upload with the same part size and queue size:
 *    throughput, and peak ArrayBuffer memory above the idle level (sampled).
 * Each figure is a median over alternating rounds of subject and baseline.
 * On moto (one Python process on this 2-core machine) the S3 figures show
 * jobkit's overhead on top of a slow server; MinIO is the fast one.
 *
 * `node bench/store.bench.ts`
 */
import { randomUUID } from 'node:crypto';
import { mkdir, mkdtemp, open, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { FsStore } from '../src/store/fs.ts';
import { S3Store } from '../src/store/s3.ts';
import { setup, teardown } from '../test/setup/services.ts';
import { type BenchFigure, higherIsBetter, lowerIsBetter, median, motoColumn, msSince, s3Server, writeResults } from './lib.ts';

const figures: BenchFigure[] = [];
const body = Buffer.alloc(1024, 7);

async function opsPerSecond(n: number, op: (i: number) => Promise<unknown>, offset = 0): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await op(offset + i);
  return n / (msSince(start) / 1000);
}

/**
 * Median ops/s of `subject` and `baseline`, measured in alternating rounds so
 * that drift in the machine's load (2 shared cores) hits both alike.
 */
async function interleaved(
  rounds: number,
  perRound: number,
  subject: (i: number) => Promise<unknown>,
  baseline: (i: number) => Promise<unknown>,
): Promise<{ value: number; baseline: number }> {
  await opsPerSecond(10, (i) => subject(-1 - i));
  await opsPerSecond(10, (i) => baseline(-1 - i));
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    theirs.push(await opsPerSecond(perRound, baseline, r * perRound));
    ours.push(await opsPerSecond(perRound, subject, r * perRound));
  }
  return { value: median(ours), baseline: median(theirs) };
}

// ---- 1 & 2. fs store ---------------------------------------------------------
async function syncDir(dir: string): Promise<void> {
  const h = await open(dir, 'r');
  await h.sync();
  await h.close();
}

// fs figures once, in the MinIO run (the moto run is the S3 figures' second column).
if (!motoColumn()) {
  const root = await mkdtemp(join(tmpdir(), 'jobkit-bench-fs-'));
  const rawDir = join(root, 'raw');
  await mkdir(rawDir);
  const bare = async (i: number): Promise<void> => {
    const temp = join(rawDir, `.tmp-${i}`);
    const h = await open(temp, 'wx');
    await h.write(body);
    await h.sync();
    await h.close();
    await rename(temp, join(rawDir, `obj-${i}`));
    await syncDir(rawDir);
  };
  const store = new FsStore(join(root, 'store'));
  const create = await interleaved(5, 100, (i) => store.put(`bench/obj-${i}`, body, { ifNoneMatch: '*' }), bare);
  figures.push({
    name: 'fs store: create-only put, 1 KiB, fsync',
    value: create.value,
    unit: 'ops/s',
    baseline: create.baseline,
    baselineName: 'bare temp+fsync+rename+fsync dir',
    ratio: higherIsBetter(create.value, create.baseline),
  });
  let etag = (await store.put('bench/cas', '0')).etag;
  const cas = await interleaved(
    5,
    100,
    async (i) => {
      etag = (await store.put('bench/cas', String(i), { ifMatch: etag })).etag;
    },
    (i) => bare(10_000 + i),
  );
  figures.push({
    name: 'fs store: compare-and-swap put, 1 KiB, fsync (per-key lock)',
    value: cas.value,
    unit: 'ops/s',
    baseline: cas.baseline,
    baselineName: 'bare temp+fsync+rename+fsync dir',
    ratio: higherIsBetter(cas.value, cas.baseline),
  });
  await rm(root, { recursive: true, force: true });
}

// ---- 3 & 4. S3 store on the S3 server ---------------------------------------------------
const ownServers = process.env.JOBKIT_TEST_S3_ENDPOINT === undefined;
if (ownServers) await setup();
try {
  const endpoint = process.env.JOBKIT_TEST_S3_ENDPOINT!;
  const bucket = process.env.JOBKIT_TEST_S3_BUCKET!;
  const prefix = `bench-${randomUUID()}`;
  const raw = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true });
  const store = new S3Store({ bucket, prefix, endpoint, region: 'us-east-1' });
  await store.capabilities(); // the one-time probe is not part of the steady state

  const put = await interleaved(
    5,
    60,
    (i) => store.put(`small/${i}`, body, { ifNoneMatch: '*' }),
    (i) => raw.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/raw/${i}`, Body: body, IfNoneMatch: '*' })),
  );
  figures.push({
    name: 'S3 store: create-only put, 1 KiB',
    server: s3Server(),
    value: put.value,
    unit: 'ops/s',
    baseline: put.baseline,
    baselineName: 'raw SDK PutObjectCommand with If-None-Match',
    ratio: higherIsBetter(put.value, put.baseline),
  });

  const size = 64 * 1024 * 1024;
  const partSize = 8 * 1024 * 1024;
  const queueSize = 4;
  const source = (): Readable =>
    Readable.from(
      (function* () {
        for (let sent = 0; sent < size; sent += 256 * 1024) yield Buffer.alloc(256 * 1024, sent & 0xff);
      })(),
    );
  /** Run `upload`, sampling ArrayBuffer memory above the level before it started. */
  async function measured(upload: () => Promise<unknown>): Promise<{ mbps: number; peakMiB: number }> {
    global.gc?.();
    const idle = process.memoryUsage().arrayBuffers;
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers - idle);
    }, 5);
    const start = process.hrtime.bigint();
    await upload();
    const ms = msSince(start);
    clearInterval(sampler);
    return { mbps: size / 1e6 / (ms / 1000), peakMiB: peak / 2 ** 20 };
  }
  const runs: { ours: { mbps: number; peakMiB: number }; lib: { mbps: number; peakMiB: number } }[] = [];
  for (let round = 0; round < 3; round++) {
    const lib = await measured(() =>
      new Upload({ client: raw, params: { Bucket: bucket, Key: `${prefix}/lib-storage`, Body: source() }, partSize, queueSize }).done(),
    );
    const ours = await measured(() => store.putStream(`stream-${round}`, source(), { partSize, concurrency: queueSize, ifNoneMatch: '*' }));
    runs.push({ ours, lib });
  }
  const ours = { mbps: median(runs.map((r) => r.ours.mbps)), peakMiB: median(runs.map((r) => r.ours.peakMiB)) };
  const libStorage = { mbps: median(runs.map((r) => r.lib.mbps)), peakMiB: median(runs.map((r) => r.lib.peakMiB)) };
  figures.push({
    name: 'S3 store: streamed upload 64 MiB, 8 MiB parts x 4',
    server: s3Server(),
    value: ours.mbps,
    unit: 'MB/s',
    baseline: libStorage.mbps,
    baselineName: '@aws-sdk/lib-storage Upload, same parts',
    ratio: higherIsBetter(ours.mbps, libStorage.mbps),
  });
  figures.push({
    name: 'S3 store: peak buffer memory of that upload',
    server: s3Server(),
    value: ours.peakMiB,
    unit: 'MiB',
    baseline: libStorage.peakMiB,
    baselineName: '@aws-sdk/lib-storage Upload, same parts',
    ratio: lowerIsBetter(ours.peakMiB, libStorage.peakMiB),
    note: `bound: (concurrency + 1) x partSize = ${(queueSize + 1) * (partSize / 2 ** 20)} MiB; sampled every 5 ms`,
  });
  await store.close();
  raw.destroy();
} finally {
  if (ownServers) await teardown();
}

writeResults('store', figures);
