/**
 * Checkpoint benchmark (`node bench/checkpoint.bench.ts`), against the local
 * S3-compatible server of the test setup (started here when not running):
 *
 * - save and load throughput of 64 MiB / 256 MiB / 1 GiB parts vs raw
 *   @aws-sdk/lib-storage Upload with the same part size and concurrency as
 *   the checkpointer's (16 MiB x 4), and GetObject of the same bytes in the
 *   same run, and load vs the same verified restore written by hand
 *   (GetObject, sha256, spool), the like-for-like baseline; median of 3;
 * - time from SIGTERM to a durable final checkpoint and exit, with 256 MiB of
 *   unsaved state, in a real child process under runJob, vs a raw Upload of
 *   256 MiB (same parts) in the same run; median of 3;
 * - peak RSS of a child saving a 4 GiB streamed part vs a child doing a raw
 *   lib-storage Upload of the same stream with the same parts;
 * - checksum throughput (sha256 vs zlib.crc32) that decides the default.
 *
 * On MinIO (the benchmarks' server) all sizes; on moto (the second column)
 * BENCH_SIZES_MIB defaults to 64,256 and the streamed part to 1 GiB (moto
 * takes minutes per GiB). BENCH_SIZES_MIB / BENCH_RSS_MIB override.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createCheckpointer } from '../src/checkpoint/checkpointer.ts';
import { CHECKPOINT_DEFAULTS } from '../src/checkpoint/constants.ts';
import { createHasher } from '../src/checkpoint/checksum.ts';
import type { JobIdentity } from '../src/runtime/types.ts';
import { runJob } from '../src/job/run-job.ts';
import { openStore } from '../src/store/open.ts';
import { S3Store } from '../src/store/s3.ts';
import { type BenchFigure, higherIsBetter, load, lowerIsBetter, median, motoColumn, msSince, round, s3Server, writeResults } from './lib.ts';

/** The checkpointer's multipart shape, which the raw Upload baselines use too. */
const partSize = CHECKPOINT_DEFAULTS.partSize;
const queueSize = CHECKPOINT_DEFAULTS.concurrency;
/** Unsaved state at SIGTERM. */
const SIGTERM_BYTES = 256 * 2 ** 20;

const MiB = 2 ** 20;
const SELF = fileURLToPath(import.meta.url);
const identity: JobIdentity = {
  platform: 'kubernetes', jobName: 'bench', namespace: 'bench', podName: 'bench-0', podUid: undefined,
  nodeName: undefined, index: 0, count: 1, attempt: 0,
};

function bucket(): string {
  return process.env.JOBKIT_TEST_S3_BUCKET!;
}

function s3Store(prefix: string): S3Store {
  return new S3Store({ bucket: bucket(), prefix, endpoint: process.env.JOBKIT_TEST_S3_ENDPOINT!, region: 'us-east-1', forcePathStyle: true });
}

function rawClient(): S3Client {
  return new S3Client({ endpoint: process.env.JOBKIT_TEST_S3_ENDPOINT!, region: 'us-east-1', forcePathStyle: true });
}

function filled(size: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let off = 0; off < size; off += MiB) b.fill((seed + off / MiB) & 0xff, off, Math.min(size, off + MiB));
  return b;
}

/** A stream of `size` bytes in 1 MiB chunks that never holds more than one chunk. */
function generated(size: number): Readable {
  const chunk = filled(MiB, 7);
  return Readable.from(
    (function* () {
      for (let sent = 0; sent < size; sent += MiB) yield chunk.subarray(0, Math.min(MiB, size - sent));
    })(),
  );
}

const mbps = (bytes: number, ms: number): number => bytes / 1e6 / (ms / 1000);

// ---- child modes -------------------------------------------------------------

