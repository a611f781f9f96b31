import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { CreateMultipartUploadCommand, ListMultipartUploadsCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3';
import { afterAll, describe, expect, it } from 'vitest';
import { createCheckpointer } from '../../../src/checkpoint/checkpointer.ts';
import { dataKey } from '../../../src/checkpoint/layout.ts';
import { ConfigurationError, FencedError } from '../../../src/runtime/errors.ts';
import { createJobMetrics } from '../../../src/telemetry/metrics.ts';
import { probeCapabilities } from '../../../src/store/probe.ts';
import type { ObjectStore, PutOptions, PutStreamOptions, StoreCapabilities } from '../../../src/store/types.ts';
import { InterceptingStore, keysUnder, recordingLog, testIdentity } from '../../unit/checkpoint/helpers.ts';
import { pattern, removeTempStores, TARGETS } from './stores.ts';

interface State {
  step: number;
  loss?: number;
}

const MiB = 2 ** 20;
const identity = testIdentity({ platform: 'kubernetes', jobName: 'train', namespace: 'ml' });
const ROOT = 'jobs/ml/train/index-0/checkpoints';
const LARGE = process.env.JOBKIT_TEST_LARGE === '1';
const opened: ObjectStore[] = [];
afterAll(async () => {
  await Promise.all(opened.map((s) => s.close()));
  removeTempStores();
});

/** A generated stream of `size` bytes in 1 MiB chunks: no big buffer is ever held. */
function generated(size: number, seed: number): { stream: Readable; sha256: string } {
  const hash = createHash('sha256');
  const chunk = pattern(MiB, seed);
  for (let sent = 0; sent < size; sent += MiB) hash.update(chunk.subarray(0, Math.min(MiB, size - sent)));
  const stream = Readable.from(
    (function* () {
      for (let sent = 0; sent < size; sent += MiB) yield chunk.subarray(0, Math.min(MiB, size - sent));
    })(),
  );
  return { stream, sha256: hash.digest('hex') };
}

async function sha256Of(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const c of stream) hash.update(c as Buffer);
  return hash.digest('hex');
}

/** A proxy of a real store that drops every condition, like a non-compliant S3 server. */
class ConditionIgnoringStore extends InterceptingStore {
  override put(key: string, body: Uint8Array | string, options?: PutOptions) {
    return this.inner.put(key, body, { signal: options?.signal });
  }
  override putStream(key: string, body: Readable | AsyncIterable<Uint8Array>, options?: PutStreamOptions) {
    return this.inner.putStream(key, body, { signal: options?.signal, partSize: options?.partSize });
  }
  override delete(key: string) {
    return this.inner.delete(key);
  }
  override capabilities(): Promise<StoreCapabilities> {
    return probeCapabilities(this);
  }
}

