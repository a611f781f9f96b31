/**
 * Training-style example: epochs and steps over a generated dataset, a model
 * of tens of MiB checkpointed as a binary part with background saves and a
 * final save on SIGTERM, resuming at the exact step. Each index of the Indexed
 * Job trains one learning rate (a small sweep). See README.md.
 *
 * In your code: `import { runJob } from 'jobkit'`.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type JobContext, joinKey, keySegment, runJob } from '../../src/index.ts';
import { appendEffect } from '../shared/effects.ts';
import { intFromEnv } from '../shared/env.ts';
import { startProgress } from '../shared/progress.ts';
import { bytesToWeights, initWeights, trainStep, weightsToBytes } from './model.ts';

/** The JSON half of a checkpoint; the weights are its binary part. */
interface TrainState {
  /** The next step to run (global across epochs). */
  readonly step: number;
  readonly loss: number;
}

async function train(job: JobContext<TrainState>): Promise<void> {
  const modelMiB = intFromEnv('TRAIN_MODEL_MIB', 32);
  const epochs = intFromEnv('TRAIN_EPOCHS', 3);
  const stepsPerEpoch = intFromEnv('TRAIN_STEPS_PER_EPOCH', 20);
  const checkpointEvery = Math.max(1, intFromEnv('TRAIN_CHECKPOINT_EVERY', 5));
  const stepDelayMs = intFromEnv('TRAIN_STEP_DELAY_MS', 0);
  const learningRate = 0.001 * (job.identity.index + 1);
  const totalSteps = epochs * stepsPerEpoch;

  const resumed = await job.checkpoint.load();
  let step = resumed?.state.step ?? 0;
  let loss = resumed?.state.loss ?? Number.NaN;
  const saved = await resumed?.parts.get('weights')?.buffer();
  await resumed?.dispose();
  let weights = saved === undefined ? initWeights((modelMiB * 2 ** 20) / 4) : bytesToWeights(saved);
  if (resumed !== undefined) job.log.info({ step, seq: resumed.seq }, 'resumed from checkpoint');

  // Steps run synchronously, so the snapshot always sees weights and step of the same instant.
  job.checkpoint.track(() => ({ state: { step, loss }, parts: { weights: weightsToBytes(weights) } }));
  const progress = startProgress(job, { label: `train lr=${learningRate}`, unit: 'steps', total: totalSteps, resumedAt: step });
  if (resumed !== undefined) progress.checkpointed(resumed.seq);

  while (step < totalSteps && !job.signal.aborted) {
    const started = performance.now();
    loss = trainStep(weights, step, learningRate);
    step++;
    if (stepDelayMs > 0) await sleep(stepDelayMs);
    // Yield between steps so SIGTERM is noticed and background uploads progress.
    else await new Promise(setImmediate);
    job.metrics.itemProcessed(performance.now() - started);
    progress.add();
    if (step % checkpointEvery === 0 && step < totalSteps) {
      // Back-pressure: waits only if the previous save is still uploading.
      const { durable } = await job.checkpoint.saveInBackground({ step, loss }, { weights: weightsToBytes(weights) });
      durable.then((info) => progress.checkpointed(info.seq), () => undefined);
    }
  }
  await job.checkpoint.flush();
  if (job.signal.aborted) {
    progress.done('stopping: the final save runs now');
    return;
  }

  // Publish the trained model once, however many pods get here.
  const dir = ['train', 'models', keySegment(`index-${job.identity.index}`)];
  await job.idempotent(`publish-model-${job.identity.index}`, async (ctx) => {
    await job.store.put(joinKey(...dir, 'weights.bin'), weightsToBytes(weights), { signal: ctx.signal });
    await job.store.put(joinKey(...dir, 'summary.json'), `${JSON.stringify({ steps: step, learningRate, loss })}\n`, {
      signal: ctx.signal,
    });
    await appendEffect(job.store, ['train', 'effects'], `index-${job.identity.index}`, ctx);
  });
  weights = new Float32Array(0);
  progress.done(`done, loss ${loss.toFixed(5)}`);
}

await runJob<TrainState>(train, { idempotency: { leaseMs: 4_000, clockSkewMarginMs: 1_000 } });