/** A line of /proc/self/status in MiB (VmRSS, VmHWM). */
function procStatusMiB(field: string): number {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB$`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(m?.[1]) / 1024;
}

async function childRss(mode: 'jobkit' | 'raw', size: number): Promise<void> {
  const prefix = `bench-checkpoint/${randomUUID()}`;
  // Everything loaded before the save: the process's own level, to tell the upload's share.
  const idleMiB = procStatusMiB('VmRSS');
  if (mode === 'jobkit') {
    const store = s3Store(prefix);
    await createCheckpointer({ store, identity }).save({ step: 1 }, { weights: generated(size) });
    await store.close();
  } else {
    const client = rawClient();
    await new Upload({ client, params: { Bucket: bucket(), Key: `${prefix}/raw`, Body: generated(size) }, partSize, queueSize }).done();
    client.destroy();
  }
  // VmHWM, the peak RSS of this process's own memory: resourceUsage().maxRSS
  // would start at the parent's RSS (Linux keeps the pre-exec peak of the
  // forked copy), which here holds hundreds of MiB of test buffers.
  process.stdout.write(`${JSON.stringify({ maxRssMiB: procStatusMiB('VmHWM'), idleMiB })}\n`);
}

async function childSigterm(): Promise<void> {
  await runJob(async (job) => {
    const cp = createCheckpointer<{ step: number }>({ store: openStore(), identity: job.identity, lifecycle: job.lifecycle, log: job.log });
    await cp.save({ step: 1 }, { weights: filled(SIGTERM_BYTES, 1) });
    // 256 MiB that changed since the last durable checkpoint.
    const weights = filled(SIGTERM_BYTES, 2);
    cp.track(() => ({ state: { step: 2 }, parts: { weights } }));
    process.stderr.write('ready\n');
    await new Promise((resolve) => job.signal.addEventListener('abort', resolve, { once: true }));
  });
}

// ---- parent ------------------------------------------------------------------

/**
 * What a verified restore written by hand does with the SDK: GetObject,
 * sha256 over the bytes as they arrive, kept in memory up to 64 MiB and
 * spooled to a file above (then read back, as the caller would), checksum
 * compared before use. The like-for-like baseline of `load()`.
 */
async function verifiedRestoreByHand(client: S3Client, key: string, size: number, expectedSha: string): Promise<void> {
  const res = await client.send(new GetObjectCommand({ Bucket: bucket(), Key: key }));
  const hash = createHash('sha256');
  const hashed = async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      hash.update(chunk);
      yield chunk;
    }
  };
  if (size <= 64 * MiB) {
    const chunks: Buffer[] = [];
    for await (const chunk of hashed(res.Body as Readable)) chunks.push(chunk);
    const bytes = Buffer.concat(chunks);
    if (hash.digest('hex') !== expectedSha || bytes.length !== size) throw new Error('restore by hand: checksum mismatch');
    return;
  }
  const path = join(tmpdir(), `jobkit-bench-restore-${randomUUID()}`);
  try {
    await pipeline(res.Body as Readable, hashed, createWriteStream(path));
    if (hash.digest('hex') !== expectedSha) throw new Error('restore by hand: checksum mismatch');
    for await (const _ of createReadStream(path, { highWaterMark: MiB })) void _;
  } finally {
    await rm(path, { force: true });
  }
}

/**
 * Write back the dirty pages of what ran before (the server's fsync'd parts,
 * the last spool file) before a timed read: otherwise whichever read comes
 * after a large write pays that write's writeback, and the order of the
 * steps, not the code, decides the spooled loads' ratios (seen here: the same
 * 256 MiB load from 0.5 s to 2 s by what preceded it).
 */
function quiesceDisk(): void {
  execFileSync('sync');
}

async function saveLoad(size: number, figures: BenchFigure[], reps: number): Promise<number> {
  const buf = filled(size, 3);
  const client = rawClient();
  const label = size >= 1024 * MiB ? `${size / 1024 / MiB} GiB` : `${size / MiB} MiB`;
  const rawUp: number[] = [];
  const rawDown: number[] = [];
  const ourUp: number[] = [];
  const ourDown: number[] = [];
  const handDown: number[] = [];
  const expectedSha = createHash('sha256').update(buf).digest('hex');
  for (let r = 0; r < reps; r++) {
    const prefix = `bench-checkpoint/${randomUUID()}`;
    let t = process.hrtime.bigint();
    await new Upload({ client, params: { Bucket: bucket(), Key: `${prefix}/raw`, Body: buf }, partSize, queueSize }).done();
    rawUp.push(msSince(t));

    const store = s3Store(prefix);
    const cp = createCheckpointer({ store, identity });
    await cp.open();
    t = process.hrtime.bigint();
    await cp.save({ step: r }, { weights: buf });
    ourUp.push(msSince(t));

    quiesceDisk();
    t = process.hrtime.bigint();
    const res = await client.send(new GetObjectCommand({ Bucket: bucket(), Key: `${prefix}/raw` }));
    for await (const _ of res.Body as Readable) void _;
    rawDown.push(msSince(t));

    quiesceDisk();
    t = process.hrtime.bigint();
    await verifiedRestoreByHand(client, `${prefix}/raw`, size, expectedSha);
    handDown.push(msSince(t));

    quiesceDisk();
    t = process.hrtime.bigint();
    const loaded = await createCheckpointer({ store, identity }).load();
    for await (const _ of loaded!.parts.get('weights')!.stream()) void _;
    ourDown.push(msSince(t));
    await loaded!.dispose();
    await store.close();
  }
  client.destroy();
  // Every rep, not only the medians: how far apart runs of the same step are.
  const list = (xs: number[]): string => xs.map(Math.round).join('/');
  const saveReps = `reps (ms): ${list(ourUp)} vs ${list(rawUp)}`;
  const loadReps = `reps (ms): ${list(ourDown)} vs GetObject ${list(rawDown)} vs by hand ${list(handDown)}`;
  console.log(`${label}: save ${saveReps}; load ${loadReps}`);
  const up = mbps(size, median(ourUp));
  const upBase = mbps(size, median(rawUp));
  const down = mbps(size, median(ourDown));
  const downBase = mbps(size, median(rawDown));
  // The machine is shared: the load average tells how much to trust a figure.
  const server = s3Server();
  const at = load();
  const parts = `${partSize / MiB} MiB parts x ${queueSize}`;
  const note = `median of ${reps}; jobkit: sha256 computed, manifest and head committed, ${parts}; raw Upload: same ${parts}; ${availableParallelism()} cores`;
  figures.push({ name: `save ${label}`, value: round(up), unit: 'MB/s', baseline: round(upBase), baselineName: 'lib-storage Upload, same parts', ratio: higherIsBetter(up, upBase), target: '>= 1.0', server, load: at, note: `${note}; ${saveReps}` });
  const hand = mbps(size, median(handDown));
  const how = 'sha256-verified while downloading, in memory up to 64 MiB, spooled to a local file above, then read';
  figures.push({ name: `load ${label}`, value: round(down), unit: 'MB/s', baseline: round(downBase), baselineName: 'GetObject', ratio: higherIsBetter(down, downBase), target: '>= 0.9', server, load: at, note: `median of ${reps}; jobkit: ${how}; GetObject: bytes discarded, nothing verified or kept; ${loadReps}` });
  figures.push({ name: `load ${label}, like for like`, value: round(down), unit: 'MB/s', baseline: round(hand), baselineName: 'GetObject + sha256 + spool, by hand', ratio: higherIsBetter(down, hand), target: '>= 1.0', server, load: at, note: `median of ${reps}; both ${how}; jobkit adds reading head and manifest and taking an epoch; ${loadReps}` });
  return median(rawUp);
}

async function runChild(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ stdout: string; code: number | null }> {
  const child = spawn(process.execPath, [SELF, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  return { stdout, code };
}

/** One SIGTERM run: ms from the signal to the child's exit, and the final save's own duration. */
async function sigtermOnce(): Promise<{ toExitMs: number; durableMs: number }> {
  const prefix = `bench-checkpoint/${randomUUID()}`;
  const env = {
    JOBKIT_STORE: `s3://${bucket()}/${prefix}`,
    JOBKIT_S3_ENDPOINT: process.env.JOBKIT_TEST_S3_ENDPOINT!,
    JOBKIT_JOB_NAME: 'bench', JOBKIT_NAMESPACE: 'bench', JOBKIT_GRACE_PERIOD_SECONDS: '30',
  };
  const child = spawn(process.execPath, [SELF, '--child', 'sigterm'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  let sentAt = 0n;
  child.stderr.on('data', (d: Buffer) => {
    if (sentAt === 0n && d.toString().includes('ready')) {
      sentAt = process.hrtime.bigint();
      child.kill('SIGTERM');
    }
  });
  const [code] = (await once(child, 'exit')) as [number | null];
  const toExitMs = msSince(sentAt);
  const line = stdout.split('\n').find((l) => l.includes('final checkpoint durable'));
  const durableMs = line === undefined ? Number.NaN : (JSON.parse(line) as { durationMs: number }).durationMs;
  const store = openStore(env.JOBKIT_STORE, { env });
  const loaded = await createCheckpointer<{ step: number }>({ store, identity: { ...identity, jobName: 'bench', attempt: undefined, platform: 'local', podName: undefined } }).load();
  const ok = code === 143 && loaded?.state.step === 2 && (await loaded.parts.get('weights')!.buffer()).equals(filled(SIGTERM_BYTES, 2));
  await loaded?.dispose();
  await store.close();
  if (!ok) throw new Error(`SIGTERM run did not leave the final checkpoint (exit ${code}, state ${JSON.stringify(loaded?.state)})`);
  return { toExitMs, durableMs };
}

async function sigterm(figures: BenchFigure[], reps: number): Promise<void> {
  const client = rawClient();
  const buf = filled(SIGTERM_BYTES, 2);
  const raw: number[] = [];
  const ours: number[] = [];
  const durable: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t = process.hrtime.bigint();
    await new Upload({ client, params: { Bucket: bucket(), Key: `bench-checkpoint/sigterm-raw-${r}`, Body: buf }, partSize, queueSize }).done();
    raw.push(msSince(t));
    const run = await sigtermOnce();
    ours.push(run.toExitMs);
    durable.push(run.durableMs);
  }
  client.destroy();
  const value = median(ours);
  const baseline = median(raw);
  figures.push({
    name: `SIGTERM -> durable final checkpoint and exit (${SIGTERM_BYTES / MiB} MiB unsaved)`,
    value: round(value), unit: 'ms', baseline: round(baseline), baselineName: `raw Upload of ${SIGTERM_BYTES / MiB} MiB, same parts`,
    ratio: lowerIsBetter(value, baseline), target: '>= 0.909 (<= 1.1x the raw upload)', server: s3Server(),
    note: `median of ${reps}; exit code 143, checkpoint loaded and compared after; the final save itself took ${Math.round(median(durable))} ms (median); includes runJob shutdown (logs flush) and process exit`,
  });
}

