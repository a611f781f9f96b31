/**
 * Idempotent calls through a fault-injecting proxy in front of the S3 server,
 * on a seeded schedule of real faults (503 SlowDown, 500 after the write,
 * resets after the write and mid-response, damaged bodies, latency). A call
 * may give up with the retryable code (75); the job then calls again, as its
 * next attempt would. What may never happen: an effect twice, an effect lost,
 * or any other failure.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIdempotency } from '../../../src/idempotency/index.ts';
import { exitCodeOf } from '../../../src/runtime/classify.ts';
import { S3Store } from '../../../src/store/s3.ts';
import { type FaultProxy, seededRule, startFaultProxy } from '../../support/fault-proxy.ts';
import { testIdentity } from '../../unit/idempotency/helpers.ts';

const endpoint = process.env.JOBKIT_TEST_S3_ENDPOINT!;
const bucket = process.env.JOBKIT_TEST_S3_BUCKET!;

let proxy: FaultProxy;
beforeAll(async () => {
  proxy = await startFaultProxy(endpoint);
});
afterAll(async () => {
  await proxy.close();
});

describe('idempotency through a faulty network', () => {
  for (const seed of [21, 22, 23]) {
    it(`seed ${seed}: 60 keys, each effect exactly once, every failure retryable`, async () => {
      const store = new S3Store({ bucket, prefix: `idem-faults-${randomUUID()}`, endpoint: proxy.endpoint, region: 'us-east-1', maxAttempts: 4 });
      proxy.setRule(seededRule(seed, 0.1, ['slow-down', 'error-after-write', 'reset-after-write', 'reset-mid-response', 'corrupt-body', 'latency']));
      const effects = new Map<string, number>();
      const ledger = createIdempotency({ store, identity: testIdentity(), pollMinMs: 10, pollMaxMs: 100 });
      const keys = Array.from({ length: 60 }, (_, i) => `row-${i}`);
      for (const key of keys) {
        for (let attempt = 1; ; attempt++) {
          try {
            await ledger.run(key, ({ takeover }) => {
              // A takeover checks whether the effect already happened, as docs/idempotency.md asks.
              if (takeover && (effects.get(key) ?? 0) > 0) return;
              effects.set(key, (effects.get(key) ?? 0) + 1);
            });
            break;
          } catch (err) {
            expect(exitCodeOf(err), String(err)).toBe(75);
            expect(attempt).toBeLessThan(10);
          }
        }
      }
      proxy.setRule(() => undefined);
      expect(keys.filter((k) => effects.get(k) !== 1)).toEqual([]);
      expect([...proxy.injected.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      await store.close();
    }, 180_000);
  }
});
