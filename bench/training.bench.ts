/**
 * Background checkpoint saves while a training loop runs (issue 20): the
 * training example's shape (examples/training: a Float32Array model updated
 * in place by trainStep, one setImmediate yield per step, 64 MiB of weights
 * copied with weightsToBytes and handed to saveInBackground every N steps),
 * on the benchmarks' S3 server.
 *
 * Figure: mean step time of the loop with the saves vs the same loop without
 * any save, rounds alternating, median of 3 rounds. Target: the step time
 * grows by <= 5 % (ratio >= 0.952). The snapshot copy (weightsToBytes) runs in
 * the loop and is counted: it is the example's way of keeping the bytes still
 * while training goes on; its share is given in the note.
 *
 * `node bench/training.bench.ts` (TRAIN_BENCH_EVERY=N, TRAIN_BENCH_STEPS).
 */
import { randomUUID } from 'node:crypto';
import { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { bytesToWeights, initWeights, trainStep, weightsToBytes } from '../examples/training/model.ts';
import { createCheckpointer } from '../src/checkpoint/checkpointer.ts';
import { CHECKPOINT_DEFAULTS } from '../src/checkpoint/constants.ts';
import type { JobIdentity } from '../src/runtime/types.ts';
import { S3Store } from '../src/store/s3.ts';
import { setup, teardown } from '../test/setup/services.ts';
import { type BenchFigure, load, lowerIsBetter, median, msSince, round, s3Server, writeResults } from './lib.ts';

const MiB = 2 ** 20;
const MODEL_BYTES = 64 * MiB;
const EVERY = Number(process.env.TRAIN_BENCH_EVERY ?? 50);
const STEPS = Number(process.env.TRAIN_BENCH_STEPS ?? 3 * EVERY);
const ROUNDS = 3;
const identity: JobIdentity = {
  platform: 'kubernetes', jobName: 'bench', namespace: 'bench', podName: 'bench-0', podUid: undefined,
  nodeName: undefined, index: 0, count: 1, attempt: 0,
};

const ownServers = process.env.JOBKIT_TEST_S3_ENDPOINT === undefined;
if (ownServers) await setup();
const figures: BenchFigure[] = [];
try {
  const store = new S3Store({ bucket: process.env.JOBKIT_TEST_S3_BUCKET!, prefix: `bench-training/${randomUUID()}`, endpoint: process.env.JOBKIT_TEST_S3_ENDPOINT!, region: 'us-east-1', forcePathStyle: true });
  const cp = createCheckpointer<{ step: number; loss: number }>({ store, identity });
  const bucket = process.env.JOBKIT_TEST_S3_BUCKET!;
  const client = new S3Client({ endpoint: process.env.JOBKIT_TEST_S3_ENDPOINT!, region: 'us-east-1', forcePathStyle: true });
  await cp.open();
  const weights = initWeights(MODEL_BYTES / 4);

  /**
   * Runs STEPS steps; with `save`, a background save every EVERY steps: 'copy'
   * as the example does (weightsToBytes, then saveInBackground), 'snapshot'
   * as the API documents for live buffers (the weights' bytes with
   * `snapshot: true`: the checkpointer takes the copy). Returns ms per step
   * and ms spent copying in the loop.
   */
  const loop = async (save: false | 'copy' | 'snapshot' | 'raw'): Promise<{ stepMs: number; copyMs: number }> => {
    let copyMs = 0;
    let rawUpload: Promise<unknown> | undefined;
    const t = process.hrtime.bigint();
    for (let step = 0; step < STEPS; ) {
      const loss = trainStep(weights, step, 0.001);
      step++;
      await new Promise(setImmediate);
      if (save === 'copy' && step % EVERY === 0) {
        const c = process.hrtime.bigint();
        const bytes = weightsToBytes(weights);
        copyMs += msSince(c);
        await cp.saveInBackground({ step, loss }, { weights: bytes });
      } else if (save === 'raw' && step % EVERY === 0) {
        // The like-for-like baseline: the same copy and the same bytes uploaded
        // in the background by lib-storage (same parts), without jobkit.
        const c = process.hrtime.bigint();
        const bytes = weightsToBytes(weights);
        copyMs += msSince(c);
        await rawUpload;
        rawUpload = new Upload({ client, params: { Bucket: bucket, Key: `bench-training/raw-${step}`, Body: bytes }, partSize: CHECKPOINT_DEFAULTS.partSize, queueSize: CHECKPOINT_DEFAULTS.concurrency }).done();
      } else if (save === 'snapshot' && step % EVERY === 0) {
        const c = process.hrtime.bigint();
        await cp.saveInBackground({ step, loss }, { weights: new Uint8Array(weights.buffer) }, { snapshot: true });
        copyMs += msSince(c);
      }
    }
    const stepMs = msSince(t) / STEPS;
    await rawUpload;
    await cp.flush(); // the last save finishes outside the timed loop, before the next round
    return { stepMs, copyMs };
  };

  await loop(false); // warm-up: JIT and the first save's connections
  await cp.save({ step: 0, loss: 0 }, { weights: weightsToBytes(weights) });
  const bare: number[] = [];
  const ours: number[] = [];
  const copies: number[] = [];
  const snap: number[] = [];
  const snapCopies: number[] = [];
  const raw: number[] = [];
  for (let r = 0; r < ROUNDS; r++) {
    bare.push((await loop(false)).stepMs);
    raw.push((await loop('raw')).stepMs);
    const withSaves = await loop('copy');
    ours.push(withSaves.stepMs);
    copies.push(withSaves.copyMs / STEPS);
    const withSnapshots = await loop('snapshot');
    snap.push(withSnapshots.stepMs);
    snapCopies.push(withSnapshots.copyMs / STEPS);
  }
  const loaded = await cp.load();
  const restored = bytesToWeights(await loaded!.parts.get('weights')!.buffer());
  await loaded!.dispose();
  if (restored.length !== weights.length) throw new Error('the last background save did not restore the model');
  const value = median(ours);
  const baseline = median(bare);
  figures.push({
    name: `training loop step time with a 64 MiB background save every ${EVERY} steps`,
    value: round(value), unit: 'ms/step', baseline: round(baseline), baselineName: 'the same loop without saves',
    ratio: lowerIsBetter(value, baseline), target: '>= 0.952 (step time +5 % at most)', server: s3Server(), load: load(),
    note: `median of ${ROUNDS} alternating rounds of ${STEPS} steps (${STEPS / EVERY} saves each); growth ${round((value / baseline - 1) * 100)} %, of which the example's weightsToBytes copy ${round((median(copies) / baseline) * 100)} %; step ~${Math.round(baseline)} ms; ${EVERY} steps = ${round((EVERY * baseline) / 1000)} s between saves`,
  });
  const rawValue = median(raw);
  figures.push({
    name: `same, a raw lib-storage Upload of the copy every ${EVERY} steps instead`,
    value: round(rawValue), unit: 'ms/step', baseline: round(baseline), baselineName: 'the same loop without saves',
    ratio: lowerIsBetter(rawValue, baseline), server: s3Server(), load: load(),
    note: `no jobkit: the example's copy and a background @aws-sdk/lib-storage Upload (same parts), one at a time; growth ${round((rawValue / baseline - 1) * 100)} %: what uploading 64 MiB on this machine costs the loop at all (the server shares the 2 cores)`,
  });
  figures.push({
    name: `jobkit's background save vs a raw background upload, every ${EVERY} steps`,
    value: round(value), unit: 'ms/step', baseline: round(rawValue), baselineName: 'the loop with a raw lib-storage Upload instead',
    ratio: lowerIsBetter(value, rawValue), server: s3Server(), load: load(),
    note: 'the like-for-like share of the growth that is jobkit\'s (hashing, the checkpoint copy and commit)',
  });
  const snapValue = median(snap);
  figures.push({
    name: `same, saving with snapshot: true every ${EVERY} steps`,
    value: round(snapValue), unit: 'ms/step', baseline: round(baseline), baselineName: 'the same loop without saves',
    ratio: lowerIsBetter(snapValue, baseline), target: '>= 0.952 (step time +5 % at most)', server: s3Server(), load: load(),
    note: `the weights' bytes handed over with snapshot: true (the API's way for a live buffer: one copy, taken by the checkpointer, instead of weightsToBytes and a second copy); growth ${round((snapValue / baseline - 1) * 100)} %, of which the call itself (the copy) ${round((median(snapCopies) / baseline) * 100)} %`,
  });
  await store.close();
  client.destroy();
} finally {
  if (ownServers) await teardown();
}
writeResults('training', figures);