async function rss(figures: BenchFigure[], size: number): Promise<void> {
  const ours = JSON.parse((await runChild(['--child', 'rss-jobkit', String(size)])).stdout) as { maxRssMiB: number; idleMiB: number };
  const raw = JSON.parse((await runChild(['--child', 'rss-raw', String(size)])).stdout) as { maxRssMiB: number; idleMiB: number };
  const bound = ((queueSize + 1) * partSize) / MiB + 100;
  figures.push({
    name: `peak RSS saving a ${size / MiB} MiB streamed part`, value: round(ours.maxRssMiB), unit: 'MiB',
    baseline: round(raw.maxRssMiB), baselineName: 'lib-storage Upload of the same stream, same parts', ratio: lowerIsBetter(ours.maxRssMiB, raw.maxRssMiB),
    target: `<= ${bound} MiB ((concurrency + 1) x partSize + 100 MiB) and below lib-storage's`,
    met: ours.maxRssMiB <= bound && ours.maxRssMiB < raw.maxRssMiB, server: s3Server(),
    note: `whole child process (Node + SDK), peak RSS (VmHWM); above the process's level before the save: jobkit +${round(ours.maxRssMiB - ours.idleMiB)} MiB (idle ${round(ours.idleMiB)}), lib-storage +${round(raw.maxRssMiB - raw.idleMiB)} MiB (idle ${round(raw.idleMiB)}); both ${partSize / MiB} MiB parts x ${queueSize}; source: 1 MiB chunks generated on the fly`,
  });
}

