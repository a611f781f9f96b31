/**
 * Directory checkpoints (`jobkit exec --checkpoint-dir`): what saving and
 * restoring a directory costs against doing the same with the SDK by hand,
 * `aws s3 sync`-style (one PutObject/GetObject per file, files in parallel).
 *
 * A directory of BENCH_DIR_FILES files (default 1,000) totalling BENCH_DIR_MIB
 * MiB (default 1,024) on disk, against the S3 server of the test setup:
 *
 * - first save (every file uploaded): jobkit's snapshot + checkpoint save
 *   (walk, sha256 of every file, upload, manifest commit, fenced) vs
 *   concurrent PutObjects of the same files at the same concurrency;
 * - save with 10 % of the files changed: jobkit (hashes all, uploads the
 *   changed ones, reuses the rest) vs PutObjects of just the changed files (a
 *   sync that already knows what changed, the lower bound);
 * - save with nothing changed vs ListObjectsV2 of the prefix plus a stat per
 *   file (what `aws s3 sync` does to find nothing to upload);
 * - restore into an empty directory (download, verify, swap into place) vs
 *   concurrent GetObjects written to files.
 *
 * Concurrency: BENCH_DIR_CONCURRENCY (default 10, the AWS CLI's
 * max_concurrent_requests), the same for jobkit and the baseline. Medians of
 * BENCH_DIR_REPS (default 3), jobkit and baseline interleaved.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createCheckpointer } from '../src/checkpoint/checkpointer.ts';
import type { Checkpointer } from '../src/checkpoint/types.ts';
import { restoreDir, spoolDirOf } from '../src/job/exec/dir-restore.ts';
import { snapshotDir } from '../src/job/exec/dir-state.ts';
import type { JobIdentity } from '../src/runtime/types.ts';
import { S3Store } from '../src/store/s3.ts';
import { mapBounded } from '../src/util/bounded.ts';
import { type BenchFigure, higherIsBetter, median, motoColumn, msSince, round, s3Server, writeResults } from './lib.ts';

const MiB = 2 ** 20;
// The moto column (a slow Python server) measures a quarter of the directory, same file size.
const FILES = Number(process.env.BENCH_DIR_FILES ?? (motoColumn() ? '250' : '1000'));
const TOTAL_MIB = Number(process.env.BENCH_DIR_MIB ?? (motoColumn() ? '256' : '1024'));
const CONCURRENCY = Number(process.env.BENCH_DIR_CONCURRENCY ?? '10');
const REPS = Number(process.env.BENCH_DIR_REPS ?? '3');
const identity: JobIdentity = {
  platform: 'kubernetes', jobName: 'bench-dir', namespace: 'bench', podName: 'bench-dir-0', podUid: undefined,
  nodeName: undefined, index: 0, count: 1, attempt: 0,
};

const bucket = (): string => process.env.JOBKIT_TEST_S3_BUCKET!;
const endpoint = (): string => process.env.JOBKIT_TEST_S3_ENDPOINT!;
const rawClient = (): S3Client => new S3Client({ endpoint: endpoint(), region: 'us-east-1', forcePathStyle: true });

/** `files` files in a few nested directories, `totalBytes` in all, each with its own bytes. */
async function makeDir(dir: string, files: number, totalBytes: number): Promise<string[]> {
  const size = Math.floor(totalBytes / files / 4) * 4; // whole 32-bit words
  const paths: string[] = [];
  const block = Buffer.allocUnsafe(size);
  for (let i = 0; i < files; i++) {
    const rel = join(`shard-${i % 10}`, `file-${String(i).padStart(5, '0')}.bin`);
    await mkdir(join(dir, `shard-${i % 10}`), { recursive: true });
    for (let off = 0; off < size; off += 4) block.writeUInt32LE((i * 2654435761 + off) >>> 0, off);
    await writeFile(join(dir, rel), block);
    paths.push(rel);
  }
  return paths;
}

/** The baseline upload: one PutObject per file, `CONCURRENCY` at a time. */
async function syncUp(client: S3Client, dir: string, paths: readonly string[], prefix: string): Promise<void> {
  await mapBounded(paths, CONCURRENCY, async (rel) => {
    await client.send(new PutObjectCommand({ Bucket: bucket(), Key: `${prefix}/${rel}`, Body: await readFile(join(dir, rel)) }));
  });
}

