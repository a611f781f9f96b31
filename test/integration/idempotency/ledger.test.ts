/**
 * The ledger against real stores: the S3-compatible server of the test setup
 * (moto) and the fs store. Each test uses fresh keys under a unique prefix.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createIdempotency, IdempotencyLeaseLostError, IdempotencyPayloadMismatchError } from '../../../src/idempotency/index.ts';
import { recordKey } from '../../../src/idempotency/keys.ts';
import { FsStore } from '../../../src/store/fs.ts';
import { S3Store } from '../../../src/store/s3.ts';
import type { ObjectStore } from '../../../src/store/types.ts';
import { testIdentity } from '../../support/identity.ts';

const scratch = mkdtempSync(join(tmpdir(), 'jobkit-idem-int-'));
const opened: ObjectStore[] = [];
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  rmSync(scratch, { recursive: true, force: true });
});

const identity = testIdentity({ platform: 'kubernetes', namespace: 'data' });

interface Backend {
  readonly name: string;
  /** A pair of stores (two "pods") on one fresh, empty root. */
  pair(): [ObjectStore, ObjectStore];
}

const backends: Backend[] = [
  {
    name: 's3 (moto)',
    pair: () => {
      const prefix = `idem-int-${randomUUID()}`;
      const make = (): S3Store =>
        new S3Store({ bucket: process.env.JOBKIT_TEST_S3_BUCKET!, prefix, endpoint: process.env.JOBKIT_TEST_S3_ENDPOINT!, region: 'us-east-1' });
      const stores: [S3Store, S3Store] = [make(), make()];
      opened.push(...stores);
      return stores;
    },
  },
  {
    name: 'fs',
    pair: () => {
      const root = join(scratch, randomUUID());
      return [new FsStore(root), new FsStore(root)];
    },
  },
];

class Clock {
  nowMs = Date.now();
  readonly now = (): number => this.nowMs;
}

describe.each(backends)('idempotency ledger on $name', (backend) => {
  it('runs once and replays to another pod; the record is readable JSON under the hashed key', async () => {
    const [a, b] = backend.pair();
    let runs = 0;
    const first = await createIdempotency({ store: a, identity }).runDetailed('order-1', () => ({ n: ++runs }));
    const second = await createIdempotency({ store: b, identity }).runDetailed('order-1', () => ({ n: ++runs }));
    expect(first).toMatchObject({ value: { n: 1 }, replayed: false });
    expect(second).toMatchObject({ value: { n: 1 }, replayed: true });
    const ledger = createIdempotency({ store: a, identity });
    const obj = await a.get(recordKey(ledger.prefix, 'order-1').storeKey);
    expect(JSON.parse(Buffer.from(obj!.body).toString('utf8'))).toMatchObject({ status: 'COMPLETED', result: { n: 1 } });
  });

  it('two pods racing on the same 40 keys in process: each runs once', async () => {
    const [a, b] = backend.pair();
    const ran: string[] = [];
    const keys = Array.from({ length: 40 }, (_, i) => `k-${i}`);
    const pod = (store: ObjectStore) =>
      createIdempotency({ store, identity, pollMinMs: 10, pollMaxMs: 50 }).runMany(keys, (k) => k, (k) => void ran.push(k), { concurrency: 8 });
    await Promise.all([pod(a), pod(b)]);
    expect(ran.sort()).toEqual([...keys].sort());
  });

  it('refuses a payload mismatch', async () => {
    const [a, b] = backend.pair();
    await createIdempotency({ store: a, identity }).run('k', () => 1, { payload: { row: 1 } });
    await expect(createIdempotency({ store: b, identity }).run('k', () => 2, { payload: { row: 2 } })).rejects.toBeInstanceOf(
      IdempotencyPayloadMismatchError,
    );
  });

  it('runs again once the completed record is older than ttlMs', async () => {
    const [a, b] = backend.pair();
    const clock = new Clock();
    let runs = 0;
    await createIdempotency({ store: a, identity, clock: clock.now, ttlMs: 1_000, clockSkewMarginMs: 0 }).run('k', () => ++runs);
    expect(await createIdempotency({ store: b, identity, clock: clock.now }).run('k', () => ++runs)).toBe(1);
    clock.nowMs += 1_001;
    expect(await createIdempotency({ store: b, identity, clock: clock.now, clockSkewMarginMs: 0 }).run('k', () => ++runs)).toBe(2);
  });

  it('renews the lease by compare-and-swap, and a taken-over owner records nothing', async () => {
    const [a, b] = backend.pair();
    const owner = createIdempotency({ store: a, identity, leaseMs: 5_000, renewEveryMs: 100, clockSkewMarginMs: 0 });
    const storeKey = recordKey(owner.prefix, 'k').storeKey;
    const leases: number[] = [];
    const run = owner.run('k', async ({ signal }) => {
      for (let i = 0; i < 3; i++) {
        await new Promise((r) => setTimeout(r, 250));
        const body = (await b.get(storeKey))!.body;
        leases.push((JSON.parse(Buffer.from(body).toString('utf8')) as { leaseExpiresAtMs: number }).leaseExpiresAtMs);
      }
      // Another pod whose clock is ahead takes the key over.
      const ahead = new Clock();
      ahead.nowMs += 60_000;
      await createIdempotency({ store: b, identity, clock: ahead.now, clockSkewMarginMs: 0 }).run('k', () => 'taker');
      // The owner's renewal may have seen the takeover already, while the taker was still completing.
      if (!signal.aborted) await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      return 'owner';
    });
    await expect(run).rejects.toBeInstanceOf(IdempotencyLeaseLostError);
    expect(leases[1]!).toBeGreaterThan(leases[0]!);
    expect(leases[2]!).toBeGreaterThan(leases[1]!);
    expect(await createIdempotency({ store: b, identity }).run('k', () => 'again')).toBe('taker');
  });
});