function checksums(figures: BenchFigure[]): void {
  const buf = filled(256 * MiB, 5);
  const speed = (alg: 'sha256' | 'crc32'): number => {
    const runs: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t = process.hrtime.bigint();
      const h = createHasher(alg);
      h.update(buf);
      h.digest();
      runs.push(msSince(t));
    }
    return buf.length / 1e9 / (median(runs) / 1000);
  };
  const sha = speed('sha256');
  const crc = speed('crc32');
  figures.push({ name: 'checksum sha256', value: round(sha), unit: 'GB/s', baseline: round(crc), baselineName: 'zlib.crc32', ratio: higherIsBetter(sha, crc), note: 'in-process, 256 MiB' });
}

async function main(): Promise<void> {
  const [flag, mode, arg] = process.argv.slice(2);
  if (flag === '--child') {
    if (mode === 'sigterm') return await childSigterm();
    return await childRss(mode === 'rss-jobkit' ? 'jobkit' : 'raw', Number(arg));
  }
  const services = process.env.JOBKIT_TEST_S3_ENDPOINT === undefined ? await import('../test/setup/services.ts') : undefined;
  await services?.setup();
  try {
    const sizes = (process.env.BENCH_SIZES_MIB ?? (motoColumn() ? '64,256' : '64,256,1024')).split(',').map((s) => Number(s) * MiB);
    const figures: BenchFigure[] = [];
    checksums(figures);
    for (const size of sizes) {
      await saveLoad(size, figures, 3);
      console.log(`measured ${size / MiB} MiB`);
    }
    await sigterm(figures, 3);
    console.log('measured SIGTERM');
    await rss(figures, Number(process.env.BENCH_RSS_MIB ?? (motoColumn() ? 1024 : 4096)) * MiB);
    writeResults('checkpoint', figures);
  } finally {
    await services?.teardown();
  }
}

await main();