/** The baseline download: one GetObject per file, streamed to its path, `CONCURRENCY` at a time. */
async function syncDown(client: S3Client, dir: string, paths: readonly string[], prefix: string): Promise<void> {
  await mapBounded(paths, CONCURRENCY, async (rel) => {
    const res = await client.send(new GetObjectCommand({ Bucket: bucket(), Key: `${prefix}/${rel}` }));
    await mkdir(join(dir, rel, '..'), { recursive: true });
    await pipeline(res.Body as Readable, createWriteStream(join(dir, rel)));
  });
}

/** What `aws s3 sync` does to find that nothing changed: list the prefix, stat every local file. */
async function syncNothing(client: S3Client, dir: string, paths: readonly string[], prefix: string): Promise<void> {
  let token: string | undefined;
  let listed = 0;
  do {
    const page = await client.send(new ListObjectsV2Command({ Bucket: bucket(), Prefix: `${prefix}/`, ContinuationToken: token }));
    listed += page.KeyCount ?? 0;
    token = page.NextContinuationToken;
  } while (token !== undefined);
  if (listed !== paths.length) throw new Error(`listed ${listed} of ${paths.length}`);
  await mapBounded(paths, CONCURRENCY, async (rel) => void (await stat(join(dir, rel))));
}

function checkpointer(prefix: string, spoolDir?: string): { cp: Checkpointer<unknown>; store: S3Store } {
  const store = new S3Store({ bucket: bucket(), prefix, endpoint: endpoint(), region: 'us-east-1', forcePathStyle: true });
  const cp = createCheckpointer<unknown>({ store, identity, concurrency: CONCURRENCY, ...(spoolDir === undefined ? {} : { inMemoryMaxBytes: 0, spoolDir }) });
  return { cp, store };
}

async function jobkitSave(cp: Checkpointer<unknown>, dir: string): Promise<{ ms: number; uploadedBytes: number; reused: number }> {
  const start = process.hrtime.bigint();
  const snap = await snapshotDir(dir);
  const info = await cp.save(snap.state, snap.parts);
  return { ms: msSince(start), uploadedBytes: info.uploadedBytes, reused: info.reusedParts.length };
}

/** Rewrite every tenth file with new bytes of the same size. */
async function changeTenth(dir: string, paths: readonly string[], round: number): Promise<string[]> {
  const changed = paths.filter((_, i) => i % 10 === round % 10);
  for (const rel of changed) {
    const bytes = await readFile(join(dir, rel));
    bytes.writeUInt32LE(round, 0);
    await writeFile(join(dir, rel), bytes);
  }
  return changed;
}

