/**
 * Checkpoint save and load through a fault-injecting proxy in front of the
 * S3 server, on a seeded schedule of real faults (503 SlowDown, 500 after the
 * write, resets after the write and mid-response, bytes damaged in flight,
 * latency). What may happen: a save or load gives up with the retryable code
 * (75) when faults pile up past the attempt budget. What may never happen:
 * any other failure, a load of wrong bytes, or a load of an older checkpoint
 * than the newest committed one.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCheckpointer } from '../../../src/checkpoint/checkpointer.ts';
import { exitCodeOf } from '../../../src/runtime/classify.ts';
import { S3Store } from '../../../src/store/s3.ts';
import { type FaultProxy, seededRule, startFaultProxy } from '../../support/fault-proxy.ts';
import { testIdentity } from '../../unit/checkpoint/helpers.ts';

const endpoint = process.env.JOBKIT_TEST_S3_ENDPOINT!;
const bucket = process.env.JOBKIT_TEST_S3_BUCKET!;
const MiB = 2 ** 20;
const identity = testIdentity({ platform: 'kubernetes', jobName: 'train', namespace: 'ml' });

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy(endpoint);
});
afterAll(async () => {
  await proxy.close();
});

function weights(step: number): Buffer {
  const b = Buffer.alloc(20 * MiB);
  for (let i = 0; i < b.length; i += 4096) b.writeUInt32LE((i * 31 + step) >>> 0, i);
  return b;
}

const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

describe('checkpoints through a faulty network', () => {
  for (const seed of [11, 12, 13]) {
    it(`seed ${seed}: every outcome is success or 75, and load returns the newest committed bytes`, async () => {
      const prefix = `faults-${randomUUID()}`;
      const open = () => new S3Store({ bucket, prefix, endpoint: proxy.endpoint, region: 'us-east-1', maxAttempts: 4 });
      const store = open();
      proxy.setRule(seededRule(seed, 0.12, ['slow-down', 'error-after-write', 'reset-after-write', 'reset-mid-response', 'corrupt-body', 'latency']));
      const cp = createCheckpointer<{ step: number }>({ store, identity, partSize: 8 * MiB, concurrency: 2 });
      let committed: number | undefined;
      for (let step = 1; step <= 4; step++) {
        try {
          await cp.save({ step }, { weights: weights(step) });
          committed = step;
        } catch (err) {
          expect(exitCodeOf(err), String(err)).toBe(75);
        }
      }
      await cp.close();
      const reader = createCheckpointer<{ step: number }>({ store: open(), identity });
      try {
        const loaded = await reader.load();
        if (committed === undefined) {
          expect(loaded).toBeUndefined();
        } else {
          expect(loaded?.state.step).toBe(committed);
          expect(sha(await loaded!.parts.get('weights')!.buffer())).toBe(sha(weights(committed)));
        }
      } catch (err) {
        expect(exitCodeOf(err), String(err)).toBe(75);
      }
      proxy.setRule(() => undefined);
      expect([...proxy.injected.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      await reader.close();
      await store.close();
    }, 120_000);
  }
});
