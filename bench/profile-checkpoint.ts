/**
 * CPU profiles of checkpoint saves and loads on the benchmarks' S3 server,
 * taken around the operation only (the inspector's profiler, started after
 * the data is in place and stopped when the operation returns), so a missed
 * target in RESULTS.md has the profile of exactly what it measures:
 *
 *   node bench/profile-checkpoint.ts save 256     three saves of a 256 MiB buffer
 *   node bench/profile-checkpoint.ts load 256     three verified loads (spooled above 64 MiB) and a read of the part
 *
 * Writes bench/results/profiles/checkpoint-<op>-<size>MiB.cpuprofile.md (the
 * summary of bench/profile-summary.ts) and prints each operation's wall time
 * and process CPU time. JOBKIT_TEST_S3=minio (the default here) or moto.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCheckpointer } from '../src/checkpoint/checkpointer.ts';
import type { JobIdentity } from '../src/runtime/types.ts';
import { S3Store } from '../src/store/s3.ts';
import { RESULTS_DIR } from './lib.ts';

const [op, sizeArg] = process.argv.slice(2);
if ((op !== 'save' && op !== 'load') || sizeArg === undefined || !(Number(sizeArg) > 0)) {
  throw new Error('usage: node bench/profile-checkpoint.ts save|load <MiB>');
}
const MiB = 2 ** 20;
const size = Number(sizeArg) * MiB;
const REPS = 3;
process.env.JOBKIT_TEST_S3 ??= 'minio';
const services = process.env.JOBKIT_TEST_S3_ENDPOINT === undefined ? await import('../test/setup/services.ts') : undefined;
await services?.setup();
const identity: JobIdentity = {
  platform: 'local', jobName: 'profile', namespace: 'bench', podName: undefined, podUid: undefined, nodeName: undefined, index: 0, count: 1, attempt: 0,
};
const store = (prefix: string): S3Store =>
  new S3Store({ bucket: process.env.JOBKIT_TEST_S3_BUCKET!, prefix, endpoint: process.env.JOBKIT_TEST_S3_ENDPOINT!, region: 'us-east-1', forcePathStyle: true });
const weights = Buffer.allocUnsafe(size);
for (let off = 0; off < size; off += MiB) weights.fill(off / MiB, off, Math.min(size, off + MiB));

const session = new Session();
session.connect();
await session.post('Profiler.enable');
const profiles: unknown[] = [];
try {
  for (let r = 0; r < REPS; r++) {
    const s = store(`bench-profile/${randomUUID()}`);
    const cp = createCheckpointer({ store: s, identity });
    await cp.open();
    if (op === 'load') {
      await cp.save({ step: r }, { weights });
      execFileSync('sync');
    }
    const cpu = process.cpuUsage();
    const started = performance.now();
    await session.post('Profiler.start');
    if (op === 'save') {
      await cp.save({ step: r + 1 }, { weights });
    } else {
      const loaded = await createCheckpointer({ store: s, identity }).load();
      for await (const _ of loaded!.parts.get('weights')!.stream()) void _;
      await loaded!.dispose();
    }
    const { profile } = await session.post('Profiler.stop');
    const used = process.cpuUsage(cpu);
    console.log(`${op} ${sizeArg} MiB #${r + 1}: ${Math.round(performance.now() - started)} ms, process CPU ${Math.round((used.user + used.system) / 1000)} ms`);
    profiles.push(profile);
    await cp.close();
    await s.close();
  }
} finally {
  session.disconnect();
  await services?.teardown();
}

// One summary over the reps: the last profile is summarised (the first carries one-time costs: module compilation, the probe).
const dir = mkdtempSync(join(tmpdir(), 'jobkit-profile-'));
const raw = join(dir, `checkpoint-${op}-${sizeArg}MiB.cpuprofile`);
writeFileSync(raw, JSON.stringify(profiles.at(-1)));
const summary = execFileSync(process.execPath, [fileURLToPath(new URL('./profile-summary.ts', import.meta.url)), raw, '20'], { encoding: 'utf8' });
const out = join(RESULTS_DIR, 'profiles', `checkpoint-${op}-${sizeArg}MiB.md`);
writeFileSync(out, `${summary}\nTaken by \`node bench/profile-checkpoint.ts ${op} ${sizeArg}\` on ${process.env.JOBKIT_TEST_S3}, ${new Date().toISOString()}: the last of ${REPS} ${op}s, profiled from the call to its return.\n`);
rmSync(dir, { recursive: true, force: true });
console.log(`wrote ${out}`);