async function main(): Promise<void> {
  const services = process.env.JOBKIT_TEST_S3_ENDPOINT === undefined ? await import('../test/setup/services.ts') : undefined;
  await services?.setup();
  const work = await mkdtemp(join(tmpdir(), 'jobkit-bench-dir-'));
  const client = rawClient();
  const figures: BenchFigure[] = [];
  const totalBytes = TOTAL_MIB * MiB;
  const label = `${TOTAL_MIB >= 1024 ? `${TOTAL_MIB / 1024} GiB` : `${TOTAL_MIB} MiB`} in ${FILES} files`;
  try {
    const dir = join(work, 'state');
    const paths = await makeDir(dir, FILES, totalBytes);
    const bytes = (await Promise.all(paths.map(async (p) => (await stat(join(dir, p))).size))).reduce((a, b) => a + b, 0);
    const mbps = (ms: number): number => round(bytes / 1e6 / (ms / 1000));

    const first: number[] = [];
    const firstRaw: number[] = [];
    const changedMs: number[] = [];
    const changedRaw: number[] = [];
    const nothingMs: number[] = [];
    const nothingRaw: number[] = [];
    const restoreMs: number[] = [];
    const restoreRaw: number[] = [];
    let uploadedOnChange = 0;
    let reusedOnNothing = 0;
    for (let rep = 0; rep < REPS; rep++) {
      const prefix = `bench-dir/${randomUUID()}`;
      const rawPrefix = `bench-dir-raw/${randomUUID()}`;
      const { cp, store } = checkpointer(prefix);
      const saved = await jobkitSave(cp, dir);
      if (saved.uploadedBytes < bytes) throw new Error(`first save uploaded ${saved.uploadedBytes} of ${bytes} bytes`);
      first.push(saved.ms);
      let start = process.hrtime.bigint();
      await syncUp(client, dir, paths, rawPrefix);
      firstRaw.push(msSince(start));

      const changed = await changeTenth(dir, paths, rep + 1);
      const again = await jobkitSave(cp, dir);
      changedMs.push(again.ms);
      uploadedOnChange = again.uploadedBytes;
      start = process.hrtime.bigint();
      await syncUp(client, dir, changed, rawPrefix);
      changedRaw.push(msSince(start));

      const same = await jobkitSave(cp, dir);
      if (same.uploadedBytes !== 0) throw new Error(`an unchanged save uploaded ${same.uploadedBytes} bytes`);
      nothingMs.push(same.ms);
      reusedOnNothing = same.reused;
      start = process.hrtime.bigint();
      await syncNothing(client, dir, paths, rawPrefix);
      nothingRaw.push(msSince(start));
      await store.close();

      const target = join(work, `restored-${rep}`);
      const restorer = checkpointer(prefix, spoolDirOf(target));
      start = process.hrtime.bigint();
      await mkdir(spoolDirOf(target), { recursive: true });
      const loaded = await restorer.cp.load();
      if (loaded === undefined) throw new Error('no checkpoint to restore');
      try {
        await restoreDir(target, loaded);
      } finally {
        await loaded.dispose();
        await rm(spoolDirOf(target), { recursive: true, force: true });
      }
      restoreMs.push(msSince(start));
      await restorer.store.close();
      const rawTarget = join(work, `raw-restored-${rep}`);
      start = process.hrtime.bigint();
      await syncDown(client, rawTarget, paths, rawPrefix);
      restoreRaw.push(msSince(start));
      const check = (await readdir(join(target, 'shard-0'))).length;
      if (check !== paths.filter((p) => p.startsWith('shard-0')).length) throw new Error('the restore is incomplete');
      await rm(target, { recursive: true, force: true });
      await rm(rawTarget, { recursive: true, force: true });
    }

    const row = (name: string, ms: number[], raw: number[], baselineName: string, note?: string): void => {
      const value = median(ms);
      const baseline = median(raw);
      figures.push({
        name, key: name.replace(`, ${label}`, ''), value: round(value), unit: 'ms', baseline: round(baseline), baselineName,
        ratio: higherIsBetter(baseline, value), server: s3Server(), ...(note === undefined ? {} : { note }),
      });
    };
    row(`directory checkpoint, first save, ${label}`, first, firstRaw, `PutObject per file, ${CONCURRENCY} at a time`, `${mbps(median(first))} MB/s vs ${mbps(median(firstRaw))} MB/s; jobkit also hashes every file and commits a fenced manifest`);
    row(`directory checkpoint, 10 % of files changed, ${label}`, changedMs, changedRaw, `PutObject of the changed files only, ${CONCURRENCY} at a time`, `uploaded ${round(uploadedOnChange / MiB)} MiB; jobkit stats all ${FILES} files and reads only the changed ones`);
    row(`directory checkpoint, nothing changed, ${label}`, nothingMs, nothingRaw, 'ListObjectsV2 of the prefix + a stat per file (aws s3 sync finding nothing)', `0 bytes uploaded, ${reusedOnNothing} files reused on a stat, none read`);
    row(`directory restore, ${label}`, restoreMs, restoreRaw, `GetObject per file to disk, ${CONCURRENCY} at a time`, 'jobkit verifies every file and swaps the directory into place');
  } finally {
    client.destroy();
    await rm(work, { recursive: true, force: true });
    await services?.teardown();
  }
  const result = writeResults('exec-dir', figures);
  for (const f of result.figures) console.log(`${f.name}: ${f.value} ${f.unit} vs ${f.baseline} (${f.baselineName}) ratio ${f.ratio}${f.note ? ` — ${f.note}` : ''}`);
}

await main();