describe.each(TARGETS)('checkpoints on the $name store', (target) => {
  const fresh = () => {
    const made = target.create();
    opened.push(made.store);
    return made;
  };
  const another = (url: string) => {
    const s = target.reopen(url);
    opened.push(s);
    return s;
  };

  it('round-trips JSON state and small parts across pods', async () => {
    const { store, url } = fresh();
    await createCheckpointer<State>({ store, identity }).save({ step: 7, loss: 0.25 }, { optimizer: pattern(1000, 3) });
    const loaded = await createCheckpointer<State>({ store: another(url), identity }).load();
    expect(loaded?.state).toEqual({ step: 7, loss: 0.25 });
    expect(await loaded!.parts.get('optimizer')!.buffer()).toEqual(pattern(1000, 3));
  });

  it(`streams a ${LARGE ? 1024 : 256} MiB part through multipart and loads it back verified`, async () => {
    const size = (LARGE ? 1024 : 256) * MiB;
    const { store, url } = fresh();
    const { stream, sha256 } = generated(size, 11);
    const cp = createCheckpointer<State>({ store, identity, partSize: 8 * MiB, concurrency: 4 });
    const info = await cp.save({ step: 1 }, { weights: stream });
    expect(info.uploadedBytes).toBe(size);
    const loaded = await createCheckpointer<State>({ store: another(url), identity, inMemoryMaxBytes: 8 * MiB }).load();
    const weights = loaded!.parts.get('weights')!;
    expect(weights.size).toBe(size);
    expect(weights.path).toBeDefined();
    expect(await sha256Of(weights.stream())).toBe(sha256);
    await loaded!.dispose();
  });

  it('two pods of one index: exactly one commits, the other is fenced', async () => {
    const { store, url } = fresh();
    const a = createCheckpointer<State>({ store, identity: { ...identity, podName: 'train-0-aaaaa' } });
    const b = createCheckpointer<State>({ store: another(url), identity: { ...identity, podName: 'train-0-bbbbb' } });
    await Promise.all([a.open(), b.open()]);
    const results = await Promise.allSettled([a.save({ step: 1 }, { w: pattern(100, 1) }), b.save({ step: 2 }, { w: pattern(100, 2) })]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const rejected = results.find((r) => r.status === 'rejected');
    expect(rejected?.reason).toBeInstanceOf(FencedError);
    const winner = a.epoch! > b.epoch! ? 1 : 2;
    expect((await createCheckpointer<State>({ store, identity }).load())?.state).toEqual({ step: winner });
  });

  it('a zombie writer with an older epoch can never commit again', async () => {
    const { store, url } = fresh();
    const zombie = createCheckpointer<State>({ store, identity });
    await zombie.save({ step: 1 });
    const replacement = createCheckpointer<State>({ store: another(url), identity });
    expect((await replacement.load())?.state).toEqual({ step: 1 });
    await expect(zombie.save({ step: 2 })).rejects.toBeInstanceOf(FencedError);
    await replacement.save({ step: 3 });
    await expect(zombie.save({ step: 4 })).rejects.toBeInstanceOf(FencedError);
    expect((await createCheckpointer<State>({ store, identity }).load())?.state).toEqual({ step: 3 });
  });

  it('falls back to the previous checkpoint when a part is corrupted, with a log line and the integrity metric', async () => {
    const { store } = fresh();
    const cp = createCheckpointer<State>({ store, identity });
    await cp.save({ step: 1 }, { w: pattern(4096, 1) });
    const before = new Set(await keysUnder(store, `${ROOT}/data/`));
    await cp.save({ step: 2 }, { w: pattern(4096, 2) });
    const newest = (await keysUnder(store, `${ROOT}/data/`)).find((k) => !before.has(k))!;
    const damaged = pattern(4096, 2);
    damaged.writeUInt8(damaged[2000]! ^ 1, 2000);
    await store.put(newest, damaged);
    const log = recordingLog();
    const metrics = createJobMetrics({ identity });
    const loaded = await createCheckpointer<State>({ store, identity, log, metrics }).load();
    expect(loaded?.state).toEqual({ step: 1 });
    expect(log.lines.find((l) => l.level === 'warn')?.msg).toContain('falling back to the previous one');
    expect(await metrics.registry.metrics()).toMatch(/^jobkit_integrity_failures_total\{kind="checkpoint"\} 1$/m);
  });

  it('keeps the last N checkpoints', async () => {
    const { store } = fresh();
    const cp = createCheckpointer<State>({ store, identity, keep: 2 });
    for (let step = 1; step <= 5; step++) await cp.save({ step }, { w: pattern(2048, step) });
    await cp.close();
    expect((await cp.list()).map((c) => c.seq)).toEqual([5, 4]);
    expect(await keysUnder(store, `${ROOT}/manifests/`)).toHaveLength(2);
    expect(await keysUnder(store, `${ROOT}/data/`)).toHaveLength(2);
  });

  it.runIf(target.name === 's3')('aborts the unfinished multipart uploads of a killed older-epoch writer, never a newer one', async () => {
    const { store, url } = fresh();
    const bucket = process.env.JOBKIT_TEST_S3_BUCKET!;
    const base = `${new URL(url).pathname.replace(/^\//, '')}/${ROOT}`;
    const client = new S3Client({ endpoint: process.env.JOBKIT_TEST_S3_ENDPOINT!, region: 'us-east-1', forcePathStyle: true });
    try {
      const first = createCheckpointer<State>({ store, identity });
      await first.save({ step: 1 });
      // What a writer SIGKILLed mid-upload leaves: a multipart upload never completed nor aborted.
      const startUpload = async (epoch: number): Promise<string> => {
        const key = `${base}/${dataKey(epoch, 'weights')}`;
        const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
        await client.send(new UploadPartCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, Body: pattern(1024, epoch) }));
        return key;
      };
      const killed = await startUpload(first.epoch!);
      const future = await startUpload(first.epoch! + 50); // a newer epoch's save in flight: not ours to touch
      const pending = async (): Promise<string[]> => {
        const res = await client.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: `${base}/` }));
        return (res.Uploads ?? []).map((u) => u.Key ?? '').sort();
      };
      expect(await pending()).toEqual([killed, future].sort());

      const replacement = createCheckpointer<State>({ store: another(url), identity });
      await replacement.save({ step: 2 });
      await replacement.prune();
      expect(await pending()).toEqual([future]);
      expect((await replacement.load())?.state).toEqual({ step: 2 });
    } finally {
      client.destroy();
    }
  });

  it('refuses fencing on a store that ignores conditional writes', async () => {
    const { store } = fresh();
    const err = await createCheckpointer<State>({ store: new ConditionIgnoringStore(store), identity })
      .save({ step: 1 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigurationError);
    expect((err as Error).message).toContain('compare-and-swap');
    expect(await keysUnder(store, 'jobs/')).toEqual([]);
  });
});
